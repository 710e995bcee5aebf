"""予約 (bookings) and キャンセル待ち (waitlist): every write.

Capacity: in one transaction the slot row is locked (SELECT … FOR UPDATE), its ``booked_count`` read, the
booking refused when full, else the count raised in the same transaction. Every writer of a booking's seat
(book, move, cancel, promote) holds the lock of the slot whose count it changes, so the count is exact.
A new booking takes that lock last, after writing its rows (a refusal under the lock rolls them back), so
a rush on one slot queues on the lock for two statements and the commit only; a slot already full
refuses before any transaction, without the lock. The partial unique constraint
``one_active_booking_per_event`` makes a second active booking of the same applicant in the same event
impossible, so a double submit makes one booking. A seat freed by a cancellation or a move is given to the
first applicant waiting for it in the same transaction.

Each service writes the booking history (the applicant's timeline), the audit log and, when the event
asks for it, the applicant's 選考ステータス (through applicants.services.change_status, so the history is
kept), and queues its mails (booking.mail) in the same transaction; they leave after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import collected as collected_audit
from accounts.audit import record_audit
from accounts.models import User
from accounts.prepared import PreparedQuery
from applicants.models import Applicant, SelectionStage, StageKind
from applicants.services import change_status
from booking import mail as booking_mail
from booking.history import audit_booking, log_booking
from booking.invitations import invitation_for, keep_link_alive
from booking.models import (
    Booking,
    BookingInvitation,
    BookingLogKind,
    BookingSource,
    BookingStatus,
    WaitlistEntry,
    WaitStatus,
)
from booking.rules import (
    BookingError,
    BookingResult,
    LinkRead,
    SlotFull,
    already_booked_error,
    check_applicant,
    check_invited,
    check_open_for_applicant,
    check_open_for_staff,
    deadline_error,
    link_read,
    reminder_mark,
    slot_label,
    when,
)
from booking.seats import NoSeatLeft, free_seat, take_seat, take_seat_locking
from notifications.ics import InviteMethod
from notifications.models import MailKind
from scheduling.models import Event, Slot

logger = logging.getLogger(__name__)


# --- helpers -----------------------------------------------------------------------------------------


def _pk(value: Any) -> int:
    return int(value.pk if hasattr(value, "pk") else value)


def _lock_slots(*slot_ids: int) -> dict[int, Slot]:
    """Lock the slot rows (in id order, so two movers never deadlock) and return them by id."""
    ids = sorted(set(slot_ids))
    slots = {
        slot.pk: slot
        for slot in Slot.all_objects.select_for_update(of=("self",))
        .select_related("company", "event__selection_meeting", "event__booking_stage")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    if connection.vendor == "sqlite":
        # SQLite has no row locks: take its write lock now, before counting, so counts cannot race.
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {Slot._meta.db_table} SET id = id WHERE id = %s", [ids[0]])  # noqa: S608
    if len(slots) != len(ids):
        raise BookingError(_("この日程は見つかりません。"), code="missing")
    return slots


def _lock_booking(booking_id: int, *other_slot_ids: int) -> tuple[Booking, dict[int, Slot]]:
    """Lock a booking's slot (and ``other_slot_ids``), then the booking: slots first, like every writer.

    The booking's slot is read before the lock; if a concurrent move changed it meanwhile, lock again.
    """
    for _attempt in range(3):
        slot_id = Booking.objects.filter(pk=booking_id).values_list("slot_id", flat=True).get()
        slots = _lock_slots(slot_id, *other_slot_ids)
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("applicant", "invitation", "company")
            .get(pk=booking_id)
        )
        if booking.slot_id in slots:
            return booking, slots
    raise BookingError(_("予約内容が更新されました。ページを読み込み直してください。"), code="stale")


def _full_error(existing: Booking | None = None) -> SlotFull:
    error = SlotFull(_("申し訳ありません。この日程は満席になりました。"), code="full")
    error.existing = existing
    return error


def _stages_for(applicant: Applicant, event: Event) -> dict[int, SelectionStage]:
    """The applicant's current stage and the event's 予約時の選考ステータス, by id: the ones read with the
    applicant and the event (the booking link reads both), the others in one query."""
    stages: dict[int, SelectionStage] = {}
    missing: list[int] = []
    for owner, name in ((applicant, "stage"), (event, "booking_stage")):
        pk = getattr(owner, f"{name}_id")
        if pk is None:
            continue
        if owner._meta.get_field(name).is_cached(owner):  # type: ignore[union-attr]
            stages[pk] = getattr(owner, name)
        else:
            missing.append(pk)
    if missing:
        stages.update(SelectionStage.objects.in_bulk(missing))
    return stages


def _advance_stage(
    applicant: Applicant,
    event: Event,
    actor: User | None,
    slot: Slot,
    stages: dict[int, SelectionStage] | None = None,
) -> None:
    """予約時の選考ステータス: move the applicant forward to the event's stage, never backwards.

    ``stages``: the applicant's and the event's stages read before the transaction (``_stages_for``);
    change_status moves them with one UPDATE that matches only while they are still at the stage judged
    here (a status moved meanwhile, e.g. forward by a recruiter, is never moved back).
    """
    if event.booking_stage_id is None:
        return
    stages = stages if stages is not None else _stages_for(applicant, event)
    stage, current = stages.get(event.booking_stage_id), stages.get(applicant.stage_id)
    if stage is None or current is None or not stage.is_active:
        return
    if current.kind != StageKind.IN_PROGRESS or (current.sort_order, current.pk) >= (
        stage.sort_order,
        stage.pk,
    ):
        return
    change_status(
        applicant=applicant,
        stage=stage,
        actor=actor,
        comment=_("予約: %(slot)s %(when)s") % {"slot": slot_label(slot), "when": when(slot)},
        savepoint=False,  # inside the booking's transaction, which any error ends as a whole
        if_still_at=current,
    )


def _insert_booking(**fields: Any) -> Booking | None:
    """Insert, or None when the one-active-booking-per-event constraint refused it (a racing submit)."""
    try:
        with transaction.atomic():
            return Booking.objects.create(**fields)
    except IntegrityError:
        return None


def _applicants_link_read(slot: Slot, applicant: Applicant) -> LinkRead | None:
    """What was read with the slot through ``applicant``'s own link (``selectors.slot_with_link``), if it
    was read that way: their booking and clash ids and whether they wait, as of that read."""
    read = link_read(slot)
    return read if read is not None and read.applicant_id == applicant.pk else None


def _may_be_waiting(slot: Slot, applicant: Applicant) -> bool:
    """False when the slot was read through the applicant's link together with the fact that they waited
    for no slot of its event. (Should they join a waitlist of the event in the same instant, that entry
    stays; promotion closes an entry whose applicant is booked in the event.)"""
    read = _applicants_link_read(slot, applicant)
    return read is None or read.waiting


def _after_booking(
    booking: Booking,
    *,
    slot: Slot,
    actor: User | None,
    kind: str,
    request: HttpRequest | None,
    now: datetime,
    stages: dict[int, SelectionStage] | None = None,
) -> None:
    applicant = booking.applicant
    if _may_be_waiting(slot, applicant):
        WaitlistEntry.objects.filter(
            applicant=applicant, event_id=slot.event_id, status=WaitStatus.WAITING
        ).update(status=WaitStatus.CLOSED, updated_at=now)
    if booking.invitation is not None:
        keep_link_alive(booking.invitation, slot)
    _advance_stage(applicant, slot.event, actor, slot, stages)
    log_booking(booking, applicant=applicant, kind=kind, slot=slot, actor=actor)
    audit_booking(
        "booking.promoted" if kind == BookingLogKind.PROMOTED else "booking.created",
        booking,
        actor=actor,
        request=request,
        source=booking.source,
    )
    booking_mail.mail_applicant(booking, MailKind.BOOKING_CONFIRMED, actor=actor)
    notice = (
        _("キャンセル待ちから予約が入りました") if kind == BookingLogKind.PROMOTED else _("予約が入りました")
    )
    booking_mail.notify_host(
        slot, notice=notice, applicant=applicant, actor=actor, booking=booking, invite=InviteMethod.REQUEST
    )


def _new_booking(
    *,
    slot: Slot,
    applicant: Applicant,
    source: str,
    invitation: BookingInvitation | None,
    actor: User | None,
    now: datetime,
) -> Booking | None:
    invitation = invitation or invitation_for(applicant, slot.event, actor=actor, now=now)
    booking = _insert_booking(
        company_id=slot.company_id,
        applicant=applicant,
        event_id=slot.event_id,
        slot=slot,
        source=source,
        invitation=invitation,
        booked_by=actor if actor is not None and actor.pk else None,
        reminder_sent_at=reminder_mark(slot, now),
        created_at=now,
    )
    if booking is not None:
        take_seat(slot)
        booking.slot, booking.applicant, booking.invitation, booking.company = (
            slot,
            applicant,
            invitation,
            slot.company,
        )
    return booking


def _refuse_overlap(applicant: Applicant, slot: Slot, *, exclude_booking_id: int | None = None) -> None:
    """One person cannot be in two places at once: refuse a time overlapping another active booking."""
    clash = _overlapping(applicant, slot, exclude_booking_id=exclude_booking_id)
    if clash is not None:
        raise BookingError(
            _("同じ時間帯に別の予約（%(other)s %(when)s）があります。")
            % {"other": slot_label(clash.slot), "when": when(clash.slot)},
            code="overlap",
        )


def _overlapping(
    applicant: Applicant, slot: Slot, *, exclude_booking_id: int | None = None
) -> Booking | None:
    clashes = Booking.objects.filter(
        applicant=applicant,
        status=BookingStatus.ACTIVE,
        slot__starts_at__lt=slot.ends_at,
        slot__ends_at__gt=slot.starts_at,
    ).select_related("slot__company", "slot__event__selection_meeting")
    if exclude_booking_id is not None:
        clashes = clashes.exclude(pk=exclude_booking_id)
    return clashes.first()


# --- booking -------------------------------------------------------------------------------------------


def book_slot(
    *,
    slot: Slot | int,
    applicant: Applicant,
    actor: User | None,
    source: str,
    invitation: BookingInvitation | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> BookingResult:
    """予約: book ``applicant`` into ``slot`` (by the applicant through ``invitation``, or by staff).

    Refused with BookingError (SlotFull when no seat is left). Submitting the same booking twice returns
    the first one (``created`` False).

    Everything is read before the transaction, and the slot row is locked last (``_claim_seat``): the
    booking, its history, audit entries, status change and mails are written first, then the seat is
    taken on the locked row and checked again there; a refusal there rolls all of it back. So the lock is
    held for two statements and the commit, not for the whole booking.
    """
    now = now or timezone.now()
    slot = _slot_to_book(slot)
    read = _applicants_link_read(slot, applicant)
    no_booking_in_event = read is not None and read.booking_id is None
    if slot.booked_count >= slot.capacity and no_booking_in_event:
        raise _full_error()  # a full slot refuses at once: no lock, no more queries
    existing = clash = None
    if not (no_booking_in_event and read is not None and read.clash_id is None):
        # Not known from the link's read (the same moment's answer): read both now.
        existing, clash = _active_bookings_around(applicant, slot)
    if existing is not None and existing.slot_id == slot.pk:
        return BookingResult(existing, created=False)
    if slot.booked_count >= slot.capacity:
        raise _full_error(existing)  # without the lock: a full slot refuses at once, the lock untouched
    _check_may_book(slot, applicant, source=source, invitation=invitation, now=now)
    if existing is not None:
        raise already_booked_error(slot)
    if clash is not None:
        raise _overlap_error(clash)
    stages = _stages_for(applicant, slot.event)
    write = partial(
        _write_booking,
        slot=slot,
        applicant=applicant,
        source=source,
        invitation=invitation,
        actor=actor,
        request=request,
        now=now,
        stages=stages,
    )
    try:
        booking = _retried_once_on_deadlock(write)
    except IntegrityError:
        # The one-active-booking-per-event constraint: the same applicant booked this event a moment ago.
        raced = _active_booking_in_event(applicant, slot.event_id)
        if raced is None:
            raise
        if raced.slot_id != slot.pk:
            raise already_booked_error(slot) from None
        return BookingResult(raced, created=False)  # a double submit: the first one's booking
    return BookingResult(booking, created=True)


def _write_booking(
    *,
    slot: Slot,
    applicant: Applicant,
    source: str,
    invitation: BookingInvitation | None,
    actor: User | None,
    request: HttpRequest | None,
    now: datetime,
    stages: dict[int, SelectionStage],
) -> Booking:
    """The booking's transaction: the booking and everything it writes (its audit entries in one INSERT),
    then the seat (``_claim_seat``)."""
    with transaction.atomic():
        with collected_audit():
            booking = _insert_new_booking(
                slot=slot, applicant=applicant, source=source, invitation=invitation, actor=actor, now=now
            )
            _after_booking(
                booking,
                slot=slot,
                actor=actor,
                kind=BookingLogKind.BOOKED,
                request=request,
                now=now,
                stages=stages,
            )
        _claim_seat(slot, source=source, now=now)
    return booking


def _retried_once_on_deadlock(write: Callable[[], Booking]) -> Booking:
    """Run the booking's own transaction, once more if PostgreSQL broke a deadlock by ending it.

    Taking the slot's lock last means the booking holds rows (its applicant, their waitlist entries) while
    it waits for the lock; a writer holding that lock may wait for those rows (a move promoting this very
    applicant from the waitlist at the same moment). PostgreSQL ends one of the two; nothing of it stays,
    so it is simply run again. Inside a caller's transaction there is nothing to run again: it fails.
    """
    try:
        return write()
    except OperationalError as error:
        if connection.in_atomic_block or getattr(error.__cause__, "sqlstate", None) != "40P01":
            raise
        logger.warning("booking deadlock broken by PostgreSQL; running the booking again")
        return write()


def _slot_to_book(slot: Slot | int) -> Slot:
    """The caller's slot as it read it in this request, or the slot by id (deleted ones too: the rules
    refuse them with their own message)."""
    if isinstance(slot, Slot):
        return slot
    found = (
        Slot.all_objects.select_related("company", "event__selection_meeting", "event__booking_stage")
        .filter(pk=slot)
        .first()
    )
    if found is None:
        raise BookingError(_("この日程は見つかりません。"), code="missing")
    return found


def _bookings_around_query(applicant_id: int, event_id: int, slot_id: int) -> QuerySet[Booking]:
    the_slot = Slot.all_objects.filter(pk=slot_id)
    overlapping = Q(
        slot__starts_at__lt=Subquery(the_slot.values("ends_at")),
        slot__ends_at__gt=Subquery(the_slot.values("starts_at")),
    )
    return (
        Booking.objects.filter(applicant_id=applicant_id, status=BookingStatus.ACTIVE)
        .filter(Q(event_id=event_id) | overlapping)
        .only("pk", "applicant_id", "event_id", "slot_id", "status")
        .order_by()
    )


# Every booking reads these first: compiled once (accounts.prepared).
_BOOKINGS_AROUND: PreparedQuery[Booking] = PreparedQuery(
    _bookings_around_query, applicant_id=-1, event_id=-2, slot_id=-3
)


def _active_bookings_around(applicant: Applicant, slot: Slot) -> tuple[Booking | None, Booking | None]:
    """In one query: the applicant's active booking in the slot's event, and one overlapping the slot's
    time in another event (one person cannot be in two places at once)."""
    existing = clash = None
    rows = _BOOKINGS_AROUND.fetch(applicant_id=applicant.pk, event_id=slot.event_id, slot_id=slot.pk)
    for row in rows:
        if row.event_id == slot.event_id:
            existing = row
        elif clash is None:
            clash = row
    return existing, clash


def _active_booking_in_event(applicant: Applicant, event_id: int) -> Booking | None:
    return Booking.objects.filter(applicant=applicant, event_id=event_id, status=BookingStatus.ACTIVE).first()


def _check_may_book(
    slot: Slot, applicant: Applicant, *, source: str, invitation: BookingInvitation | None, now: datetime
) -> None:
    check_applicant(applicant)
    if source == BookingSource.APPLICANT:
        check_invited(invitation, slot)
        check_open_for_applicant(slot, now)
    else:
        check_open_for_staff(slot, now)


def _overlap_error(clash: Booking) -> BookingError:
    other = Slot.all_objects.select_related("company", "event__selection_meeting").get(pk=clash.slot_id)
    return BookingError(
        _("同じ時間帯に別の予約（%(other)s %(when)s）があります。")
        % {"other": slot_label(other), "when": when(other)},
        code="overlap",
    )


def _insert_new_booking(
    *,
    slot: Slot,
    applicant: Applicant,
    source: str,
    invitation: BookingInvitation | None,
    actor: User | None,
    now: datetime,
) -> Booking:
    """The booking row, without a savepoint: a refusal by the one-active-booking constraint ends the
    transaction and ``book_slot`` answers it. The seat is taken last, by ``_claim_seat``."""
    invitation = invitation or invitation_for(applicant, slot.event, actor=actor, now=now)
    booking = Booking.objects.create(
        company_id=slot.company_id,
        applicant=applicant,
        event_id=slot.event_id,
        slot=slot,
        source=source,
        invitation=invitation,
        booked_by=actor if actor is not None and actor.pk else None,
        reminder_sent_at=reminder_mark(slot, now),
        created_at=now,
    )
    booking.slot, booking.applicant, booking.invitation, booking.company = (
        slot,
        applicant,
        invitation,
        slot.company,
    )
    return booking


def _claim_seat(slot: Slot, *, source: str, now: datetime) -> None:
    """Last in the booking's transaction: take the seat in the statement that locks the slot row (the
    capacity constraint refuses a full slot), then check the locked row (hidden, deleted, closed; moved
    meanwhile, so the texts just written would be wrong). Any refusal ends the whole transaction.
    ``slot`` (the caller's object) is left as it was."""
    try:
        locked = take_seat_locking(slot.pk)
    except NoSeatLeft:
        raise _full_error() from None
    if locked is None:
        raise BookingError(_("この日程は見つかりません。"), code="missing")
    if (locked.starts_at, locked.ends_at) != (slot.starts_at, slot.ends_at):
        raise BookingError(_("予約内容が更新されました。ページを読み込み直してください。"), code="stale")
    locked.event, locked.company = slot.event, slot.company
    if source == BookingSource.APPLICANT:
        check_open_for_applicant(locked, now)
    else:
        check_open_for_staff(locked, now)


def move_booking(
    *,
    booking: Booking,
    slot: Slot | int,
    actor: User | None,
    by_applicant: bool = False,
    invitation: BookingInvitation | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Booking:
    """予約変更: move a booking to another slot of its event. The freed seat goes to the waitlist."""
    now = now or timezone.now()
    new_id = _pk(slot)
    with transaction.atomic():
        booking, slots = _lock_booking(booking.pk, new_id)
        if booking.status != BookingStatus.ACTIVE:
            raise BookingError(_("この予約はキャンセルされています。"), code="cancelled")
        old, new = slots[booking.slot_id], slots[new_id]
        if new.pk == old.pk:
            return booking
        if new.event_id != booking.event_id:
            raise BookingError(_("同じイベントの日程にのみ変更できます。"), code="other_event")
        if by_applicant:
            if now >= old.cancel_deadline:
                raise deadline_error(old)
            check_invited(invitation, new)
            check_open_for_applicant(new, now)
        else:
            check_open_for_staff(new, now)
        if new.booked_count >= new.capacity:
            raise _full_error()
        _refuse_overlap(booking.applicant, new, exclude_booking_id=booking.pk)
        booking.slot = new
        booking.ics_sequence += 1
        booking.reminder_sent_at = reminder_mark(new, now)
        booking.save(update_fields=["slot", "ics_sequence", "reminder_sent_at", "updated_at"])
        free_seat(old)
        take_seat(new)
        if booking.invitation is not None:
            keep_link_alive(booking.invitation, new)
        applicant = booking.applicant
        log_booking(
            booking,
            applicant=applicant,
            kind=BookingLogKind.MOVED,
            slot=new,
            actor=actor,
            body=f"{when(old)} → {when(new)}",
        )
        audit_booking("booking.moved", booking, actor=actor, request=request, from_slot_id=old.pk)
        booking_mail.mail_applicant(
            booking,
            MailKind.BOOKING_CHANGED,
            actor=actor,
            previous_start=old.starts_at,
            previous_end=old.ends_at,
        )
        _notify_hosts_of_move(old, new, booking, actor)
        _promote(old, now=now)
    return booking


def _notify_hosts_of_move(old: Slot, new: Slot, booking: Booking, actor: User | None) -> None:
    """The new slot's host and interviewers (the invite, updated), then those of the old slot who are not
    in the new one (the invite cancelled)."""
    told = booking_mail.notify_host(
        new,
        notice=_("予約の日程が変更されました"),
        applicant=booking.applicant,
        previous_start=old.starts_at,
        previous_end=old.ends_at,
        actor=actor,
        booking=booking,
        invite=InviteMethod.REQUEST,
    )
    booking_mail.notify_host(
        old,
        notice=_("予約が別の日程へ変更されました"),
        applicant=booking.applicant,
        actor=actor,
        booking=booking,
        invite=InviteMethod.CANCEL,
        skip=frozenset(mail.to_email.lower() for mail in told),
    )


def cancel_booking(
    *,
    booking: Booking,
    actor: User | None,
    by_applicant: bool = False,
    notify: bool = True,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Booking:
    """キャンセル. An applicant may cancel until the event's deadline; staff any time. Cancelling twice is
    a no-op. The freed seat goes to the first applicant waiting, in the same transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        booking, slots = _lock_booking(booking.pk)
        if booking.status != BookingStatus.ACTIVE:
            return booking
        slot = booking.slot = slots[booking.slot_id]
        if by_applicant and now >= slot.cancel_deadline:
            raise deadline_error(slot)
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by = actor if actor is not None and actor.pk else None
        booking.ics_sequence += 1
        booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "ics_sequence", "updated_at"])
        free_seat(slot)
        applicant = booking.applicant
        log_booking(booking, applicant=applicant, kind=BookingLogKind.CANCELLED, slot=slot, actor=actor)
        audit_booking("booking.cancelled", booking, actor=actor, request=request, by_applicant=by_applicant)
        if notify:
            booking_mail.mail_applicant(
                booking, MailKind.BOOKING_CANCELLED, actor=actor, invite=InviteMethod.CANCEL
            )
            booking_mail.notify_host(
                slot,
                notice=_("予約がキャンセルされました"),
                applicant=applicant,
                actor=actor,
                booking=booking,
                invite=InviteMethod.CANCEL,
            )
        _promote(slot, now=now)
    return booking


# --- キャンセル待ち -----------------------------------------------------------------------------------


def _promote(slot: Slot, *, now: datetime) -> list[Booking]:
    """Give the slot's free seats to the applicants waiting for it, first come first served.

    Runs in the transaction that freed the seat, with the slot row locked. Only while the slot takes
    bookings (shown, inside its window): after that the entries stay until the slot is over.
    """
    if not slot.is_open_for_booking(now):
        return []
    free = slot.capacity - slot.booked_count
    promoted: list[Booking] = []
    while free > 0:
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("applicant", "invitation")
            .filter(slot=slot, status=WaitStatus.WAITING)
            .order_by("created_at", "pk")
            .first()
        )
        if entry is None:
            break
        applicant = entry.applicant
        booked_elsewhere = Booking.objects.filter(
            applicant=applicant, event_id=slot.event_id, status=BookingStatus.ACTIVE
        ).exists()
        booking = None
        if not applicant.is_anonymized and not booked_elsewhere and _overlapping(applicant, slot) is None:
            invitation = (
                entry.invitation if entry.invitation and entry.invitation.revoked_at is None else None
            )
            booking = _new_booking(
                slot=slot,
                applicant=applicant,
                source=BookingSource.WAITLIST,
                invitation=invitation,
                actor=None,
                now=now,
            )
        entry.status = WaitStatus.PROMOTED if booking else WaitStatus.CLOSED
        entry.booking = booking
        entry.save(update_fields=["status", "booking", "updated_at"])
        if booking is None:
            continue
        _after_booking(booking, slot=slot, actor=None, kind=BookingLogKind.PROMOTED, request=None, now=now)
        promoted.append(booking)
        free -= 1
    return promoted


def promote_waitlist(*, slot: Slot, now: datetime | None = None) -> list[Booking]:
    """Seats added to a locked slot (its capacity raised): book the applicants waiting for them."""
    return _promote(slot, now=now or timezone.now())


def join_waitlist(
    *,
    slot: Slot | int,
    applicant: Applicant,
    invitation: BookingInvitation | None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """キャンセル待ちに登録: only for a full slot the applicant may book, with no booking in the event."""
    now = now or timezone.now()
    slot_id = _pk(slot)
    with transaction.atomic():
        slot = _lock_slots(slot_id)[slot_id]
        check_applicant(applicant)
        check_invited(invitation, slot)
        check_open_for_applicant(slot, now)
        if Booking.objects.filter(
            applicant=applicant, event_id=slot.event_id, status=BookingStatus.ACTIVE
        ).exists():
            raise already_booked_error(slot)
        waiting = WaitlistEntry.objects.filter(
            applicant=applicant, slot=slot, status=WaitStatus.WAITING
        ).first()
        if waiting is not None:
            return waiting
        if slot.booked_count < slot.capacity:
            raise BookingError(
                _("この日程には空きがあります。キャンセル待ちではなく、そのまま予約してください。"),
                code="not_full",
            )
        entry = WaitlistEntry.objects.create(
            company_id=slot.company_id,
            applicant=applicant,
            event_id=slot.event_id,
            slot=slot,
            invitation=invitation,
            created_at=now,
        )
        log_booking(None, applicant=applicant, kind=BookingLogKind.WAITING, slot=slot, actor=None)
        record_audit(
            action="booking.waitlisted",
            company=slot.company,
            target=entry,
            target_label=slot_label(slot),
            details={"applicant_id": applicant.pk, "slot_id": slot.pk},
            request=request,
        )
    return entry


def withdraw_wait(
    *, entry: WaitlistEntry, actor: User | None, request: HttpRequest | None = None
) -> WaitlistEntry:
    """キャンセル待ちを取り消す (by the applicant or staff). Withdrawing twice is a no-op."""
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("applicant", "slot__company", "slot__event__selection_meeting")
            .get(pk=entry.pk)
        )
        if entry.status != WaitStatus.WAITING:
            return entry
        entry.status = WaitStatus.WITHDRAWN
        entry.save(update_fields=["status", "updated_at"])
        log_booking(
            None, applicant=entry.applicant, kind=BookingLogKind.WAIT_WITHDRAWN, slot=entry.slot, actor=actor
        )
        record_audit(
            action="booking.wait_withdrawn",
            actor=actor,
            company=entry.slot.company,
            target=entry,
            target_label=slot_label(entry.slot),
            details={"applicant_id": entry.applicant_id, "slot_id": entry.slot_id},
            request=request,
        )
    return entry


# --- answers to other apps -------------------------------------------------------------------------------


def cancel_future_bookings_for_applicant(*, applicant: Applicant, actor: User | None) -> int:
    """The booking side of deleting an applicant's personal data: cancel their future bookings (seats go to
    the waitlist; the applicant is not mailed any more), withdraw their waiting entries and revoke their
    links. Returns how many bookings were cancelled."""
    now = timezone.now()
    future = list(
        Booking.objects.filter(
            applicant=applicant, status=BookingStatus.ACTIVE, slot__starts_at__gt=now
        ).order_by("pk")
    )
    with transaction.atomic():
        for booking in future:
            cancel_booking(booking=booking, actor=actor, notify=False, now=now)
        WaitlistEntry.objects.filter(applicant=applicant, status=WaitStatus.WAITING).update(
            status=WaitStatus.WITHDRAWN, updated_at=now
        )
        BookingInvitation.objects.filter(applicant=applicant, revoked_at__isnull=True).update(revoked_at=now)
    return len(future)


def close_waitlist_of_slot(*, slot: Slot) -> int:
    """A deleted slot takes no one from its waitlist any more. Returns how many entries were closed."""
    return WaitlistEntry.objects.filter(slot=slot, status=WaitStatus.WAITING).update(
        status=WaitStatus.CLOSED, updated_at=timezone.now()
    )
