"""Email login with throttling after repeated failures (per address and per client IP)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _fail_open(default: Any) -> Callable:
    """The counters live in the cache (Redis in production). While it is unreachable, signing in must still
    work: the throttle stops counting for the outage and says so in the log, instead of a 500 for everyone."""

    def decorate(function: Callable) -> Callable:
        @wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except Exception:  # noqa: BLE001 - any cache backend error (redis.ConnectionError, timeouts)
                logger.warning("login throttle: the cache is unavailable; failures are not counted meanwhile")
                return default

        return guarded

    return decorate


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def _keys(email: str, request: HttpRequest | None) -> list[str]:
    keys = [_key("email", email or "")]
    if request is not None and request.META.get("REMOTE_ADDR"):
        keys.append(_key("ip", request.META["REMOTE_ADDR"]))
    return keys


@_fail_open(False)
def is_login_throttled(email: str, request: HttpRequest | None) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    email_key, *ip_keys = _keys(email, request)
    if (cache.get(email_key) or 0) >= limit:
        return True
    # A client address gets more room: an office shares one address.
    return any((cache.get(key) or 0) >= limit * 4 for key in ip_keys)


@_fail_open(None)
def record_login_failure(email: str, request: HttpRequest | None) -> None:
    for key in _keys(email, request):
        cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)


@_fail_open(None)
def clear_login_failures(email: str) -> None:
    cache.delete(_key("email", email or ""))


class ThrottledEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username or kwargs.get("email") or ""
        if is_login_throttled(email, request):
            return None
        user = super().authenticate(request, username=email, password=password, **kwargs)
        if user is None:
            record_login_failure(email, request)
        else:
            clear_login_failures(email)
        return user
