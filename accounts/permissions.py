"""One permission helper per role. Not signed in → login page; wrong role → 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.models import Role, User

View = Callable[..., HttpResponse]

ADMIN_ROLES = frozenset({Role.ADMIN})
RECRUITER_ROLES = frozenset({Role.ADMIN, Role.RECRUITER})
MEMBER_ROLES = frozenset({Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER})


def has_role(user: User, roles: frozenset[str]) -> bool:
    return bool(user.is_authenticated and user.is_active and user.company_id and user.role in roles)


def _require(roles: frozenset[str]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not has_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = roles  # read by the role-matrix tests
        return wrapper

    return decorator


admin_required = _require(ADMIN_ROLES)
"""管理者 only."""

recruiter_required = _require(RECRUITER_ROLES)
"""採用担当 and 管理者."""

member_required = _require(MEMBER_ROLES)
"""Any company user, 面接官 included."""


def public_view(view: View) -> View:
    """Mark a view that deliberately needs no login (signed applicant links, webhooks)."""
    view.public_view = True
    return view
