"""A slot's seat counter (``Slot.booked_count``): the active bookings in it.

Only booking writes it, always holding the slot row's lock in the transaction that books, moves, cancels or
promotes, so it is exact and the capacity check reads it instead of counting. Moves, cancellations and
promotions lock the row first (SELECT … FOR UPDATE); a booking takes its seat with the UPDATE that locks
the row (``take_seat_locking``), whose refusal by the capacity constraint means the slot is full.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F

from accounts.prepared import quoted_column
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


class NoSeatLeft(Exception):
    """``take_seat_locking`` found the slot full (its ``slot_booked_within_capacity`` constraint)."""


CAPACITY_CONSTRAINT = "slot_booked_within_capacity"


def take_seat_locking(slot_id: int) -> Slot | None:
    """One more active booking in the slot, in one statement that also locks the row until the transaction
    ends (``UPDATE … RETURNING``, so a booking holds the lock for that statement and its commit only).

    Returns the row as it is now (the seat check's fields, the counter already raised), or None when there
    is no such slot; raises NoSeatLeft when no seat was left: the capacity constraint refused the UPDATE,
    and the transaction must end (it is aborted)."""
    quote = connection.ops.quote_name
    columns = [quoted_column(Slot, "id"), *(quoted_column(Slot, name) for name in SEAT_CHECK_FIELDS)]
    counter = quoted_column(Slot, "booked_count")
    sql = (
        f"UPDATE {quote(Slot._meta.db_table)} SET {counter} = {counter} + 1 "  # noqa: S608  (names, not values)
        f"WHERE {quoted_column(Slot, 'id')} = %s RETURNING {', '.join(columns)}"
    )
    try:
        rows = list(Slot.all_objects.raw(sql, [slot_id]))
    except IntegrityError as error:
        if CAPACITY_CONSTRAINT in str(error):
            raise NoSeatLeft from error
        raise
    return rows[0] if rows else None


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
