"""/_emulator: state, reset, config, clock, users, grants, events, channels, sync invalidation; the state
file."""

from __future__ import annotations

import json

from google_emulator import Config, Emulator

from .helpers import EVENT_ID, HOST_EMAIL, Link, insert, refresh


def post_json(emu, path, data):
    return emu.handle("POST", path, "", {"Content-Type": "application/json"}, json.dumps(data))


def test_state_lists_users_grants_events_channels_and_counts(emu, host, receiver):
    insert(host)
    host.api(
        "POST",
        "/calendars/primary/events/watch",
        body={"id": "ch1", "type": "web_hook", "address": "https://x.example/hook"},
    )
    state = emu.handle("GET", "/_emulator/state").json()
    assert state["now"] == "2026-11-25T03:00:00Z" and state["clock_frozen"] is True
    assert len(state["users"]) == 7
    grant = state["grants"][0]
    assert grant["email"] == HOST_EMAIL and grant["active"] is True
    assert grant["live_tokens"] == {"access": 1, "refresh": 1}
    assert [e["id"] for e in state["events"]] == [EVENT_ID]
    assert state["events"][0]["meetUrl"].startswith("https://meet.google.com/")
    assert state["channels"][0]["id"] == "ch1" and state["channels"][0]["live"] is True
    assert state["request_counts"] == {"token_code": 1, "insert_event": 1, "watch_events": 1}
    assert state["notifications"][0]["state"] == "sync"
    assert state["config"]["client_secret"] == "********"
    assert emu.handle("GET", "/_emulator/events", {"user": HOST_EMAIL}).json()["events"][0]["id"] == EVENT_ID
    assert emu.handle("GET", "/_emulator/channels").json()["channels"][0]["user"] == HOST_EMAIL


def test_reset_returns_to_the_seeded_world(emu, host):
    insert(host)
    assert post_json(emu, "/_emulator/reset", {}).json() == {"status": "reset"}
    assert emu.events() == [] and emu.snapshot()["grants"] == []
    assert host.api("GET", "/calendars/primary/events").status == 401


def test_clock(emu):
    answer = post_json(emu, "/_emulator/clock", {"now": "2026-11-30T23:59:00Z", "frozen": True})
    assert answer.json() == {"now": "2026-11-30T23:59:00Z", "frozen": True}
    assert post_json(emu, "/_emulator/clock", {"advance": 120}).json()["now"] == "2026-12-01T00:01:00Z"


def test_link_revoke_and_users_without_the_browser(emu):
    answer = post_json(emu, "/_emulator/grants", {"user": "recruiter@demo.example.com"})
    assert answer.status == 200 and answer.json()["refresh_token"]
    recruiter = Link(emu, answer.json())
    assert recruiter.api("GET", "/calendars/primary/events").status == 200
    assert post_json(emu, "/_emulator/grants/revoke", {"user": "recruiter@demo.example.com"}).json() == {
        "revoked": True
    }
    assert refresh(emu, answer.json()["refresh_token"]).json()["error"] == "invalid_grant"
    added = post_json(emu, "/_emulator/users", {"email": "new@sample.example.com", "family_name": "新人"})
    assert added.status == 201
    assert emu.link("new@sample.example.com")["access_token"]
    assert post_json(emu, "/_emulator/users", {"email": "new@sample.example.com"}).status == 400


def test_move_delete_notify_and_invalidate_through_emulator_endpoints(emu, host, receiver):
    insert(host)
    host.api(
        "POST",
        "/calendars/primary/events/watch",
        body={"id": "ch1", "type": "web_hook", "address": "https://x.example/hook"},
    )
    token = host.api("GET", "/calendars/primary/events").json()["nextSyncToken"]
    moved = post_json(emu, f"/_emulator/events/{EVENT_ID}/move", {"start": "2026-12-01T05:00:00Z"})
    assert moved.json()["start"]["dateTime"] == "2026-12-01T14:00:00+09:00"
    assert moved.json()["end"]["dateTime"] == "2026-12-01T15:00:00+09:00"
    assert post_json(emu, f"/_emulator/events/{EVENT_ID}/delete", {}).json() == {"deleted": EVENT_ID}
    assert post_json(emu, f"/_emulator/events/{EVENT_ID}/delete", {}).status == 404
    assert post_json(emu, "/_emulator/channels/ch1/notify", {"state": "not_exists"}).status == 200
    assert post_json(emu, "/_emulator/channels/ch1/notify", {"state": "bogus"}).status == 400
    delivered = post_json(emu, "/_emulator/notifications/deliver", {}).json()["delivered"]
    assert [d[0] for d in delivered] == ["sync", "exists", "exists", "not_exists"]
    assert post_json(emu, "/_emulator/sync/invalidate", {}).status == 200
    assert host.api("GET", "/calendars/primary/events", query={"syncToken": token}).status == 410


def test_the_state_file_keeps_grants_events_and_channels(tmp_path):
    state_file = tmp_path / "google.json"
    first = Emulator(Config(seed=1), state_file=state_file)
    tokens = first.link(HOST_EMAIL)
    host = Link(first, tokens)
    assert insert(host).status == 200
    first.save()
    assert "ya29" not in state_file.read_text()  # tokens are kept by hash only

    second = Emulator(Config(seed=1), state_file=state_file)
    again = Link(second, tokens)
    assert again.api("GET", f"/calendars/primary/events/{EVENT_ID}").status == 200
    assert insert(again).status == 409
    assert refresh(second, tokens["refresh_token"]).status == 200
