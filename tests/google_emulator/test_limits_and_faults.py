"""Quotas (403 userRateLimitExceeded / 429 rateLimitExceeded / 403 rateLimitExceeded in Google's shape) and
fault injection (5xx, rate-limit answers, timeouts, lost answers, latency) through config and /_emulator."""

from __future__ import annotations

import json
import time

from .helpers import EVENT_ID, google_error, insert, interview, link, refresh


def post_json(emu, path, data):
    return emu.handle("POST", path, "", {"Content-Type": "application/json"}, json.dumps(data))


def listing(host):
    return host.api("GET", "/calendars/primary/events")


def test_user_quota_answers_403_user_rate_limit_exceeded_until_the_window_ends(emu, host):
    emu.configure(user_quota=2, quota_window=1)
    assert listing(host).status == listing(host).status == 200
    limited = listing(host)
    assert google_error(limited) == (403, "userRateLimitExceeded", "usageLimits")
    assert limited.json()["error"]["message"] == "User Rate Limit Exceeded"
    other = link(emu, "recruiter@demo.example.com")
    assert listing(other).status == 200  # per user
    emu.advance(1)
    assert listing(host).status == 200
    assert emu.snapshot()["rate_limited_counts"] == {"list_events": 1}


def test_user_quota_may_answer_429(emu, host):
    emu.configure(user_quota=1, user_quota_status=429)
    listing(host)
    limited = listing(host)
    assert google_error(limited) == (429, "rateLimitExceeded", "usageLimits")
    assert limited.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_project_quota_answers_403_rate_limit_exceeded(emu, host):
    emu.configure(project_quota=1)
    listing(host)
    other = link(emu, "recruiter@demo.example.com")
    limited = listing(other)
    assert google_error(limited) == (403, "rateLimitExceeded", "usageLimits")
    assert limited.json()["error"]["message"] == "Rate Limit Exceeded"


def test_the_next_n_calls_fail_with_5xx_in_googles_shape(emu, host):
    post_json(emu, "/_emulator/config", {"faults": [{"group": "insert_event", "status": 503, "times": 2}]})
    for _ in range(2):
        failed = insert(host)
        assert google_error(failed) == (503, "backendError", "global")
    assert insert(host).status == 200
    assert emu.snapshot()["fault_counts"] == {"insert_event": 2}


def test_rate_limit_faults(emu, host):
    emu.configure(
        faults=[
            {"group": "list_events", "mode": "rate_limit", "times": 1},
            {"group": "list_events", "mode": "rate_limit", "status": 429, "times": 1},
            {"group": "list_events", "mode": "rate_limit", "reason": "userRateLimitExceeded", "times": 1},
        ]
    )
    assert google_error(listing(host)) == (403, "rateLimitExceeded", "usageLimits")
    assert google_error(listing(host)) == (429, "rateLimitExceeded", "usageLimits")
    assert google_error(listing(host)) == (403, "userRateLimitExceeded", "usageLimits")
    assert listing(host).status == 200


def test_a_lost_answer_after_the_insert_took_effect_makes_the_retry_answer_409(emu, host):
    emu.configure(faults=[{"group": "insert_event", "mode": "timeout", "after": True, "times": 1}])
    lost = insert(host)
    assert lost.fault == "timeout"
    retry = insert(host)
    assert google_error(retry)[:2] == (409, "duplicate")
    assert len(emu.events()) == 1
    assert host.api("GET", f"/calendars/primary/events/{EVENT_ID}").json()["hangoutLink"]


def test_html_and_disconnect_faults(emu, host):
    emu.configure(faults=[{"group": "events", "mode": "html", "status": 502, "times": 1}])
    page = listing(host)
    assert page.status == 502 and page.headers["Content-Type"].startswith("text/html")
    emu.configure(faults=[{"group": "api", "mode": "disconnect", "times": 1}])
    assert listing(host).fault == "disconnect"


def test_token_endpoint_faults_answer_oauth_errors(emu, host):
    emu.configure(faults=[{"group": "refresh", "status": 503, "times": 1}])
    failed = refresh(emu, host.tokens["refresh_token"])
    assert (failed.status, failed.json()["error"]) == (503, "temporarily_unavailable")
    assert refresh(emu, host.tokens["refresh_token"]).status == 200


def test_latency(emu, host):
    emu.configure(faults=[{"group": "get_event", "mode": "latency", "seconds": 0.2, "times": 1}])
    insert(host)
    started = time.monotonic()
    host.api("GET", f"/calendars/primary/events/{EVENT_ID}")
    assert time.monotonic() - started >= 0.2


def test_error_rate_shortcut_and_bad_options(emu, host):
    assert post_json(emu, "/_emulator/config", {"error_rate": 1}).status == 200
    assert insert(host, interview("another01")).status in (500, 502, 503)
    assert post_json(emu, "/_emulator/config", {"error_rate": 0}).status == 200
    assert post_json(emu, "/_emulator/config", {"bogus": 1}).status == 400
    assert post_json(emu, "/_emulator/config", {"faults": [{"group": "nowhere"}]}).status == 400
    assert (
        post_json(emu, "/_emulator/config", {"faults": [{"mode": "rate_limit", "reason": "x"}]}).status == 400
    )
    assert post_json(emu, "/_emulator/config", {"user_quota_status": 500}).status == 400
