"""Pacing of web-meeting calls against the service's per-second rate limits, shared by every worker and
machine.

Each service limits an account per second and per bucket, for all apps together (Zoom Pro: Light 30/s,
Medium 20/s, Heavy 10/s); the provider names its buckets and rates (``MeetingProvider.limits()``). Each call
first reserves a send time with GCRA (``accounts.gcra``: 1/rate apart) and sleeps until then, so calls
leave evenly spaced and never more than the rate in any one-second window, whichever process or machine
sends them. The reservation is kept in Redis when Redis is configured, otherwise (and while Redis cannot
be reached) in a PostgreSQL/SQLite row taken with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction

from accounts import gcra
from scheduling.models import PacingState
from web_meetings.providers import provider_for

logger = logging.getLogger(__name__)


class PacingBusy(Exception):
    """The account is so busy that waiting for a send time would take longer than allowed."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"pacing: next send time in {retry_in:.1f}s")
        self.retry_in = retry_in


def rate_for(category: str, provider: str = "zoom") -> float:
    """Calls per second we allow ourselves in the provider's bucket: its rate times a safety factor
    (``SCHEDULING_RATE_SAFETY``, default 0.98, for every service)."""
    rates = provider_for(provider).limits().rates
    return rates[category] * getattr(settings, "SCHEDULING_RATE_SAFETY", 0.98)


def _redis_url() -> str:
    return gcra.redis_url("SCHEDULING_PACING_REDIS_URL")


def _reserve_redis(url: str, key: str, interval: float, max_wait: float) -> float:
    reserved, wait = gcra.reserve(url, key, interval=interval, max_wait=max_wait)
    if not reserved:
        raise PacingBusy(wait)
    return wait


def _reserve_database(key: str, interval: float, max_wait: float) -> float:
    PacingState.objects.get_or_create(key=key)
    with transaction.atomic():
        row = PacingState.objects.select_for_update().get(key=key)
        now = time.time()
        next_at = max(row.next_at, now)
        wait = next_at - now
        if wait > max_wait:
            raise PacingBusy(wait)
        row.next_at = next_at + interval
        row.save(update_fields=["next_at"])
    return wait


def backend() -> str:
    choice = getattr(settings, "SCHEDULING_PACING_BACKEND", "auto")
    if choice == "auto":
        return "redis" if _redis_url() else "database"
    return choice


def reserve(*, account: str, operation: str, provider: str = "zoom", max_wait: float | None = None) -> float:
    """Reserve the next send time for ``operation`` on the provider's ``account``; returns the seconds to
    wait."""
    category = provider_for(provider).limits().categories[operation]
    interval = 1.0 / rate_for(category, provider)
    max_wait = getattr(settings, "SCHEDULING_PACING_MAX_WAIT", 10.0) if max_wait is None else max_wait
    key = gcra.key(f"{provider}-pace", account, category)
    if backend() == "redis":
        try:
            return _reserve_redis(_redis_url(), key, interval, max_wait)
        except PacingBusy:
            raise
        except Exception:  # noqa: BLE001 - Redis down: the database still paces correctly
            logger.warning("pacing: Redis unavailable, pacing through the database")
    return _reserve_database(key, interval, max_wait)


def pace(*, account: str, operation: str, provider: str = "zoom") -> None:
    """Wait until this process may send ``operation`` to the provider's service for ``account``."""
    wait = reserve(account=account, operation=operation, provider=provider)
    if wait > 0:
        time.sleep(wait)
