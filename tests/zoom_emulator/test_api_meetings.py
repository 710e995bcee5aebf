"""Meetings: create (201), get (fresh start_url), update (204), delete (204), list a user's meetings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from .helpers import INTERVIEW, link
from .sdk_shapes import (
    CREATE_MEETING_EXTRAS,
    CREATE_MEETING_RESPONSE,
    GET_MEETING_RESPONSE,
    LIST_MEETINGS_ITEM,
    LIST_MEETINGS_RESPONSE,
    MEETING_SETTINGS,
)

Z_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def create(linked, host="me", **changes):
    return linked.api("POST", f"/users/{host}/meetings", body={**INTERVIEW, **changes})


def test_create_meeting_answers_201_with_the_meeting(emu, linked):
    response = create(linked)
    assert response.status == 201
    meeting = response.json()
    assert 10**10 <= meeting["id"] < 10**11  # 11 digits, above 2**31
    assert meeting["id"] > 2**31
    assert meeting["topic"] == INTERVIEW["topic"]
    assert meeting["agenda"] == INTERVIEW["agenda"]
    assert meeting["host_email"] == emu.admin_email
    assert meeting["status"] == "waiting"
    assert meeting["settings"]["waiting_room"] is True
    assert meeting["settings"]["audio"] == "both"
    join = urlsplit(meeting["join_url"])
    assert join.path == f"/j/{meeting['id']}"
    assert parse_qs(join.query)["pwd"] == [meeting["encrypted_password"]]
    assert "zak" in parse_qs(urlsplit(meeting["start_url"]).query)
    assert len(meeting["password"]) == 6


def test_create_meeting_answer_uses_sdk_field_names(linked):
    meeting = create(linked).json()
    assert set(meeting) <= CREATE_MEETING_RESPONSE | CREATE_MEETING_EXTRAS
    assert {"id", "join_url", "start_url", "password", "start_time", "timezone", "settings"} <= set(meeting)
    assert set(meeting["settings"]) <= MEETING_SETTINGS
    assert isinstance(meeting["id"], int)
    assert isinstance(meeting["duration"], int)
    assert meeting["type"] in (1, 2, 3, 8, 10)
    assert meeting["creation_source"] in ("other", "open_api", "web_portal")


def test_start_time_with_z_is_utc_and_answers_are_utc_with_z(linked):
    meeting = create(linked, start_time="2026-12-01T01:00:00Z").json()
    assert meeting["start_time"] == "2026-12-01T01:00:00Z"
    assert Z_TIME.match(meeting["created_at"])


def test_start_time_without_z_is_local_time_in_the_given_timezone(linked):
    meeting = create(linked, start_time="2026-12-01T10:00:00", timezone="Asia/Tokyo").json()
    assert meeting["start_time"] == "2026-12-01T01:00:00Z"
    assert meeting["timezone"] == "Asia/Tokyo"


def test_start_time_without_z_and_without_timezone_uses_the_hosts_zone(linked):
    body = {k: v for k, v in INTERVIEW.items() if k != "timezone"}
    meeting = linked.api(
        "POST", "/users/me/meetings", body={**body, "start_time": "2026-12-01T10:00:00"}
    ).json()
    assert meeting["start_time"] == "2026-12-01T01:00:00Z"  # the admin's zone is Asia/Tokyo


def test_utc_wall_clock_without_z_lands_at_the_wrong_hour(linked):
    # The classic bug: sending 01:00 UTC without Z schedules 01:00 Tokyo time, nine hours early.
    meeting = create(linked, start_time="2026-12-01T01:00:00", timezone="Asia/Tokyo").json()
    assert meeting["start_time"] == "2026-11-30T16:00:00Z"


def test_get_meeting_returns_a_fresh_start_url_each_time(linked):
    meeting_id = create(linked).json()["id"]
    first = linked.api("GET", f"/meetings/{meeting_id}").json()
    second = linked.api("GET", f"/meetings/{meeting_id}").json()
    assert first["start_url"] != second["start_url"]
    assert first["join_url"] == second["join_url"]
    assert set(first) <= GET_MEETING_RESPONSE


def test_start_url_zak_is_valid_for_two_hours(emu, linked):
    meeting = linked.api("GET", f"/meetings/{create(linked).json()['id']}").json()
    start = urlsplit(meeting["start_url"])
    assert emu.handle("GET", start.path, start.query).status == 200
    emu.advance(2 * 3600 + 1)
    assert emu.handle("GET", start.path, start.query).status == 403


def test_join_url_needs_the_passcode(emu, linked):
    meeting = create(linked).json()
    join = urlsplit(meeting["join_url"])
    assert emu.handle("GET", join.path, join.query).status == 200
    assert emu.handle("GET", join.path, "pwd=wrong").status == 403


def test_update_meeting_answers_204_with_an_empty_body(linked):
    meeting_id = create(linked).json()["id"]
    response = linked.api(
        "PATCH",
        f"/meetings/{meeting_id}",
        body={"start_time": "2026-12-02T15:30:00", "timezone": "Asia/Tokyo"},
    )
    assert (response.status, response.body) == (204, b"")
    assert "Content-Type" not in response.headers
    after = linked.api("GET", f"/meetings/{meeting_id}").json()
    assert after["start_time"] == "2026-12-02T06:30:00Z"


def test_update_without_timezone_reads_local_time_in_the_meetings_zone(linked):
    meeting_id = create(linked, timezone="America/New_York").json()["id"]
    linked.api("PATCH", f"/meetings/{meeting_id}", body={"start_time": "2026-12-02T09:00:00"})
    assert linked.api("GET", f"/meetings/{meeting_id}").json()["start_time"] == "2026-12-02T14:00:00Z"


def test_delete_meeting_answers_204_and_then_404_code_3001(linked):
    meeting_id = create(linked).json()["id"]
    response = linked.api("DELETE", f"/meetings/{meeting_id}", query={"schedule_for_reminder": "false"})
    assert (response.status, response.body) == (204, b"")
    for method in ("GET", "PATCH", "DELETE"):
        gone = linked.api(method, f"/meetings/{meeting_id}", body={} if method == "PATCH" else None)
        assert (gone.status, gone.json()) == (
            404,
            {"code": 3001, "message": f"Meeting does not exist: {meeting_id}."},
        )


def test_create_for_another_user_by_id_or_email(emu, linked):
    recruiter = create(linked, host="recruiter@demo.example.com").json()
    assert recruiter["host_email"] == "recruiter@demo.example.com"
    assert recruiter["host_id"] == "u8RecDemoRecruit00002B"


def test_create_for_a_pending_or_deactivated_or_unknown_user_is_404_code_1001(linked):
    for host in ("pending-user@sample.example.com", "former-user@sample.example.com", "ghost@example.com"):
        response = create(linked, host=host)
        assert (response.status, response.json()["code"]) == (404, 1001)


def test_validation_errors_are_400_code_300_with_errors(linked):
    response = create(linked, topic="x" * 201, timezone="Mars/Olympus", start_time="tomorrow", type=7)
    assert response.status == 400
    body = response.json()
    assert (body["code"], body["message"]) == (300, "Validation Failed.")
    assert {e["field"] for e in body["errors"]} == {"topic", "timezone", "start_time", "type"}
    assert all(set(e) == {"field", "message"} for e in body["errors"])


def test_agenda_is_limited_to_2000_characters(linked):
    assert create(linked, agenda="a" * 2000).status == 201
    assert create(linked, agenda="a" * 2001).status == 400


def test_a_non_json_body_is_refused(linked):
    response = linked.emu.handle(
        "POST", "/v2/users/me/meetings", "", {"Authorization": f"Bearer {linked.access_token}"}, b"topic=x"
    )
    assert (response.status, response.json()["code"]) == (400, 300)


def test_list_user_meetings_keeps_the_agenda_and_pages(emu, linked):
    ids = [
        create(linked, agenda=f"e2rpro-slot:{n}", start_time=f"2026-12-0{n}T01:00:00Z").json()["id"]
        for n in (1, 2, 3)
    ]
    create(linked, host="recruiter@demo.example.com")
    page = linked.api("GET", "/users/me/meetings", query={"type": "scheduled", "page_size": 2}).json()
    assert set(page) <= LIST_MEETINGS_RESPONSE
    assert page["total_records"] == 3
    assert [m["agenda"] for m in page["meetings"]] == ["e2rpro-slot:1", "e2rpro-slot:2"]
    rest = linked.api(
        "GET",
        "/users/me/meetings",
        query={"type": "scheduled", "page_size": 2, "next_page_token": page["next_page_token"]},
    ).json()
    assert [m["id"] for m in page["meetings"] + rest["meetings"]] == ids
    assert rest["next_page_token"] == ""
    for item in page["meetings"]:
        assert set(item) <= LIST_MEETINGS_ITEM
        assert Z_TIME.match(item["start_time"])


def test_upcoming_lists_only_meetings_not_yet_over(emu, linked):
    create(linked, start_time="2026-11-25T01:00:00Z", duration=30, agenda="past")
    create(linked, start_time="2026-12-01T01:00:00Z", agenda="future")
    upcoming = linked.api("GET", "/users/me/meetings", query={"type": "upcoming"}).json()["meetings"]
    scheduled = linked.api("GET", "/users/me/meetings", query={"type": "scheduled"}).json()["meetings"]
    assert [m["agenda"] for m in upcoming] == ["future"]
    assert [m["agenda"] for m in scheduled] == ["past", "future"]


def test_update_and_delete_need_their_scopes(emu):
    emu.configure(scopes=["meeting:write:meeting:admin", "meeting:read:meeting:admin"])
    restricted = link(emu)
    meeting_id = restricted.api("POST", "/users/me/meetings", body=INTERVIEW).json()["id"]
    update = restricted.api("PATCH", f"/meetings/{meeting_id}", body={"duration": 30})
    delete = restricted.api("DELETE", f"/meetings/{meeting_id}")
    assert (update.status, update.json()["code"]) == (400, 4711)
    assert "meeting:update:meeting:admin" in update.json()["message"]
    assert (delete.status, delete.json()["code"]) == (400, 4711)


def test_meetings_helper_lists_every_meeting_with_its_agenda(emu, linked):
    create(linked, agenda="")
    create(linked, host="interviewer@demo.example.com")
    meetings = emu.meetings()
    assert len(meetings) == 2
    assert all("start_url" not in m for m in meetings)
    assert {m["agenda"] for m in meetings} == {"", INTERVIEW["agenda"]}


def test_move_behind_the_products_back_changes_the_start(emu, linked):
    meeting_id = create(linked).json()["id"]
    emu.move_meeting(meeting_id, datetime(2026, 12, 3, 5, 0, tzinfo=UTC))
    assert linked.api("GET", f"/meetings/{meeting_id}").json()["start_time"] == "2026-12-03T05:00:00Z"
