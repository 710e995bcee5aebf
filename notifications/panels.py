"""Notifications' section of the applicant page (registered in NotificationsConfig.ready())."""

from __future__ import annotations

from django.template.loader import render_to_string

from accounts.permissions import AuthenticatedHttpRequest
from applicants.models import Applicant
from applicants.timeline import TimelineItem
from notifications.compose import can_mail


def personal_mail_panel(
    request: AuthenticatedHttpRequest, applicant: Applicant, timeline: list[TimelineItem]
) -> str:
    """個別メールを送る, for 管理者 and 採用担当 (a 面接官 sees nothing)."""
    if not request.user.is_recruiter_or_admin:
        return ""
    context = {"applicant": applicant, "reason": can_mail(applicant)}
    return render_to_string("notifications/_personal_mail_panel.html", context, request=request)
