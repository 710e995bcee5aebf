"""One permission helper per role. Not signed in → login page; wrong role → 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from accounts.models import Role, User

View = Callable[..., HttpResponseBase]


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind ``admin_required``, ``recruiter_required`` or ``member_required`` gets.

    Only a type: Django passes an ordinary HttpRequest, and the decorators guarantee that its ``user`` is a
    signed-in, active user of a company, so the view can hand ``request.user`` on as a ``User``.
    """

    user: User


class RoleView(Protocol):
    """A view behind one of the role decorators; the role-matrix tests read ``allowed_roles``."""

    allowed_roles: frozenset[str]

    def __call__(self, request: HttpRequest, /, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


class PublicView(Protocol):
    """A view marked by ``public_view``; the URL-protection test reads ``public_view``."""

    public_view: bool

    def __call__(self, request: HttpRequest, /, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


ADMIN_ROLES = frozenset({Role.ADMIN})
RECRUITER_ROLES = frozenset({Role.ADMIN, Role.RECRUITER})
MEMBER_ROLES = frozenset({Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER})


def has_role(user: User | AnonymousUser, roles: frozenset[str]) -> bool:
    return bool(user.is_authenticated and user.is_active and user.company_id and user.role in roles)


def _require(roles: frozenset[str]) -> Callable[[View], RoleView]:
    def decorator(view: View) -> RoleView:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        gated = cast(RoleView, wrapper)
        gated.allowed_roles = roles  # read by the role-matrix tests
        return gated

    return decorator


admin_required = _require(ADMIN_ROLES)
"""管理者 only."""

recruiter_required = _require(RECRUITER_ROLES)
"""採用担当 and 管理者."""

member_required = _require(MEMBER_ROLES)
"""Any company user, 面接官 included."""


def public_view(view: View) -> PublicView:
    """Mark a view that deliberately needs no login (signed applicant links, webhooks)."""
    marked = cast(PublicView, view)
    marked.public_view = True
    return marked
