"""onlineMeetings: create, createOrGet (idempotent by externalId), get, patch, delete, permissions."""

from __future__ import annotations

from .helpers import INTERVIEWER, RECRUITER

MEETING = {
    "subject": "二次面接",
    "startDateTime": "2026-12-02T01:00:00Z",
    "endDateTime": "2026-12-02T02:00:00Z",
    "externalId": "e2rpro-slot-0002",
}


def test_create_or_get_creates_once_then_returns_the_same_meeting(app, emu):
    first = app.api("POST", f"/users/{INTERVIEWER}/onlineMeetings/createOrGet", body=MEETING)
    assert first.status == 201
    again = app.api(
        "POST", f"/users/{INTERVIEWER}/onlineMeetings/createOrGet", body={**MEETING, "subject": "x"}
    )
    assert again.status == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["subject"] == "二次面接"
    assert len(emu.online_meetings()) == 1
    other = app.api("POST", f"/users/{RECRUITER}/onlineMeetings/createOrGet", body=MEETING)
    assert other.status == 201  # externalId is per organizer
    assert len(emu.online_meetings()) == 2


def test_the_meeting_has_graphs_shape(app):
    meeting = app.api("POST", f"/users/{INTERVIEWER}/onlineMeetings", body=MEETING).json()
    assert meeting["@odata.context"].endswith(f"users('{INTERVIEWER}')/onlineMeetings/$entity")
    assert meeting["joinWebUrl"].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert meeting["joinUrl"] == meeting["joinWebUrl"]
    assert meeting["startDateTime"].startswith("2026-12-02T01:00:00")
    assert meeting["participants"]["organizer"]["identity"]["user"]["id"] == INTERVIEWER
    assert meeting["chatInfo"]["threadId"].startswith("19:meeting_")
    assert meeting["externalId"] == "e2rpro-slot-0002"


def test_plain_create_is_not_idempotent(app, emu):
    app.api("POST", f"/users/{INTERVIEWER}/onlineMeetings", body=MEETING)
    app.api("POST", f"/users/{INTERVIEWER}/onlineMeetings", body=MEETING)
    assert len(emu.online_meetings()) == 2


def test_get_patch_delete(app, emu):
    meeting_id = app.api("POST", f"/users/{INTERVIEWER}/onlineMeetings", body=MEETING).json()["id"]
    path = f"/users/{INTERVIEWER}/onlineMeetings/{meeting_id}"
    assert app.api("GET", path).json()["subject"] == "二次面接"
    patched = app.api("PATCH", path, body={"subject": "最終面接", "startDateTime": "2026-12-03T01:00:00Z"})
    assert patched.status == 200
    assert patched.json()["subject"] == "最終面接"
    assert patched.json()["startDateTime"].startswith("2026-12-03T01:00:00")
    assert app.api("DELETE", path).status == 204
    gone = app.api("GET", path)
    assert (gone.status, gone.json()["error"]["code"]) == (404, "NotFound")
    assert emu.online_meetings() == []


def test_create_or_get_needs_an_external_id(app):
    response = app.api("POST", f"/users/{INTERVIEWER}/onlineMeetings/createOrGet", body={"subject": "x"})
    assert (response.status, response.json()["error"]["code"]) == (400, "BadRequest")


def test_delegated_tokens_create_meetings_for_the_signed_in_user_only(delegated):
    assert delegated.api("POST", "/me/onlineMeetings/createOrGet", body=MEETING).status == 201
    other = delegated.api("POST", f"/users/{INTERVIEWER}/onlineMeetings", body=MEETING)
    assert (other.status, other.json()["error"]["code"]) == (403, "Forbidden")


def test_application_tokens_need_the_teams_application_access_policy(app, emu):
    emu.configure(application_access_policy=False)
    response = app.api("POST", f"/users/{INTERVIEWER}/onlineMeetings/createOrGet", body=MEETING)
    assert (response.status, response.json()["error"]["code"]) == (403, "Forbidden")
    assert emu.online_meetings() == []
