"""Booking's answers to what the apps below it announce (connected in BookingConfig.ready())."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import User
from applicants.models import Applicant
from booking import selectors, services, slot_changes, tasks
from scheduling.models import Slot
from scheduling.signals import SlotChange

logger = logging.getLogger(__name__)


def on_slot_changed(
    *, slot_id: int, change: SlotChange, change_id: str, details: dict[str, str], **_: Any
) -> None:
    """Mail the slot's booked applicants from a worker; in-process when the broker is down."""
    args = (slot_id, change.value, change_id, details)
    try:
        tasks.notify_slot_change.delay(*args)
    except (BrokerError, OSError):
        logger.warning("could not enqueue the booking notice of slot %s; sending in-process", slot_id)
        slot_changes.notify_slot_change(
            slot_id=slot_id, reason=change.value, change_id=change_id, details=details
        )


def on_slot_seats_added(*, slot: Slot, **_: Any) -> None:
    """New seats go to the applicants waiting for them (same transaction, slot locked)."""
    services.promote_waitlist(slot=slot)


def on_slot_deleted(*, slot: Slot, **_: Any) -> None:
    services.close_waitlist_of_slot(slot=slot)


def on_applicant_anonymizing(*, applicant: Applicant, actor: User | None, **_: Any) -> None:
    services.cancel_future_bookings_for_applicant(applicant=applicant, actor=actor)


def interviewer_applicant_ids(user: User) -> QuerySet[Any]:
    """The interviewer's applicant scope: applicants booked into slots of events they host."""
    return selectors.applicant_ids_for_interviewer(user)
