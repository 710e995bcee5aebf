"""Send-time reservations with GCRA in Redis, shared by every worker and machine.

A reservation advances a "theoretical arrival time" by 1/rate, so whatever process sends, sends leave evenly
spaced and never faster than the rate in any second. One Lua script on Redis' own clock reads and advances
it atomically, and refuses a send time further away than the caller allows. Used by
``scheduling.pacing`` (web-meeting calls per account and rate bucket) and ``notifications.pacing`` (mail to
the SMTP relay); each keeps its own fallback for when Redis is not configured or cannot be reached.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings

_SCRIPT = """
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


def redis_url(setting: str) -> str:
    """The Redis to reserve in: ``settings.<setting>`` when it is set ("" for none), else REDIS_URL or the
    Celery broker when either is a Redis."""
    configured = getattr(settings, setting, None)
    if configured is not None:
        return configured
    for url in (settings.REDIS_URL, settings.CELERY_BROKER_URL):
        if url and url.startswith(("redis://", "rediss://", "unix://")):
            return url
    return ""


@cache
def redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


@cache
def _script(url: str) -> Any:
    return redis_client(url).register_script(_SCRIPT)


def key(name: str, *parts: str) -> str:
    """The Redis key of the reservations ``name`` (and ``parts``), apart per database: test runs and
    benchmarks that share one Redis do not pace each other."""
    database = settings.DATABASES["default"].get("NAME", "")
    return ":".join(["e2rpro", name, str(database), *parts])


def reserve(url: str, key: str, *, interval: float, max_wait: float) -> tuple[bool, float]:
    """Reserve the next send time ``interval`` seconds after the last one: (reserved, seconds to wait).

    Not reserved when the wait would be longer than ``max_wait``. Raises what the Redis client raises when
    Redis cannot be reached."""
    reserved, wait = _script(url)(keys=[key], args=[repr(interval), repr(max_wait)])
    return bool(int(reserved)), float(wait)
