"""Booking's sections of pages that belong to lower apps: the applicant page and the slot page."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest
from applicants.models import Applicant
from applicants.timeline import TimelineItem
from booking import links, selectors
from booking.models import Attendance
from scheduling.models import Slot


def applicant_bookings_panel(
    request: AuthenticatedHttpRequest, applicant: Applicant, timeline: list[TimelineItem]
) -> str:
    """The 予約 panel of the applicant page: the bookings the user may read (a 面接官: the active ones in
    the slots they host), and for staff the waitlist, the personal links and the 代行予約 / 日程選択案内
    buttons."""
    user = request.user
    staff = user.is_recruiter_or_admin
    # Every link, booking and waitlist entry writes a "booking" item to the timeline the page already
    # read: an applicant without one has nothing to show here, so the panel costs no query for them.
    active = any(item.kind == "booking" for item in timeline)
    invitations = selectors.applicant_invitations(applicant) if staff and active else []
    usable = next((invitation for invitation in invitations if invitation.is_usable()), None)
    context = {
        "applicant": applicant,
        "bookings": selectors.applicant_bookings(applicant, user) if active else [],
        "waits": selectors.applicant_waits(applicant, user) if active else [],
        "invitations": invitations,
        "current_link": links.invitation_url(usable) if usable else "",
        "can_manage": staff and not applicant.is_anonymized,
    }
    return render_to_string("booking/staff/_applicant_bookings.html", context, request=request)


def slot_bookings_panel(request: AuthenticatedHttpRequest, slot: Slot) -> str:
    """The slot page's 予約者 section: the bookings the user may read (a 面接官: the active ones) with their
    出欠, for staff the waitlist and the 代行予約 button. Once the slot has started, whoever reads active
    bookings here (staff; a 面接官 of the slot) records their 出欠 in one form (shown disabled before)."""
    bookings = selectors.slot_bookings(slot, request.user)
    started = slot.starts_at <= timezone.now()
    context = {
        "slot": slot,
        "bookings": bookings,
        "waitlist": selectors.slot_waitlist(slot, request.user),
        "can_manage": request.user.is_recruiter_or_admin,
        "started": started,
        # Before the start the form shows disabled, saying when it opens.
        "can_record": any(booking.is_active for booking in bookings),
        "attendance_choices": [("", _("未記録")), *Attendance.choices],
    }
    return render_to_string("booking/staff/_slot_bookings.html", context, request=request)
