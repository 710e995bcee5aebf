"""accounts' own signal receivers, connected in AccountsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts import two_factor
from accounts.models import User


def note_two_factor_enrolment(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """user_logged_in: remember in the new session whether the user has an authenticator app set up."""
    if request is not None and hasattr(request, "session"):
        two_factor.remember_enrolment(request, user)
