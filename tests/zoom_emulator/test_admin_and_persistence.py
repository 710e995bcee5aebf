"""GET /_emulator/state, POST /_emulator/reset and /_emulator/config, clock, and the state file."""

from __future__ import annotations

import json

from tests.emulator_kit.helpers import START
from zoom_emulator import Config, Emulator

from .helpers import INTERVIEW, link, refresh


def post_json(emu, path, data):
    return emu.handle("POST", path, "", {"Content-Type": "application/json"}, json.dumps(data))


def test_state_lists_meetings_installations_counts(emu, linked):
    linked.api("POST", "/users/me/meetings", body=INTERVIEW)
    linked.api("GET", "/users")
    response = emu.handle("GET", "/_emulator/state")
    assert response.status == 200
    state = response.json()
    assert state["now"] == "2026-11-25T03:00:00Z"
    assert [m["agenda"] for m in state["meetings"]] == [INTERVIEW["agenda"]]
    assert state["installations"][0]["installed"] is True
    assert state["installations"][0]["installed_by"] == emu.admin_email
    assert state["installations"][0]["live_tokens"] == {"access": 1, "refresh": 1}
    assert state["request_counts"] == {"token_code": 1, "create_meeting": 1, "list_users": 1}
    assert state["rate_limited_counts"] == {}
    assert state["config"]["client_secret"] == "********"
    assert len(state["users"]) == 6


def test_config_endpoint_applies_options_and_refuses_unknown_ones(emu, linked):
    response = post_json(
        emu, "/_emulator/config", {"plan": "free", "faults": [{"group": "get_user", "status": 500}]}
    )
    assert response.status == 200
    assert response.json()["plan"] == "free"
    assert linked.api("GET", "/users/me").status == 500
    bad = post_json(emu, "/_emulator/config", {"plan": "platinum"})
    assert bad.status == 400
    assert "platinum" in bad.json()["error"]
    assert post_json(emu, "/_emulator/config", {"bogus": 1}).status == 400


def test_reset_returns_to_the_seeded_account_and_startup_config(emu, linked):
    linked.api("POST", "/users/me/meetings", body=INTERVIEW)
    emu.configure(plan="free")
    assert post_json(emu, "/_emulator/reset", {}).json() == {"status": "reset"}
    state = emu.snapshot()
    assert state["meetings"] == []
    assert state["installations"][0]["installed"] is False
    assert state["config"]["plan"] == "pro"
    assert linked.api("GET", "/users/me").status == 401


def test_clock_endpoint_sets_and_advances(emu):
    response = post_json(emu, "/_emulator/clock", {"now": "2026-11-30T23:59:00Z", "frozen": True})
    assert response.json() == {"now": "2026-11-30T23:59:00Z", "frozen": True}
    assert post_json(emu, "/_emulator/clock", {"advance": 120}).json()["now"] == "2026-12-01T00:01:00Z"


def test_admin_meeting_endpoints_delete_and_move(emu, linked):
    meeting_id = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()["id"]
    moved = post_json(emu, f"/_emulator/meetings/{meeting_id}/move", {"start_time": "2026-12-05T00:00:00Z"})
    assert moved.status == 200
    assert emu.meetings()[0]["start_time"] == "2026-12-05T00:00:00Z"
    assert post_json(emu, f"/_emulator/meetings/{meeting_id}/delete", {}).status == 200
    assert post_json(emu, f"/_emulator/meetings/{meeting_id}/delete", {}).status == 404


def test_unknown_paths_and_methods(emu):
    assert emu.handle("GET", "/v2/webinars").status == 404
    assert emu.handle("PUT", "/v2/users").status == 405


def test_state_file_round_trip_keeps_links_meetings_and_counts(tmp_path):
    path = tmp_path / "var" / "zoom_emulator.json"
    first = Emulator(Config(), state_file=path)
    first.set_clock(START, frozen=True)
    linked = link(first)
    meeting = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()
    first.save()
    assert linked.access_token not in path.read_text()  # only token hashes are stored

    second = Emulator(Config(), state_file=path)
    second.set_clock(START, frozen=True)
    again = linked.__class__(second, linked.tokens)
    assert again.api("GET", f"/meetings/{meeting['id']}").json()["agenda"] == INTERVIEW["agenda"]
    assert refresh(second, linked.tokens["refresh_token"]).status == 200
    assert second.snapshot()["daily_counts"] == first.snapshot()["daily_counts"]


def test_a_state_file_of_another_version_is_ignored(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 0, "meetings": {"1": {}}}))
    assert Emulator(Config(), state_file=path).snapshot()["meetings"] == []


def test_save_without_a_state_file_does_nothing(emu):
    emu.save(force=True)  # no error, nothing written
