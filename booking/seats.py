"""A slot's seat counter (``Slot.booked_count``): the active bookings in it.

Only booking writes it, always holding the slot row's lock (SELECT … FOR UPDATE) in the transaction that
books, moves, cancels or promotes, so it is exact and the capacity check reads it instead of counting.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F

from accounts.prepared import PreparedQuery
from booking.models import Booking, BookingStatus
from scheduling.models import Slot

SEAT_CHECK_FIELDS = (
    "starts_at",
    "ends_at",
    "capacity",
    "booked_count",
    "deleted_at",
    "is_published",
    "event_id",
)


# Compiled once (accounts.prepared): every booking, move and cancellation takes this lock.
_LOCKED_SLOT: PreparedQuery[Slot] = PreparedQuery(
    lambda slot_id: Slot.all_objects.select_for_update().only(*SEAT_CHECK_FIELDS).filter(pk=slot_id),
    slot_id=-1,
)


def lock_slot_row(slot_id: int) -> Slot | None:
    """The slot's row, locked (SELECT … FOR UPDATE) until the transaction ends, with only the fields a
    seat check reads; None when there is no such slot."""
    return _LOCKED_SLOT.first(slot_id=slot_id)


def take_seat(slot: Slot) -> None:
    """One more active booking in a slot this transaction has locked."""
    Slot.all_objects.filter(pk=slot.pk).update(booked_count=F("booked_count") + 1)
    slot.booked_count += 1


def free_seat(slot: Slot) -> None:
    """One active booking fewer in a slot this transaction has locked."""
    Slot.all_objects.filter(pk=slot.pk).update(booked_count=F("booked_count") - 1)
    slot.booked_count -= 1


def recount_booked_seats(*, slot_ids: list[int] | None = None) -> int:
    """Set each slot's counter from its active bookings, under the slot locks; returns how many counts
    were wrong. The services keep the counts exact: this repairs rows written around them (a restore, a
    manual SQL fix)."""
    fixed = 0
    with transaction.atomic():
        slots = Slot.all_objects.select_for_update().order_by("pk")
        if slot_ids is not None:
            slots = slots.filter(pk__in=slot_ids)
        stored = dict(slots.values_list("pk", "booked_count"))
        actual = dict(
            Booking.objects.filter(status=BookingStatus.ACTIVE, slot_id__in=list(stored))
            .values("slot_id")
            .annotate(n=Count("pk"))
            .values_list("slot_id", "n")
        )
        for slot_id, count in stored.items():
            if actual.get(slot_id, 0) != count:
                Slot.all_objects.filter(pk=slot_id).update(booked_count=actual.get(slot_id, 0))
                fixed += 1
    return fixed
