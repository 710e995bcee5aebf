"""リマインド: the booking side of notifications.reminders (registered in SchedulingConfig.ready()).

Due: an active booking whose slot starts within its event's reminder hours and has not been reminded.
One query per distinct reminder setting (companies use a handful: 24, 48 hours ...), rows locked with
SKIP LOCKED and marked in the same transaction as the mail is queued, so a second beat run sends nothing.
The key carries the slot and its start: a booking moved after its reminder gets a new one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

from booking import mail
from booking.models import Booking, BookingStatus
from notifications.reminders import ReminderMail
from scheduling.models import Event

BATCH = 200


def _mark(booking_id: int, now: datetime) -> None:
    Booking.objects.filter(pk=booking_id).update(reminder_sent_at=now)


def booking_reminders(now: datetime) -> Iterator[ReminderMail]:
    hours_in_use = (
        Event.objects.filter(reminder_hours_before__isnull=False)
        .order_by()
        .values_list("reminder_hours_before", flat=True)
        .distinct()
    )
    for hours in [hours for hours in hours_in_use if hours is not None]:  # the filter leaves no None
        due = (
            Booking.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=BookingStatus.ACTIVE,
                reminder_sent_at__isnull=True,
                event__reminder_hours_before=hours,
                slot__deleted_at__isnull=True,
                slot__starts_at__gt=now,
                slot__starts_at__lte=now + timedelta(hours=hours),
            )
            .select_related(
                "applicant", "invitation", "company", "slot__company", "slot__event__selection_meeting"
            )
            .order_by("slot__starts_at", "pk")[:BATCH]
        )
        for booking in due:
            if not booking.applicant.email or booking.applicant.is_anonymized:
                _mark(booking.pk, now)
                continue
            yield ReminderMail(
                company=booking.company,
                to=booking.applicant.email,
                context=mail.applicant_context(booking),
                key=f"booking-{booking.pk}-slot-{booking.slot_id}-{booking.slot.starts_at:%Y%m%dT%H%M}",
                applicant=booking.applicant,
                booking=booking,
                mark_sent=partial(_mark, booking.pk, now),
            )
