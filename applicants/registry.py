"""What higher apps add to applicants: the 面接官's applicant scope and panels of the applicant page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from accounts.hooks import Registry
from accounts.models import User
from accounts.permissions import AuthenticatedHttpRequest

if TYPE_CHECKING:
    from applicants.models import Applicant
    from applicants.timeline import TimelineItem

# ``scope(user)``: ids of the applicants a 面接官 may read (a values("applicant_id") queryset or a list).
InterviewerScope = Callable[[User], "QuerySet[Any] | Sequence[int]"]
interviewer_scopes: Registry[InterviewerScope] = Registry(
    "applicants.registry.interviewer_scopes", required_from=["booking"]
)

# ``panel(request, applicant, timeline)``: a rendered section of the applicant page, or "" for none.
ApplicantPanel = Callable[[AuthenticatedHttpRequest, "Applicant", "list[TimelineItem]"], str]
applicant_panels: Registry[ApplicantPanel] = Registry(
    "applicants.registry.applicant_panels", required_from=["booking"]
)
