"""/_emulator: state, reset, config, clock, tenants and users, consent, events, meetings; the state file."""

from __future__ import annotations

import json

from microsoft_emulator import Config, Emulator
from microsoft_emulator.seed import TENANT_ID
from tests.emulator_kit.helpers import START

from .helpers import INTERVIEW, INTERVIEWER, Link, client_credentials, link_app


def post_json(emu, path, data):
    return emu.handle("POST", path, "", {"Content-Type": "application/json"}, json.dumps(data))


def test_state_lists_tenants_consent_events_and_counts(emu, app):
    app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW)
    app.api("POST", f"/users/{INTERVIEWER}/onlineMeetings/createOrGet", body={"externalId": "x"})
    state = emu.handle("GET", "/_emulator/state").json()
    assert state["now"] == "2026-11-25T03:00:00Z"
    sample = state["tenants"][0]
    assert sample["id"] == TENANT_ID
    assert len(sample["users"]) == 5
    assert sample["consent"]["active"] is True
    assert sample["consent"]["live_tokens"] == {"access": 1, "refresh": 0}
    assert [e["transactionId"] for e in state["events"]] == [INTERVIEW["transactionId"]]
    assert state["events"][0]["user"] == "interviewer@demo.example.com"
    assert [m["externalId"] for m in state["online_meetings"]] == ["x"]
    assert state["request_counts"] == {
        "token_client": 1,
        "create_event": 1,
        "create_or_get_online_meeting": 1,
    }
    assert state["config"]["client_secret"] == "********"
    assert emu.handle("GET", "/_emulator/events", {"user": "interviewer@demo.example.com"}).json()["events"]
    assert emu.handle("GET", "/_emulator/online_meetings").json()["online_meetings"][0]["externalId"] == "x"


def test_config_endpoint_applies_options_and_refuses_unknown_ones(emu, app):
    response = post_json(emu, "/_emulator/config", {"faults": [{"group": "list_users", "status": 500}]})
    assert response.status == 200
    assert app.api("GET", "/users").status == 500
    assert post_json(emu, "/_emulator/config", {"bogus": 1}).status == 400
    assert emu.handle("GET", "/_emulator/config").json()["faults"][0]["group"] == "list_users"


def test_reset_returns_to_the_seeded_tenants(emu, app):
    app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW)
    assert post_json(emu, "/_emulator/reset", {}).json() == {"status": "reset"}
    assert emu.events() == []
    assert emu.snapshot()["tenants"][0]["consent"]["active"] is False
    assert app.api("GET", "/users").status == 401


def test_clock_endpoint_sets_and_advances(emu):
    response = post_json(emu, "/_emulator/clock", {"now": "2026-11-30T23:59:00Z", "frozen": True})
    assert response.json() == {"now": "2026-11-30T23:59:00Z", "frozen": True}
    assert post_json(emu, "/_emulator/clock", {"advance": 120}).json()["now"] == "2026-12-01T00:01:00Z"


def test_seed_a_tenant_with_users_consent_and_withdraw(emu):
    tenant = post_json(
        emu,
        "/_emulator/tenants",
        {
            "displayName": "新規株式会社",
            "domain": "new.onmicrosoft.com",
            "users": [{"userPrincipalName": "boss@new.example.com", "roles": ["Global Administrator"]}],
        },
    )
    assert tenant.status == 201
    tenant_id = tenant.json()["id"]
    added = post_json(
        emu, f"/_emulator/tenants/{tenant_id}/users", {"userPrincipalName": "staff@new.example.com"}
    )
    assert added.status == 201
    assert post_json(emu, "/_emulator/tenants/nowhere/users", {"userPrincipalName": "a@b.c"}).status == 400
    assert client_credentials(emu, tenant=tenant_id).status == 400
    assert post_json(emu, "/_emulator/consent/grant", {"tenant": "new.onmicrosoft.com"}).json() == {
        "granted": tenant_id
    }
    token = client_credentials(emu, tenant=tenant_id).json()["access_token"]
    users = Link(emu, {"access_token": token}).api("GET", "/users").json()["value"]
    assert [u["userPrincipalName"] for u in users] == ["boss@new.example.com", "staff@new.example.com"]
    assert post_json(emu, "/_emulator/consent/withdraw", {"tenant": tenant_id}).json() == {"withdrawn": True}
    assert Link(emu, {"access_token": token}).api("GET", "/users").status == 401


def test_event_endpoints_move_and_delete(emu, app):
    event_id = app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()["id"]
    moved = post_json(
        emu,
        f"/_emulator/events/{event_id}/move",
        {"start": {"dateTime": "2026-12-05T09:00:00", "timeZone": "Tokyo Standard Time"}},
    )
    assert moved.status == 200
    assert emu.events()[0]["start"] == "2026-12-05T00:00:00Z"
    assert emu.events()[0]["end"] == "2026-12-05T01:00:00Z"
    assert (
        post_json(emu, f"/_emulator/events/{event_id}/move", {"start": "2026-12-06T00:00:00Z"}).status == 200
    )
    assert emu.events()[0]["start"] == "2026-12-06T00:00:00Z"
    assert post_json(emu, f"/_emulator/events/{event_id}/delete", {}).status == 200
    assert post_json(emu, f"/_emulator/events/{event_id}/delete", {}).status == 404


def test_state_file_round_trip_keeps_consent_tokens_and_events(tmp_path):
    path = tmp_path / "var" / "microsoft_emulator.json"
    first = Emulator(Config(), state_file=path)
    first.set_clock(START, frozen=True)
    linked = link_app(first)
    event = linked.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()
    first.save()
    assert linked.access_token not in path.read_text()  # only token hashes are stored

    second = Emulator(Config(), state_file=path)
    second.set_clock(START, frozen=True)
    again = Link(second, linked.tokens)
    assert (
        again.api("GET", f"/users/{INTERVIEWER}/events/{event['id']}").json()["subject"]
        == INTERVIEW["subject"]
    )


def test_a_state_file_of_another_version_is_ignored(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 0, "events": {"1": {}}}))
    assert Emulator(Config(), state_file=path).snapshot()["events"] == []
