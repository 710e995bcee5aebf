"""The booking history (the applicant's timeline) and the audit entries of booking actions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import User
from applicants.models import Applicant
from booking.models import Booking, BookingLog, BookingLogKind
from booking.rules import slot_label, when
from scheduling.models import Slot


def log_booking(
    booking: Booking | None,
    *,
    applicant: Applicant,
    kind: str,
    slot: Slot,
    actor: User | None,
    body: str = "",
) -> None:
    """One line of the applicant's booking history, as the timeline shows it (the slot's time by default)."""
    BookingLog.objects.create(
        company_id=applicant.company_id,
        applicant=applicant,
        booking=booking,
        kind=kind,
        title=f"{BookingLogKind(kind).label}: {slot_label(slot)}",
        body=body or when(slot),
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor.display_name if actor is not None else "",
    )


def audit_booking(
    action: str, booking: Booking, *, actor: User | None, request: HttpRequest | None, **details: Any
) -> None:
    """An audit entry for a booking; no applicant name in the label, as the log outlives a deletion."""
    record_audit(
        action=action,
        actor=actor,
        company=booking.company,
        target=booking,
        target_label=_("予約 #%(id)s: %(slot)s") % {"id": booking.pk, "slot": slot_label(booking.slot)},
        details={"applicant_id": booking.applicant_id, "slot_id": booking.slot_id, **details},
        request=request,
    )
