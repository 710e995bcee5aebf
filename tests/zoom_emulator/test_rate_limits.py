"""Per-second limits by category and plan, the per-host daily limit across 00:00 UTC, 429 shapes."""

from __future__ import annotations

from datetime import UTC, datetime

from .helpers import INTERVIEW, link

QPS_BODY = {
    "code": 429,
    "message": "You have reached the maximum per-second rate limit for this API. Try again later.",
}
DAILY_BODY = {
    "code": 429,
    "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00.",
}


def test_pro_plan_allows_20_medium_requests_per_second_then_429_with_zoom_headers(emu, linked):
    statuses = [linked.api("GET", "/users").status for _ in range(21)]
    assert statuses == [200] * 20 + [429]
    response = linked.api("GET", "/users")
    assert response.json() == QPS_BODY
    assert response.headers["X-RateLimit-Category"] == "Medium"
    assert response.headers["X-RateLimit-Type"] == "QPS"
    assert response.headers["X-RateLimit-Limit"] == "20"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    # Retry-After is an ISO-8601 date-time (the next second), not a number of seconds.
    assert response.headers["Retry-After"] == "2026-11-25T03:00:01Z"
    emu.advance(1)
    assert linked.api("GET", "/users").status == 200


def test_categories_are_counted_separately(emu, linked):
    for _ in range(20):
        assert linked.api("GET", "/users").status == 200
    assert linked.api("GET", "/users/me").status == 200  # Light: 30/s, still free
    assert linked.api("GET", "/users").status == 429


def test_light_category_allows_30_per_second_on_pro(linked):
    statuses = [linked.api("GET", "/users/me").status for _ in range(31)]
    assert statuses.count(200) == 30
    assert statuses[-1] == 429


def test_business_and_free_plans_have_their_own_figures(emu, linked):
    emu.configure(plan="business")
    assert [linked.api("GET", "/users").status for _ in range(61)].count(429) == 1
    emu.advance(1)
    emu.configure(plan="free")
    assert [linked.api("GET", "/users").status for _ in range(3)] == [200, 200, 429]


def test_rate_limits_can_be_overridden(emu, linked):
    emu.configure(rate_limits={"medium": 1})
    assert [linked.api("GET", "/users").status for _ in range(2)] == [200, 429]


def test_429s_are_counted_in_the_state(emu, linked):
    emu.configure(rate_limits={"medium": 1})
    linked.api("GET", "/users")
    linked.api("GET", "/users")
    state = emu.snapshot()
    assert state["rate_limited_counts"] == {"list_users": 1}
    assert state["rate_limited_by_type"] == {"QPS": 1}
    assert state["request_counts"]["list_users"] == 2


def _fill_daily_budget(emu, linked, host="me", creates=60):
    """60 creates + 40 updates = the host's 100 for the day (per-second limits lifted)."""
    emu.configure(rate_limits={"light": 10_000, "medium": 10_000})
    ids = []
    for _ in range(creates):
        response = linked.api("POST", f"/users/{host}/meetings", body=INTERVIEW)
        assert response.status == 201
        ids.append(response.json()["id"])
    for n in range(100 - creates):
        assert linked.api("PATCH", f"/meetings/{ids[n % len(ids)]}", body={"duration": 30 + n}).status == 204
    return ids


def test_host_daily_limit_counts_creates_and_updates_together(emu, linked):
    ids = _fill_daily_budget(emu, linked)
    create = linked.api("POST", "/users/me/meetings", body=INTERVIEW)
    update = linked.api("PATCH", f"/meetings/{ids[0]}", body={"duration": 15})
    for response in (create, update):
        assert (response.status, response.json()) == (429, DAILY_BODY)
        assert response.headers["X-RateLimit-Type"] == "Daily-limit"
        assert "Retry-After" not in response.headers
    assert linked.api("GET", f"/meetings/{ids[0]}").status == 200  # reads are not part of this limit
    assert linked.api("DELETE", f"/meetings/{ids[1]}").status == 204
    assert emu.snapshot()["rate_limited_by_type"] == {"Daily-limit": 2}


def test_daily_limit_is_per_host(emu, linked):
    _fill_daily_budget(emu, linked)
    other = linked.api("POST", "/users/recruiter@demo.example.com/meetings", body=INTERVIEW)
    assert other.status == 201
    assert other.headers["X-RateLimit-Remaining"] == "99"


def test_daily_limit_resets_at_midnight_utc_not_local_midnight(emu):
    emu.set_clock(datetime(2026, 11, 25, 14, 30, tzinfo=UTC), frozen=True)  # 23:30 in Tokyo
    tokyo_evening = link(emu)
    _fill_daily_budget(emu, tokyo_evening)
    emu.set_clock(datetime(2026, 11, 25, 15, 10, tzinfo=UTC), frozen=True)  # 00:10 in Tokyo, same UTC day
    assert tokyo_evening.api("POST", "/users/me/meetings", body=INTERVIEW).status == 429
    emu.set_clock(datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC), frozen=True)
    before_midnight = link(emu)
    assert before_midnight.api("POST", "/users/me/meetings", body=INTERVIEW).status == 429
    emu.advance(1)  # 00:00:00 UTC
    assert before_midnight.api("POST", "/users/me/meetings", body=INTERVIEW).status == 201


def test_daily_limit_can_send_retry_after_when_configured(emu, linked):
    emu.configure(daily_limit=1, daily_limit_retry_after=True)
    assert linked.api("POST", "/users/me/meetings", body=INTERVIEW).status == 201
    response = linked.api("POST", "/users/me/meetings", body=INTERVIEW)
    assert response.status == 429
    assert response.headers["Retry-After"] == "2026-11-26T00:00:00Z"
    assert "(1)" in response.json()["message"]


def test_successful_creates_report_the_remaining_daily_budget(linked):
    response = linked.api("POST", "/users/me/meetings", body=INTERVIEW)
    assert response.headers["X-RateLimit-Type"] == "Daily-limit"
    assert response.headers["X-RateLimit-Limit"] == "100"
    assert response.headers["X-RateLimit-Remaining"] == "99"
