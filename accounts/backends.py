"""Email sign-in behind the throttle (accounts/throttling.py) and the account lock."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts import throttling
from accounts.models import User


class LoginRefused:
    """Why the last sign-in on a request was refused, for the login form's message (set on the request)."""

    THROTTLED = "throttled"
    LOCKED = "locked"


def refusal_of(request: HttpRequest | None) -> tuple[str, int] | None:
    return getattr(request, "_login_refusal", None)


def _refuse(request: HttpRequest | None, reason: str, seconds: int = 0) -> None:
    if request is not None:
        request._login_refusal = (reason, seconds)  # type: ignore[attr-defined]


class ThrottledEmailBackend(ModelBackend):
    """Counts the try before checking the password; a locked account signs in only after it is lifted."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username or kwargs.get("email") or ""
        if not email or password is None:
            return None
        refusal = throttling.admit_attempt(email, request)
        if refusal is not None:
            _refuse(request, LoginRefused.THROTTLED, refusal.retry_after_seconds)
            return None
        user = super().authenticate(request, username=email, password=password, **kwargs)
        if not isinstance(user, User):
            throttling.record_failure(email, request)
            return None
        if user.is_locked:
            _refuse(request, LoginRefused.LOCKED)
            return None
        throttling.record_success(email, request)
        if user.locked_at is not None:  # a lock that ran out
            User.objects.filter(pk=user.pk).update(locked_at=None, locked_until=None)
        return user
