"""Calendar events: create with a Teams meeting, get/update/delete, transactionId, $filter, paging, zones."""

from __future__ import annotations

from .helpers import INTERVIEW, INTERVIEWER, RECRUITER


def create(app, body=INTERVIEW, user=INTERVIEWER):
    return app.api("POST", f"/users/{user}/events", body=body)


def test_create_event_with_a_teams_meeting_answers_201_with_the_join_url(app, emu):
    response = create(app)
    assert response.status == 201
    event = response.json()
    assert event["@odata.context"].endswith(f"users('{INTERVIEWER}')/events/$entity")
    assert event["@odata.etag"] == f'W/"{event["changeKey"]}"'
    assert event["isOnlineMeeting"] is True
    assert event["onlineMeetingProvider"] == "teamsForBusiness"
    assert event["onlineMeeting"]["joinUrl"].startswith(
        "https://teams.microsoft.com/l/meetup-join/19%3Ameeting_"
    )
    assert event["start"] == {"dateTime": "2026-12-01T10:00:00.0000000", "timeZone": "Tokyo Standard Time"}
    assert event["originalStartTimeZone"] == "Tokyo Standard Time"
    assert event["transactionId"] == INTERVIEW["transactionId"]
    assert event["organizer"]["emailAddress"]["address"] == "interviewer@demo.example.com"
    assert event["attendees"][0]["emailAddress"]["address"] == "yamada@example.com"
    assert "今すぐ会議に参加する" in event["body"]["content"]  # Outlook adds the join block
    assert emu.events()[0]["start"] == "2026-12-01T01:00:00Z"


def test_a_repeated_post_with_the_same_transaction_id_returns_the_first_event(app, emu):
    first = create(app).json()
    second = create(app, {**INTERVIEW, "subject": "別の件名"}).json()
    assert second["id"] == first["id"]
    assert second["subject"] == INTERVIEW["subject"]
    assert len(emu.events()) == 1
    other = create(app, {**INTERVIEW, "transactionId": "another"}).json()
    assert other["id"] != first["id"]
    assert len(emu.events()) == 2


def test_get_answers_in_utc_unless_prefer_outlook_timezone(app):
    event_id = create(app).json()["id"]
    utc = app.api("GET", f"/users/{INTERVIEWER}/events/{event_id}").json()
    assert utc["start"] == {"dateTime": "2026-12-01T01:00:00.0000000", "timeZone": "UTC"}
    tokyo = app.api(
        "GET",
        f"/users/{INTERVIEWER}/calendar/events/{event_id}",
        headers={"Prefer": 'outlook.timezone="Tokyo Standard Time"'},
    )
    assert tokyo.json()["start"]["dateTime"] == "2026-12-01T10:00:00.0000000"
    assert tokyo.headers["Preference-Applied"] == 'outlook.timezone="Tokyo Standard Time"'


def test_patch_moves_the_event_and_changes_the_change_key(app):
    event = create(app).json()
    moved = app.api(
        "PATCH",
        f"/users/{INTERVIEWER}/events/{event['id']}",
        body={
            "start": {"dateTime": "2026-12-01T05:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-01T06:00:00", "timeZone": "UTC"},
            "subject": "変更",
        },
    )
    assert moved.status == 200
    body = moved.json()
    assert body["start"] == {"dateTime": "2026-12-01T05:00:00.0000000", "timeZone": "UTC"}
    assert body["subject"] == "変更"
    assert body["changeKey"] != event["changeKey"]
    assert body["onlineMeeting"]["joinUrl"] == event["onlineMeeting"]["joinUrl"]


def test_delete_then_get_is_404_error_item_not_found(app, emu):
    event_id = create(app).json()["id"]
    deleted = app.api("DELETE", f"/users/{INTERVIEWER}/events/{event_id}")
    assert (deleted.status, deleted.body) == (204, b"")
    again = app.api("GET", f"/users/{INTERVIEWER}/events/{event_id}")
    assert (again.status, again.json()["error"]["code"]) == (404, "ErrorItemNotFound")
    assert app.api("DELETE", f"/users/{INTERVIEWER}/events/{event_id}").status == 404
    assert emu.events() == []


