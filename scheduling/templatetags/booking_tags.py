"""Template helpers for booking pages: dates as the mails write them, and the applicant page's 予約 panel.

The applicant page (templates/applicants/detail.html) shows bookings with::

    {% load booking_tags %}{% applicant_bookings applicant %}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from notifications.rendering import format_datetime, format_when
from scheduling import booking_selectors, links
from scheduling.models import Slot

register = template.Library()


@register.filter
def slot_when(slot: Slot) -> str:
    """2026年12月1日(火) 14:00〜15:00 in the slot's company zone."""
    return format_when(slot.starts_at, slot.ends_at, slot.company.tzinfo)


@register.filter
def company_datetime(value: datetime | None, company: Any) -> str:
    """2026年12月1日(火) 14:00 in ``company``'s zone."""
    return format_datetime(value, company.tzinfo) if value and company else ""


@register.inclusion_tag("scheduling/partials/applicant_bookings.html", takes_context=True)
def applicant_bookings(context: template.Context, applicant: Any) -> dict:
    """The 予約 panel of the applicant page: bookings (a 面接官 sees only the slots they host), and for
    staff the waitlist, the personal links and the 代行予約 / 日程選択案内 buttons."""
    request = context["request"]
    user = request.user
    staff = user.is_recruiter_or_admin
    # Every link, booking and waitlist entry writes a "booking" item to the timeline the page already
    # read: an applicant without one has nothing to show here, so the panel costs no query for them.
    timeline = context.get("timeline")
    active = timeline is None or any(item.kind == "booking" for item in timeline)
    invitations = booking_selectors.applicant_invitations(applicant) if staff and active else []
    usable = next((invitation for invitation in invitations if invitation.is_usable()), None)
    return {
        "applicant": applicant,
        "bookings": booking_selectors.applicant_bookings(applicant, user) if active else [],
        "waits": booking_selectors.applicant_waits(applicant) if staff and active else [],
        "invitations": invitations,
        "current_link": links.invitation_url(usable) if usable else "",
        "can_manage": staff and not applicant.is_anonymized,
        "csrf_token": context.get("csrf_token"),
    }
