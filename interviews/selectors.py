"""Reads shared by every interviews area: who interviews a slot, and which slots a user interviews.

A slot's interviewers are its own (SlotInterviewer) when it has any, otherwise its event's (EventInterviewer).
The Zoom host of an event (scheduling) also interviews its slots; booking's ``interviewer_slot_q`` joins both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.prepared import PreparedQuery
from booking.models import Booking, BookingStatus
from booking.selectors import interviewer_slot_q
from interviews.models import EventInterviewer, SlotInterviewer
from scheduling.models import Slot


def assigned_slots_q(user: User, prefix: str = "") -> Q:
    """A Q on Slot: the slots assigned to ``user`` in interviews (not counting Zoom hosting); ``prefix``
    (e.g. ``"slot__"``) applies it to a model that reaches Slot, such as Booking."""
    # Id subqueries rather than joins: the planner reads the user's few assignment rows first instead of
    # joining every slot of the company to its assignments (and no duplicate rows to remove).
    own_rows = SlotInterviewer.objects.filter(slot=OuterRef(f"{prefix}pk"))
    own_slots = SlotInterviewer.objects.filter(user=user).values("slot_id")
    own_events = EventInterviewer.objects.filter(user=user).values("event_id")
    return Q(**{f"{prefix}pk__in": own_slots}) | (
        Q(**{f"{prefix}event_id__in": own_events}) & ~Q(Exists(own_rows))
    )


def slots_interviewed_by(user: User) -> QuerySet[Slot]:
    """Every slot ``user`` interviews: assigned here or hosting its event in Zoom. Each slot once without a
    DISTINCT: the condition follows only the slot's event (one row) and otherwise names slot ids."""
    if user.company_id is None:
        return Slot.objects.none()
    return Slot.objects.filter(company_id=user.company_id).filter(interviewer_slot_q(user))


def _interviewers_query(slot_id: int, event_id: int) -> QuerySet[User]:
    own = SlotInterviewer.objects.filter(slot_id=slot_id)
    of_event = EventInterviewer.objects.filter(event_id=event_id)
    return (
        User.objects.filter(Q(pk__in=own.values("user_id")) | Q(pk__in=of_event.values("user_id")))
        .annotate(assigned_to_slot=Exists(own.filter(user_id=OuterRef("pk"))))
        .order_by("name", "pk")
    )


# A booking's 面接官への通知 reads one slot's interviewers: one query, compiled once (accounts.prepared).
_INTERVIEWERS: PreparedQuery[User] = PreparedQuery(_interviewers_query, slot_id=-1, event_id=-2)


def interviewers_of_slot(slot: Slot) -> list[User]:
    """The slot's interviewers (its own, else its event's), in one query."""
    users = _INTERVIEWERS.fetch(slot_id=slot.pk, event_id=slot.event_id)
    own = [user for user in users if user.assigned_to_slot]  # type: ignore[attr-defined]  # annotation
    return own or users


class SlotIds(Protocol):
    """A slot or a row standing for one (the calendar's entries): its id and its event's."""

    @property
    def pk(self) -> int: ...

    @property
    def event_id(self) -> int: ...


def interviewers_of_slots(slots: Iterable[SlotIds]) -> dict[int, list[User]]:
    """slot id → its interviewers (own ones, else the event's), in two queries for any number of slots."""
    slots = list(slots)
    result: dict[int, list[User]] = defaultdict(list)
    own = (
        SlotInterviewer.objects.filter(slot_id__in=[slot.pk for slot in slots])
        .select_related("user")
        .order_by("user__name", "pk")
    )
    for row in own:
        result[row.slot_id].append(row.user)
    event_ids = {slot.event_id for slot in slots if slot.pk not in result}
    by_event: dict[int, list[User]] = defaultdict(list)
    event_rows = EventInterviewer.objects.filter(event_id__in=event_ids).select_related("user")
    for event_row in event_rows.order_by("user__name", "pk"):
        by_event[event_row.event_id].append(event_row.user)
    for slot in slots:
        if slot.pk not in result:
            result[slot.pk] = list(by_event.get(slot.event_id, []))
    return dict(result)


def interviews_applicant(user: User, *, applicant_id: int, selection_meeting_id: int) -> Slot | None:
    """The slot in which ``user`` interviews the applicant in that 選考会 (an active booking), or None."""
    if user.company_id is None:
        return None
    booking = (
        Booking.objects.filter(
            company_id=user.company_id,
            applicant_id=applicant_id,
            status=BookingStatus.ACTIVE,
            slot__event__selection_meeting_id=selection_meeting_id,
            slot__in=slots_interviewed_by(user),
        )
        .select_related("slot")
        .order_by("-slot__starts_at")
        .first()
    )
    return booking.slot if booking is not None else None