def test_an_event_is_only_found_on_its_own_calendar(app):
    event_id = create(app).json()["id"]
    assert app.api("GET", f"/users/{RECRUITER}/events/{event_id}").status == 404


def test_filter_on_transaction_id_and_start(app):
    create(app)
    create(
        app,
        {
            **INTERVIEW,
            "transactionId": "t-2",
            "start": {"dateTime": "2026-12-03T10:00:00", "timeZone": "Tokyo Standard Time"},
            "end": {"dateTime": "2026-12-03T11:00:00", "timeZone": "Tokyo Standard Time"},
        },
    )
    found = app.api(
        "GET",
        f"/users/{INTERVIEWER}/events",
        query={"$filter": f"transactionId eq '{INTERVIEW['transactionId']}'"},
    ).json()["value"]
    assert [e["transactionId"] for e in found] == [INTERVIEW["transactionId"]]
    later = app.api(
        "GET", f"/users/{INTERVIEWER}/events", query={"$filter": "start/dateTime ge '2026-12-02T00:00:00'"}
    ).json()["value"]
    assert [e["transactionId"] for e in later] == ["t-2"]
    bad = app.api("GET", f"/users/{INTERVIEWER}/events", query={"$filter": "contains(subject,'x')"})
    assert (bad.status, bad.json()["error"]["code"]) == (400, "ErrorInvalidUrlQueryFilter")


def test_list_is_paged_with_top_and_skip(app):
    for n in range(3):
        create(app, {**INTERVIEW, "transactionId": f"t{n}"})
    first = app.api("GET", f"/users/{INTERVIEWER}/events", query={"$top": 2}).json()
    assert len(first["value"]) == 2
    assert "$skip=2" in first["@odata.nextLink"]
    rest = app.api("GET", f"/users/{INTERVIEWER}/events", query={"$top": 2, "$skip": 2}).json()
    assert len(rest["value"]) == 1 and "@odata.nextLink" not in rest


def test_unknown_properties_bad_zones_and_reversed_times_are_400(app, emu):
    unknown = create(app, {**INTERVIEW, "colour": "red"})
    assert (unknown.status, unknown.json()["error"]["code"]) == (400, "RequestBodyRead")
    zone = create(
        app, {**INTERVIEW, "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "Mars/Olympus"}}
    )
    assert zone.json()["error"]["code"] == "TimeZoneNotSupportedException"
    reversed_times = create(
        app,
        {
            **INTERVIEW,
            "transactionId": "r",
            "end": {"dateTime": "2026-12-01T09:00:00", "timeZone": "Tokyo Standard Time"},
        },
    )
    assert reversed_times.status == 400
    assert emu.events() == []


def test_iana_zone_names_are_accepted_too(app):
    body = {
        **INTERVIEW,
        "transactionId": "iana",
        "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "Asia/Tokyo"},
    }
    assert create(app, body).json()["start"]["timeZone"] == "Asia/Tokyo"


def test_an_event_without_online_meeting_has_none(app):
    body = {k: v for k, v in INTERVIEW.items() if k not in ("isOnlineMeeting", "onlineMeetingProvider")}
    event = create(app, body).json()
    assert event["isOnlineMeeting"] is False and event["onlineMeeting"] is None


def test_delegated_tokens_reach_other_calendars_only_with_shared_permissions(delegated, emu):
    own = delegated.api("POST", "/me/events", body=INTERVIEW)
    assert own.status == 201
    other = delegated.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW)
    assert (other.status, other.json()["error"]["code"]) == (403, "ErrorAccessDenied")


def test_unknown_mailbox_is_404_error_invalid_user(app):
    response = create(app, user="staff@other.example.com")
    assert (response.status, response.json()["error"]["code"]) == (404, "ErrorInvalidUser")


def test_select_on_events_keeps_the_id_and_etag(app):
    event_id = create(app).json()["id"]
    one = app.api("GET", f"/users/{INTERVIEWER}/events/{event_id}", query={"$select": "subject,start"}).json()
    assert set(one) == {"@odata.context", "@odata.etag", "id", "subject", "start"}
    listed = app.api("GET", f"/users/{INTERVIEWER}/events", query={"$select": "subject"}).json()["value"]
    assert set(listed[0]) == {"@odata.etag", "id", "subject"}
