"""Account pacing (GCRA send times in Redis or the database) and its fallbacks."""

from __future__ import annotations

import time

import pytest

from accounts import gcra
from scheduling import pacing

pytestmark = pytest.mark.django_db


@pytest.fixture
def pro_rates(settings):
    settings.SCHEDULING_ZOOM_RATE_LIMITS = {"light": 30, "medium": 20, "heavy": 10}
    settings.SCHEDULING_RATE_SAFETY = 1.0
    return settings


def redis_available() -> bool:
    try:
        gcra.redis_client("redis://127.0.0.1:6379/13").ping()
    except Exception:  # noqa: BLE001
        return False
    return True


@pytest.fixture(params=["database", "redis"])
def backend(request, pro_rates):
    if request.param == "redis":
        if not redis_available():
            pytest.skip("Redis is not running")
        pro_rates.SCHEDULING_PACING_REDIS_URL = "redis://127.0.0.1:6379/13"
    pro_rates.SCHEDULING_PACING_BACKEND = request.param
    return request.param


def unique_account() -> str:
    return f"acct-{time.time_ns()}"


def test_calls_are_given_send_times_one_interval_apart(backend):
    account = unique_account()
    started = time.monotonic()

    waits = [pacing.reserve(account=account, operation="create_meeting") for _ in range(6)]

    elapsed = time.monotonic() - started
    # Medium: 20 per second. The sixth call may go 5 x 50 ms after the first, whatever time the calls took.
    assert 0.25 - elapsed - 0.005 <= waits[-1] <= 0.25 + 0.005
    assert waits == sorted(waits)


def test_categories_are_paced_separately(backend):
    account = unique_account()
    for _ in range(5):
        pacing.reserve(account=account, operation="create_meeting")

    assert pacing.reserve(account=account, operation="delete_meeting") < 0.01  # Light has its own budget


def test_a_wait_longer_than_allowed_is_refused_with_the_time_to_come_back(backend):
    account = unique_account()
    for _ in range(4):
        pacing.reserve(account=account, operation="create_meeting", max_wait=1)

    with pytest.raises(pacing.PacingBusy) as refused:
        pacing.reserve(account=account, operation="create_meeting", max_wait=0.1)

    assert 0.1 < refused.value.retry_in <= 0.25


def test_redis_down_falls_back_to_the_database(pro_rates):
    pro_rates.SCHEDULING_PACING_BACKEND = "redis"
    pro_rates.SCHEDULING_PACING_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    account = unique_account()

    waits = [pacing.reserve(account=account, operation="create_meeting") for _ in range(3)]

    assert waits[0] < 0.01 and waits[2] > 0.05
    from scheduling.models import PacingState

    assert PacingState.objects.filter(key__contains=account).exists()


def test_auto_uses_redis_only_when_one_is_configured(settings):
    settings.SCHEDULING_PACING_BACKEND = "auto"
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = ""
    assert pacing.backend() == "database"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert pacing.backend() == "redis"


def test_pacing_uses_the_configured_share_of_each_limit(pro_rates):
    from django.conf import settings as django_settings

    assert pacing.rate_for("medium") == 20
    pro_rates.SCHEDULING_RATE_SAFETY = 0.98
    assert pacing.rate_for("medium") == pytest.approx(19.6)
    assert pacing.rate_for("light") == pytest.approx(29.4)
    del pro_rates.SCHEDULING_RATE_SAFETY
    assert not hasattr(django_settings, "SCHEDULING_RATE_SAFETY")
    assert pacing.rate_for("medium") == pytest.approx(19.6)  # the default
