"""Sign-in throttling that an attacker cannot turn against other users.

Two counters in the cache (Redis in production, shared by every process):

* **per client address and account** (``pair``): every try is counted *before* the password is checked
  (an atomic increment), so concurrent tries cannot all slip under the limit. After
  ``LOGIN_FAILURE_LIMIT`` tries in the window, further tries pass one at a time on a growing schedule:
  the first ``LOGIN_DELAY_SECONDS`` after the window's first try, each next wait twice as long (capped at
  ``LOGIN_DELAY_MAX_SECONDS``); the window (``LOGIN_FAILURE_WINDOW_SECONDS``) then starts afresh. A client
  spraying many accounts slows only itself; a colleague behind the same office address signs in to their
  own account undisturbed.
* **per account** from any address (``account``): wrong passwords counted after the check. At
  ``LOGIN_ACCOUNT_LOCK_THRESHOLD`` in the window the account is locked in the database (``User.locked_at``),
  which 操作ログ records and ユーザー管理 shows with a button to lift it. Reaching it needs many addresses,
  because each one is slowed down by its own counter first.

The client address comes from ``accounts.network.client_ip`` (trusted proxies only). While the cache is
unreachable the counters fail open: signing in keeps working and the log says so.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.audit import record_audit
from accounts.models import User
from accounts.network import client_ip

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in try was refused without looking at the password, and for how long."""

    retry_after_seconds: int


def _fail_open(default: Any) -> Callable:
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


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _pair_key(email: str, request: HttpRequest | None) -> str:
    return f"login:pair:{_digest(client_ip(request) or 'unknown')}:{_digest(email)}"


def _account_key(email: str) -> str:
    return f"login:account:{_digest(email)}"


def _count(key: str) -> int:
    """Add one to ``key`` atomically and return the new value (the window starts at the first count)."""
    cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return 1


def _now() -> float:
    return time.time()


def pass_opens_after(number: int) -> float:
    """Seconds from the window's first try until the ``number``-th try past the limit may check a password:
    the waits double from LOGIN_DELAY_SECONDS, each capped at LOGIN_DELAY_MAX_SECONDS."""
    base, cap = settings.LOGIN_DELAY_SECONDS, settings.LOGIN_DELAY_MAX_SECONDS
    return float(sum(min(base * 2 ** min(step, 30), cap) for step in range(number)))


def _passes_open(elapsed: float) -> int:
    base, cap = settings.LOGIN_DELAY_SECONDS, settings.LOGIN_DELAY_MAX_SECONDS
    opened, opens_at = 0, float(base)
    while opens_at <= elapsed:
        opened += 1
        opens_at += min(base * 2 ** min(opened, 30), cap)
    return opened


@_fail_open(None)
def admit_attempt(email: str, request: HttpRequest | None) -> Refusal | None:
    """Count this try for (client address, account); None lets it check the password.

    Past the limit, tries share passes that open on a growing schedule. Each try takes a pass by an atomic
    increment and gives it back (decrement) when none was open, so however many tries arrive at once, no
    more passwords are checked than passes have opened.
    """
    if settings.LOGIN_DELAY_SECONDS <= 0:
        return None
    key = _pair_key(email, request)
    now = _now()
    cache.add(f"{key}:start", now, settings.LOGIN_FAILURE_WINDOW_SECONDS)
    tries = _count(key)
    if tries <= settings.LOGIN_FAILURE_LIMIT:
        return None
    if tries == settings.LOGIN_FAILURE_LIMIT + 1:
        _record_throttled(email, request)
    elapsed = now - (cache.get(f"{key}:start") or now)
    opened = _passes_open(elapsed)
    passes = f"{key}:passes"
    if _count(passes) <= opened:
        return None
    cache.decr(passes)
    wait = pass_opens_after(opened + 1) - elapsed
    return Refusal(retry_after_seconds=max(1, math.ceil(wait)))


@_fail_open(None)
def record_failure(email: str, request: HttpRequest | None) -> None:
    """A wrong password for ``email``: count it for the account, and lock the account at the threshold."""
    if _count(_account_key(email)) == settings.LOGIN_ACCOUNT_LOCK_THRESHOLD:
        lock_account(email=email, request=request)


@_fail_open(None)
def record_success(email: str, request: HttpRequest | None) -> None:
    key = _pair_key(email, request)
    cache.delete_many([key, f"{key}:start", f"{key}:passes", _account_key(email)])


def _record_throttled(email: str, request: HttpRequest | None) -> None:
    """操作ログ: the first slowed-down try from one address against an existing account, once per window."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is not None:
        record_audit(
            action="user.login_throttled",
            target=user,
            company=user.company,
            details={"tries": settings.LOGIN_FAILURE_LIMIT + 1},
            request=request,
        )


def lock_account(*, email: str, request: HttpRequest | None) -> User | None:
    """Lock the account of ``email`` (if there is one) and record it in 操作ログ."""
    seconds = settings.LOGIN_ACCOUNT_LOCK_SECONDS
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email.strip()).first()
        if user is None or user.is_locked:
            return user
        now = timezone.now()
        user.locked_at = now
        user.locked_until = now + timedelta(seconds=seconds) if seconds else None
        user.save(update_fields=["locked_at", "locked_until"])
        record_audit(
            action="user.locked",
            target=user,
            company=user.company,
            details={
                "failures": settings.LOGIN_ACCOUNT_LOCK_THRESHOLD,
                "until": user.locked_until.isoformat() if user.locked_until else None,
            },
            request=request,
        )
    logger.warning("login throttle: account %s locked after repeated wrong passwords", user.pk)
    return user


def clear_account_failures(email: str) -> None:
    try:
        cache.delete(_account_key(email))
    except Exception:  # noqa: BLE001 - see _fail_open
        logger.warning("login throttle: the cache is unavailable; the failure count was not cleared")
