"""Pacing of web-meeting calls against the service's per-second rate limits, shared by every worker and
machine.

Each service limits an account per second and per bucket, for all apps together (Zoom Pro: Light 30/s,
Medium 20/s, Heavy 10/s); the provider names its buckets and rates (``MeetingProvider.limits()``). Each call
first reserves a send time with GCRA (a "theoretical arrival time" that advances by 1/rate per call) and
sleeps until then, so calls leave evenly spaced and never more than the rate in any one-second window,
whichever process or machine sends them. The reservation is kept in Redis (one Lua script, Redis' own clock)
when Redis is configured, otherwise in a PostgreSQL/SQLite row taken with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

import logging
import time
from functools import cache

from django.conf import settings
from django.db import transaction

from scheduling.models import PacingState
from web_meetings.providers import provider_for

logger = logging.getLogger(__name__)

_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
if wait > max_wait then return {0, tostring(wait)} end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((wait + interval) * 1000) + 60000)
return {1, tostring(wait)}
"""


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
    configured = getattr(settings, "SCHEDULING_PACING_REDIS_URL", None)
    if configured is not None:
        return configured
    for url in (settings.REDIS_URL, settings.CELERY_BROKER_URL):
        if url and url.startswith(("redis://", "rediss://", "unix://")):
            return url
    return ""


@cache
def _redis_client(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client, client.register_script(_GCRA)


def _key(provider: str, account: str, category: str) -> str:
    # The database name keeps test runs and benchmarks that share one Redis apart.
    database = settings.DATABASES["default"].get("NAME", "")
    return f"e2rpro:{provider}-pace:{database}:{account}:{category}"


def _reserve_redis(url: str, key: str, interval: float, max_wait: float) -> float:
    _client, script = _redis_client(url)
    ok, wait = script(keys=[key], args=[repr(interval), repr(max_wait)])
    wait = float(wait)
    if not int(ok):
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
    key = _key(provider, account, category)
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
