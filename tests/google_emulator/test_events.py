"""Calendar API v3 events: insert with a Meet conference and a client-chosen id (409 on a repeat), get,
patch, update, delete (cancelled, 410 on a second delete), errors in Google's shape."""

from __future__ import annotations

from .helpers import EVENT_ID, HOST_EMAIL, google_error, insert, interview, link


def test_insert_creates_a_meet_conference(emu, host):
    answer = insert(host)
    assert answer.status == 200
    event = answer.json()
    assert event["id"] == EVENT_ID and event["kind"] == "calendar#event" and event["status"] == "confirmed"
    video = event["conferenceData"]["entryPoints"][0]
    assert video["entryPointType"] == "video"
    assert video["uri"].startswith("https://meet.google.com/")
    code = video["uri"].rsplit("/", 1)[1]
    assert len(code) == 12 and code[3] == "-" and code[8] == "-"
    assert event["hangoutLink"] == video["uri"]
    assert event["conferenceData"]["createRequest"]["status"] == {"statusCode": "success"}
    assert event["conferenceData"]["conferenceId"] == code
    assert event["start"] == {"dateTime": "2026-12-01T10:00:00+09:00", "timeZone": "Asia/Tokyo"}
    assert event["organizer"] == {"email": HOST_EMAIL, "self": True}
    assert event["attendees"][0]["responseStatus"] == "needsAction"
    assert emu.events()[0]["meetUrl"] == video["uri"]


def test_without_conference_data_version_no_conference_is_made(host):
    event = insert(host, conferenceDataVersion="0").json()
    assert "conferenceData" not in event and "hangoutLink" not in event


def test_a_repeated_id_answers_409_duplicate_and_makes_no_second_event(emu, host):
    assert insert(host).status == 200
    again = insert(host, interview(request_id="another"))
    assert google_error(again) == (409, "duplicate", "global")
    assert again.json()["error"]["message"] == "The requested identifier already exists."
    assert again.json()["error"]["status"] == "ALREADY_EXISTS"
    assert len(emu.events()) == 1
    # Also after the event was deleted: ids are never reused.
    assert host.api("DELETE", f"/calendars/primary/events/{EVENT_ID}").status == 204
    assert insert(host).status == 409


def test_event_ids_must_be_base32hex_of_5_to_1024_characters(host):
    for bad in ("abc", "UPPERCASE00", "has-dash-00", "wxyz00000", "a" * 1025):
        answer = insert(host, interview(bad))
        assert google_error(answer) == (400, "invalid", "global"), bad
    assert insert(host, interview("v" * 1024)).status == 200
    generated = insert(host, interview(None)).json()["id"]
    assert len(generated) >= 5 and set(generated) <= set("0123456789abcdefghijklmnopqrstuv")


def test_calendar_id_primary_and_the_users_address_are_the_same_calendar(emu, host):
    insert(host)
    by_email = host.api("GET", f"/calendars/{HOST_EMAIL}/events/{EVENT_ID}")
    assert by_email.status == 200
    other = host.api("GET", "/calendars/recruiter@demo.example.com/events")
    assert google_error(other) == (404, "notFound", "global")


def test_get_patch_update(emu, host):
    created = insert(host).json()
    missing = host.api("GET", "/calendars/primary/events/nosuchevent00")
    assert google_error(missing) == (404, "notFound", "global")

    patched = host.api(
        "PATCH",
        f"/calendars/primary/events/{EVENT_ID}",
        body={"start": {"dateTime": "2026-12-01T13:00:00"}, "end": {"dateTime": "2026-12-01T14:00:00"}},
    ).json()
    assert patched["start"] == {"dateTime": "2026-12-01T13:00:00+09:00", "timeZone": "Asia/Tokyo"}
    assert patched["summary"] == created["summary"]
    assert patched["hangoutLink"] == created["hangoutLink"]
    assert patched["sequence"] == 1 and patched["etag"] != created["etag"]

    got = host.api("GET", f"/calendars/primary/events/{EVENT_ID}", query={"timeZone": "UTC"}).json()
    assert got["start"]["dateTime"] == "2026-12-01T04:00:00Z"

    updated = host.api(
        "PUT",
        f"/calendars/primary/events/{EVENT_ID}",
        body={
            "summary": "二次面接",
            "start": {"dateTime": "2026-12-02T01:00:00Z"},
            "end": {"dateTime": "2026-12-02T02:00:00Z"},
        },
    ).json()
    assert updated["summary"] == "二次面接" and "description" not in updated
    assert updated["hangoutLink"] == created["hangoutLink"]  # no conferenceDataVersion: kept
    assert updated["start"] == {"dateTime": "2026-12-02T10:00:00+09:00"}  # the calendar's zone


