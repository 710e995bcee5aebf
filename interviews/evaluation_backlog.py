"""The overdue evaluations' backlog: how a company's count of overdue evaluations walks only what changed.

A full count walks every booking of every interview that ended before the due time, and their expected
evaluators (in the scale data set, 15,000 bookings of one company: most of the dashboard's time). It
proves more than its answer: every expected evaluation of a slot that ended before its cutoff was
submitted, except those of the bookings it listed. The count stores that (``OverdueBacklog``); the next
counts walk the slots that ended since the cutoff and the listed bookings only.

Why the record stays true: a submitted evaluation cannot be withdrawn (only corrected), a booking can be
made or moved only into a slot that has not started (``booking.rules``), and an applicant's anonymization,
a cancellation, a deleted slot or a deactivated interviewer only remove expected evaluations. What adds
one to an earlier slot adds one to the company's ``generation`` (``invalidate``): an interviewer assigned
or unassigned (a slot without its own falls back to its event's), an interviewer saved active, a slot
moved. The count reads the generation before it walks, so a change that lands during the walk leaves a
record that no longer holds. A record is also recounted in full after ``MAX_AGE``, which bounds what a
lost change notice (a worker that died after a slot's move committed) could hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db.models import F

from interviews.models import OverdueBacklog
from scheduling.models import Slot
from scheduling.signals import SlotChange

MAX_AGE = timedelta(hours=1)
# The bookings a record lists at most; beyond them the record's cutoff is the next one's slot end.
MAX_OPEN = 1000

# (booking id, evaluator id, slot end), the longest overdue first.
Row = tuple[int, int, datetime]


@dataclass(frozen=True)
class Walk:
    """The bookings a count walks: every one (``settled_before`` None), or those of the slots that ended at
    or after ``settled_before`` and the ``open_booking_ids`` of earlier ones."""

    settled_before: datetime | None = None
    open_booking_ids: tuple[int, ...] = ()


EVERY_BOOKING = Walk()


class Count(Protocol):
    """The overdue pairs of a company at ``now`` among the bookings ``walk`` names
    (``interviews.evaluation_selectors._overdue_pairs``)."""

    def __call__(self, company_id: int, *, now: datetime, hours: int, walk: Walk) -> list[Row]: ...


def invalidate(company_id: int | None) -> None:
    """An evaluation may be expected again of a slot that ended earlier: the company's record no longer
    holds (one UPDATE; nothing when the company has none)."""
    if company_id is not None:
        OverdueBacklog.objects.filter(company_id=company_id).update(generation=F("generation") + 1)


def overdue_rows(company_id: int, *, now: datetime, hours: int, count: Count) -> list[Row]:
    """The company's overdue pairs at ``now``: ``count`` over the walk its record allows, or over every
    booking (then the record is written again)."""
    walk, backlog = _held_walk(company_id, now)
    if walk is not None:
        return count(company_id, now=now, hours=hours, walk=walk)
    rows, _walk = _count_all(company_id, backlog, now=now, hours=hours, count=count)
    return rows


def settled_walk(company_id: int, *, now: datetime, hours: int, count: Count) -> Walk:
    """The walk the company's record allows at ``now``, counting every booking first (``count``) when it
    does not hold: the bookings an evaluation may still be owed for, of any interviewer."""
    walk, backlog = _held_walk(company_id, now)
    if walk is not None:
        return walk
    _rows, walk = _count_all(company_id, backlog, now=now, hours=hours, count=count)
    return walk


def _held_walk(company_id: int, now: datetime) -> tuple[Walk | None, OverdueBacklog | None]:
    backlog = OverdueBacklog.objects.filter(company_id=company_id).first()
    if backlog is not None and _holds(backlog, now):
        return Walk(backlog.settled_before, tuple(backlog.open_booking_ids)), backlog
    return None, backlog


def _count_all(
    company_id: int,
    backlog: OverdueBacklog | None,
    *,
    now: datetime,
    hours: int,
    count: Count,
) -> tuple[list[Row], Walk]:
    """Count over every booking and record what it proved; the generation is read before the count."""
    if backlog is None:
        backlog, _created = OverdueBacklog.objects.get_or_create(company_id=company_id)
    rows = count(company_id, now=now, hours=hours, walk=EVERY_BOOKING)
    return rows, _record(company_id, backlog.generation, rows, cutoff=now - timedelta(hours=hours), now=now)


def _holds(backlog: OverdueBacklog, now: datetime) -> bool:
    return (
        backlog.settled_generation == backlog.generation
        and backlog.settled_before is not None
        and backlog.computed_at is not None
        and backlog.computed_at <= now < backlog.computed_at + MAX_AGE
    )


def _record(company_id: int, generation: int, rows: list[Row], *, cutoff: datetime, now: datetime) -> Walk:
    settled_before = cutoff if len(rows) <= MAX_OPEN else rows[MAX_OPEN][2]
    # The bookings of the slots at or after settled_before are walked anyway.
    open_ids = sorted({booking_id for booking_id, _evaluator, ends in rows if ends < settled_before})
    fields: dict[str, Any] = {
        "settled_generation": generation,
        "settled_before": settled_before,
        "open_booking_ids": open_ids,
        "computed_at": now,
    }
    OverdueBacklog.objects.filter(company_id=company_id).update(**fields)
    return Walk(settled_before, tuple(open_ids))


# --- what invalidates a record ------------------------------------------------------------------------------


def on_user_saved(*, instance: Any, update_fields: Any = None, **_kwargs: Any) -> None:
    """An interviewer saved active (a reactivation) is expected again to evaluate their past interviews."""
    if instance.is_active and (update_fields is None or "is_active" in update_fields):
        invalidate(instance.company_id)


def on_slot_changed(*, slot_id: int, change: SlotChange, **_kwargs: Any) -> None:
    """A slot moved (a started slot's end brought forward can land before a record's cutoff)."""
    if change == SlotChange.MOVED:
        invalidate(Slot.all_objects.filter(pk=slot_id).values_list("company_id", flat=True).first())


def connect() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save

    from scheduling.signals import slot_changed

    # Assignments invalidate where they change (interviews.assignments).
    post_save.connect(on_user_saved, sender=get_user_model(), dispatch_uid="interviews.evaluation_backlog")
    slot_changed.connect(on_slot_changed, dispatch_uid="interviews.evaluation_backlog")
