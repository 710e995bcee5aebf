"""Faults on demand: 5xx, non-JSON bodies, timeouts, hang-ups, latency, and faults after the action."""

from __future__ import annotations

import time

import pytest

from zoom_emulator import ConfigError

from .helpers import INTERVIEW, refresh


def test_status_fault_answers_a_json_5xx_for_the_selected_group_only(emu, linked):
    emu.configure(faults=[{"group": "create_meeting", "mode": "status", "status": 503}])
    response = linked.api("POST", "/users/me/meetings", body=INTERVIEW)
    assert (response.status, response.json()) == (503, {"code": 503, "message": "Service Unavailable"})
    assert emu.meetings() == []
    assert linked.api("GET", "/users/me").status == 200
    assert emu.snapshot()["fault_counts"] == {"create_meeting": 1}


def test_html_fault_answers_a_non_json_body(emu, linked):
    emu.configure(faults=[{"group": "api", "mode": "html", "status": 502}])
    response = linked.api("GET", "/users")
    assert response.status == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.body.startswith(b"<html>")
    with pytest.raises(ValueError):
        response.json()


def test_timeout_and_disconnect_faults_tell_the_transport(emu, linked):
    emu.configure(
        faults=[{"group": "get_user", "mode": "timeout"}, {"group": "list_users", "mode": "disconnect"}]
    )
    assert linked.api("GET", "/users/me").fault == "timeout"
    assert linked.api("GET", "/users").fault == "disconnect"


def test_fault_after_create_leaves_the_meeting_in_zoom_but_loses_the_answer(emu, linked):
    emu.configure(faults=[{"group": "create_meeting", "mode": "timeout", "after": True, "times": 1}])
    lost = linked.api("POST", "/users/me/meetings", body=INTERVIEW)
    assert lost.fault == "timeout"
    assert [m["agenda"] for m in emu.meetings()] == [INTERVIEW["agenda"]]
    # The rule is spent: the next create answers normally (and makes a second meeting: no idempotency key).
    assert linked.api("POST", "/users/me/meetings", body=INTERVIEW).status == 201
    assert len(emu.meetings()) == 2


def test_refresh_that_rotates_but_drops_the_answer_kills_the_old_token(emu, linked):
    emu.configure(faults=[{"group": "refresh", "mode": "timeout", "after": True, "times": 1}])
    assert refresh(emu, linked.tokens["refresh_token"]).fault == "timeout"
    retried = refresh(emu, linked.tokens["refresh_token"])
    assert (retried.status, retried.json()) == (400, {"reason": "Invalid Token!", "error": "invalid_grant"})


def test_fault_before_the_action_leaves_nothing_behind(emu, linked):
    emu.configure(faults=[{"group": "refresh", "mode": "status", "status": 500, "times": 1}])
    assert refresh(emu, linked.tokens["refresh_token"]).status == 500
    assert refresh(emu, linked.tokens["refresh_token"]).status == 200


def test_fault_rate_applies_to_a_share_of_requests(emu, linked):
    emu.configure(seed=3, rate_limits={"light": 10_000}, error_rate=0.3)
    statuses = [linked.api("GET", "/users/me").status for _ in range(300)]
    failures = sum(s in (500, 502, 503) for s in statuses)
    assert 50 < failures < 130
    assert set(statuses) <= {200, 500, 502, 503}
    emu.configure(error_rate=0)
    assert linked.api("GET", "/users/me").status == 200


def test_latency_delays_answers(emu, linked):
    emu.configure(faults=[{"group": "get_user", "mode": "latency", "seconds": 0.2}])
    started = time.monotonic()
    assert linked.api("GET", "/users/me").status == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    linked.api("GET", "/users")
    assert time.monotonic() - started < 0.2


def test_global_latency_applies_to_api_and_token_calls(emu, linked):
    emu.configure(latency=0.1)
    started = time.monotonic()
    refresh(emu, linked.tokens["refresh_token"])
    assert time.monotonic() - started >= 0.1


def test_unknown_fault_options_are_refused(emu):
    with pytest.raises(ConfigError):
        emu.configure(faults=[{"group": "everything", "mode": "status"}])
    with pytest.raises(ConfigError):
        emu.configure(faults=[{"group": "api", "mode": "explode"}])
    with pytest.raises(ConfigError):
        emu.configure(no_such_option=1)
