"""Throttling (429 + Retry-After) and faults on demand: 5xx, non-JSON, timeouts, hang-ups, latency, after."""

from __future__ import annotations

import time

import pytest

from microsoft_emulator import ConfigError

from .helpers import INTERVIEW, INTERVIEWER, RECRUITER, client_credentials, refresh


def create(app, body=INTERVIEW, user=INTERVIEWER):
    return app.api("POST", f"/users/{user}/events", body=body)


def test_the_mailbox_limit_answers_429_with_retry_after_then_recovers(app, emu):
    emu.configure(throttle_limit=3, throttle_window=60)
    statuses = [app.api("GET", f"/users/{INTERVIEWER}/events").status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = app.api("GET", f"/users/{INTERVIEWER}/events")
    assert throttled.headers["Retry-After"] == "60"
    error = throttled.json()["error"]
    assert (error["code"], error["message"]) == (
        "ApplicationThrottled",
        "Application is over its MailboxConcurrency limit.",
    )
    assert app.api("GET", f"/users/{RECRUITER}/events").status == 200  # another mailbox
    emu.advance(30)
    assert app.api("GET", f"/users/{INTERVIEWER}/events").headers["Retry-After"] == "30"
    emu.advance(30)
    assert app.api("GET", f"/users/{INTERVIEWER}/events").status == 200
    assert emu.snapshot()["throttled_counts"] == {"list_events": 3}


def test_throttle_fault_answers_429_too_many_requests(app, emu):
    emu.configure(faults=[{"group": "create_event", "mode": "throttle", "retry_after": 7, "times": 1}])
    response = create(app)
    assert response.status == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == "ApplicationThrottled"
    assert emu.events() == []
    assert create(app).status == 201


def test_status_fault_answers_in_graphs_error_shape_for_the_group_only(app, emu):
    emu.configure(faults=[{"group": "event_writes", "mode": "status", "status": 503}])
    response = create(app)
    assert response.status == 503
    error = response.json()["error"]
    assert error["code"] == "serviceNotAvailable"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert app.api("GET", "/users").status == 200
    assert emu.snapshot()["fault_counts"] == {"create_event": 1}


def test_html_fault_answers_a_non_json_body(app, emu):
    emu.configure(faults=[{"group": "api", "mode": "html", "status": 502}])
    response = app.api("GET", "/users")
    assert response.status == 502
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_timeout_and_disconnect_faults_tell_the_transport(app, emu):
    emu.configure(
        faults=[{"group": "get_user", "mode": "timeout"}, {"group": "list_users", "mode": "disconnect"}]
    )
    assert app.api("GET", f"/users/{INTERVIEWER}").fault == "timeout"
    assert app.api("GET", "/users").fault == "disconnect"


def test_a_lost_create_answer_is_recovered_by_retrying_with_the_transaction_id(app, emu):
    emu.configure(faults=[{"group": "create_event", "mode": "timeout", "after": True, "times": 1}])
    assert create(app).fault == "timeout"
    assert len(emu.events()) == 1  # made, but the answer was lost
    retried = create(app)
    assert retried.status == 201
    assert retried.json()["id"] == emu.events()[0]["id"]
    assert len(emu.events()) == 1


def test_token_endpoint_faults_answer_in_the_identity_platforms_shape(app, emu):
    emu.configure(faults=[{"group": "token_client", "mode": "status", "status": 503, "times": 1}])
    response = client_credentials(emu)
    assert response.status == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert client_credentials(emu).status == 200


def test_a_refresh_whose_answer_is_lost_leaves_the_old_refresh_token_usable(delegated, emu):
    emu.configure(faults=[{"group": "refresh", "mode": "timeout", "after": True, "times": 1}])
    assert refresh(emu, delegated.tokens["refresh_token"]).fault == "timeout"
    assert refresh(emu, delegated.tokens["refresh_token"]).status == 200


def test_error_rate_applies_to_a_share_of_requests(app, emu):
    emu.configure(seed=3, error_rate=0.3)
    statuses = [app.api("GET", f"/users/{INTERVIEWER}").status for _ in range(300)]
    failures = sum(s in (500, 502, 503) for s in statuses)
    assert 50 < failures < 130
    emu.configure(error_rate=0)
    assert app.api("GET", f"/users/{INTERVIEWER}").status == 200


def test_latency_delays_only_the_named_endpoint(app, emu):
    emu.configure(faults=[{"group": "get_user", "mode": "latency", "seconds": 0.2}])
    started = time.monotonic()
    assert app.api("GET", f"/users/{INTERVIEWER}").status == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    app.api("GET", "/users")
    assert time.monotonic() - started < 0.2


def test_unknown_fault_options_are_refused(emu):
    with pytest.raises(ConfigError):
        emu.configure(faults=[{"group": "everything"}])
    with pytest.raises(ConfigError):
        emu.configure(faults=[{"group": "api", "mode": "explode"}])
    with pytest.raises(ConfigError):
        emu.configure(no_such_option=1)