def test_patch_with_conference_data_version_replaces_or_removes_the_meet(host):
    created = insert(host).json()
    path = f"/calendars/primary/events/{EVENT_ID}"
    same = host.api(
        "PATCH",
        path,
        body={"conferenceData": interview()["conferenceData"]},
        query={"conferenceDataVersion": "1"},
    ).json()
    assert same["hangoutLink"] == created["hangoutLink"]  # the same requestId: the same Meet
    new = host.api(
        "PATCH",
        path,
        body={"conferenceData": interview(request_id="slot-1-meet-2")["conferenceData"]},
        query={"conferenceDataVersion": "1"},
    ).json()
    assert new["hangoutLink"] != created["hangoutLink"]
    removed = host.api(
        "PATCH", path, body={"conferenceData": None}, query={"conferenceDataVersion": "1"}
    ).json()
    assert "hangoutLink" not in removed


def test_delete_cancels_and_a_second_delete_answers_410(emu, host):
    insert(host)
    path = f"/calendars/primary/events/{EVENT_ID}"
    deleted = host.api("DELETE", path)
    assert deleted.status == 204 and deleted.body == b""
    got = host.api("GET", path)
    assert got.status == 200 and got.json()["status"] == "cancelled"
    assert google_error(host.api("DELETE", path)) == (410, "deleted", "global")
    assert emu.events()[0]["status"] == "cancelled"
    restored = host.api("PATCH", path, body={"status": "confirmed"}).json()
    assert restored["status"] == "confirmed"


def test_invalid_bodies(host):
    no_end = interview(end=None)
    del no_end["end"]
    assert google_error(insert(host, no_end))[:2] == (400, "required")
    backwards = interview(end={"dateTime": "2026-12-01T09:00:00+09:00"})
    assert google_error(insert(host, backwards))[:2] == (400, "timeRangeEmpty")
    no_zone = interview(start={"dateTime": "2026-12-01T10:00:00"}, end={"dateTime": "2026-12-01T11:00:00"})
    assert google_error(insert(host, no_zone))[:2] == (400, "required")
    bad_zone = interview(start={"dateTime": "2026-12-01T10:00:00", "timeZone": "Mars/Olympus"})
    assert google_error(insert(host, bad_zone))[:2] == (400, "invalid")
    zoom = interview()
    zoom["conferenceData"]["createRequest"]["conferenceSolutionKey"]["type"] = "addOn"
    assert google_error(insert(host, zoom))[:2] == (400, "invalid")
    not_json = host.emu.handle(
        "POST",
        "/calendar/v3/calendars/primary/events",
        "",
        {"Authorization": f"Bearer {host.access_token}", "Content-Type": "application/json"},
        b"{oops",
    )
    assert google_error(not_json)[:2] == (400, "parseError")


def test_all_day_events(host):
    body = interview("a11da000001", start={"date": "2026-12-03"}, end={"date": "2026-12-04"})
    event = insert(host, body).json()
    assert event["start"] == {"date": "2026-12-03"} and event["end"] == {"date": "2026-12-04"}


def test_users_see_only_their_own_events(emu, host):
    insert(host)
    recruiter = link(emu, "recruiter@demo.example.com")
    assert recruiter.api("GET", f"/calendars/primary/events/{EVENT_ID}").status == 404
    assert recruiter.api("POST", "/calendars/primary/events", body=interview()).status == 200  # own calendar
    assert len(emu.events()) == 2
