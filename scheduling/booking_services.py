"""予約 (bookings), キャンセル待ち (waitlist) and 日程選択案内 (personal links): every write.

Capacity (DESIGN.md "Booking capacity"): in one transaction the slot row is locked (SELECT … FOR UPDATE),
its active bookings counted, the booking refused when full, else inserted. The partial unique constraint
``one_active_booking_per_event`` makes a second active booking of the same applicant in the same event
impossible, so a double submit makes one booking. A seat freed by a cancellation or a move is given to the
first applicant waiting for it in the same transaction.

Each service writes the booking history (the applicant's timeline), the audit log and, when the event
asks for it, the applicant's 選考ステータス (through applicants.services.change_status, so the history is
kept), and queues its mails (scheduling.booking_mail) in the same transaction; they leave after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import User
from applicants.models import Applicant, StageKind
from notifications.ics import InviteMethod
from notifications.models import MailKind, SentMail
from notifications.rendering import format_datetime, format_when
from notifications.services import company_contact
from scheduling import booking_mail, links
from scheduling.models import (
    Booking,
    BookingInvitation,
    BookingLog,
    BookingLogKind,
    BookingSource,
    BookingStatus,
    Event,
    Slot,
    WaitlistEntry,
    WaitStatus,
)

logger = logging.getLogger(__name__)

# A link used for a booking keeps working until a day after the slot ends (confirmation, 変更, キャンセル).
LINK_GRACE = timedelta(days=1)


class BookingError(ValidationError):
    """A refused booking action, with a message for the person who tried it. Nothing was changed."""


class SlotFull(BookingError):
    pass


class DeadlinePassed(BookingError):
    """Changing or cancelling after the event's deadline: the applicant must contact the company."""

    def __init__(self, message: str, *, contact: str) -> None:
        super().__init__(message, code="deadline")
        self.contact = contact


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    created: bool  # False: the applicant already had this very booking (a double submit)


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


def _active_count(slot_id: int) -> int:
    return Booking.objects.filter(slot_id=slot_id, status=BookingStatus.ACTIVE).count()


def _when(slot: Slot) -> str:
    return format_when(slot.starts_at, slot.ends_at, slot.company.tzinfo)


def _slot_label(slot: Slot) -> str:
    event = slot.event
    return f"{event.selection_meeting.name} / {event.name}"


def _check_applicant(applicant: Applicant) -> None:
    if applicant.is_anonymized:
        raise BookingError(_("個人情報を削除した応募者は予約できません。"), code="anonymized")


def check_open_for_applicant(slot: Slot, now: datetime) -> None:
    """Refuse what an applicant may not book: hidden or deleted slots, outside the booking window."""
    if slot.deleted_at is not None or not slot.is_published:
        raise BookingError(_("この日程は現在予約を受け付けていません。"), code="hidden")
    opens = slot.booking_opens_at
    if opens is not None and now < opens:
        raise BookingError(
            _("この日程の予約受付は%(when)sからです。")
            % {"when": format_datetime(opens, slot.company.tzinfo)},
            code="not_open",
        )
    if now >= slot.booking_closes_at:
        raise BookingError(_("この日程の予約受付は終了しました。"), code="closed")


def _check_open_for_staff(slot: Slot, now: datetime) -> None:
    if slot.deleted_at is not None:
        raise BookingError(_("この日程は削除されています。"), code="deleted")
    if slot.starts_at <= now:
        raise BookingError(_("開始時刻を過ぎた日程には予約できません。"), code="started")


def _check_invited(invitation: BookingInvitation | None, slot: Slot) -> None:
    if invitation is None or not invitation.events.filter(pk=slot.event_id).exists():
        raise BookingError(_("この日程は予約できません。"), code="not_invited")


def deadline_error(slot: Slot) -> DeadlinePassed:
    contact = company_contact(slot.company)
    return DeadlinePassed(
        _(
            "変更・キャンセルの期限（%(deadline)s）を過ぎているため、このページからは変更・キャンセルできません。"
            "お手数ですが、下記までご連絡ください。"
        )
        % {"deadline": format_datetime(slot.cancel_deadline, slot.company.tzinfo)},
        contact=contact,
    )


def _reminder_mark(slot: Slot, now: datetime) -> datetime | None:
    """A booking made (or moved) after its reminder time has just been mailed: no reminder on top."""
    at = slot.reminder_at
    return now if at is not None and at <= now else None


def _log(
    booking: Booking | None,
    *,
    applicant: Applicant,
    kind: str,
    slot: Slot,
    actor: User | None,
    body: str = "",
) -> None:
    BookingLog.objects.create(
        company_id=applicant.company_id,
        applicant=applicant,
        booking=booking,
        kind=kind,
        title=f"{BookingLogKind(kind).label}: {_slot_label(slot)}",
        body=body or _when(slot),
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor.display_name if actor is not None else "",
    )


def _audit(
    action: str, booking: Booking, *, actor: User | None, request: HttpRequest | None, **details
) -> None:
    # No applicant name in the label: the audit log outlives a personal-data deletion.
    record_audit(
        action=action,
        actor=actor,
        company=booking.company,
        target=booking,
        target_label=_("予約 #%(id)s: %(slot)s") % {"id": booking.pk, "slot": _slot_label(booking.slot)},
        details={"applicant_id": booking.applicant_id, "slot_id": booking.slot_id, **details},
        request=request,
    )


def _advance_stage(applicant: Applicant, event: Event, actor: User | None, slot: Slot) -> None:
    """予約時の選考ステータス: move the applicant forward to the event's stage, never backwards."""
    from applicants.services import change_status

    stage = event.booking_stage
    if stage is None or not stage.is_active:
        return
    current = Applicant.objects.select_related("stage").get(pk=applicant.pk).stage
    if current.kind != StageKind.IN_PROGRESS or (current.sort_order, current.pk) >= (
        stage.sort_order,
        stage.pk,
    ):
        return
    change_status(
        applicant=applicant,
        stage=stage,
        actor=actor,
        comment=_("予約: %(slot)s %(when)s") % {"slot": _slot_label(slot), "when": _when(slot)},
    )


def _invitation_for(
    applicant: Applicant, event: Event, *, actor: User | None, now: datetime
) -> BookingInvitation:
    """A usable personal link covering ``event`` (the newest), or a new one for a staff booking."""
    found = (
        BookingInvitation.objects.filter(
            applicant=applicant, events=event, revoked_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if found is not None:
        return found
    invitation = BookingInvitation.objects.create(
        company_id=applicant.company_id,
        applicant=applicant,
        created_by=actor if actor is not None and actor.pk else None,
        expires_at=now + timedelta(days=links.link_days()),
    )
    invitation.events.add(event)
    return invitation


def _keep_link_alive(invitation: BookingInvitation, slot: Slot) -> None:
    """The link in the confirmation must work until the interview is over."""
    until = min(slot.ends_at + LINK_GRACE, invitation.created_at + links.max_age())
    if invitation.expires_at < until:
        BookingInvitation.objects.filter(pk=invitation.pk, expires_at__lt=until).update(expires_at=until)
        invitation.expires_at = until


def _insert_booking(**fields: Any) -> Booking | None:
    """Insert, or None when the one-active-booking-per-event constraint refused it (a racing submit)."""
    try:
        with transaction.atomic():
            return Booking.objects.create(**fields)
    except IntegrityError:
        return None


def _after_booking(
    booking: Booking, *, slot: Slot, actor: User | None, kind: str, request: HttpRequest | None, now: datetime
) -> None:
    applicant = booking.applicant
    WaitlistEntry.objects.filter(
        applicant=applicant, event_id=slot.event_id, status=WaitStatus.WAITING
    ).update(status=WaitStatus.CLOSED, updated_at=now)
    if booking.invitation is not None:
        _keep_link_alive(booking.invitation, slot)
    _advance_stage(applicant, slot.event, actor, slot)
    _log(booking, applicant=applicant, kind=kind, slot=slot, actor=actor)
    _audit(
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
    booking_mail.notify_host(slot, notice=notice, applicant=applicant, actor=actor)


def _new_booking(
    *,
    slot: Slot,
    applicant: Applicant,
    source: str,
    invitation: BookingInvitation | None,
    actor: User | None,
    now: datetime,
) -> Booking | None:
    invitation = invitation or _invitation_for(applicant, slot.event, actor=actor, now=now)
    booking = _insert_booking(
        company_id=slot.company_id,
        applicant=applicant,
        event_id=slot.event_id,
        slot=slot,
        source=source,
        invitation=invitation,
        booked_by=actor if actor is not None and actor.pk else None,
        reminder_sent_at=_reminder_mark(slot, now),
        created_at=now,
    )
    if booking is not None:
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
            % {"other": _slot_label(clash.slot), "when": _when(clash.slot)},
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


def _already_booked_error(slot: Slot) -> BookingError:
    return BookingError(
        _(
            "「%(event)s」の日程はすでに予約済みです。変更する場合は、予約内容の「日程を変更する」から選んでください。"
        )
        % {"event": _slot_label(slot)},
        code="already_booked",
    )


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
    """
    now = now or timezone.now()
    slot_id = _pk(slot)
    by_applicant = source == BookingSource.APPLICANT
    _refuse_early_when_full(slot, applicant)
    with transaction.atomic():
        slot = _lock_slots(slot_id)[slot_id]
        existing = Booking.objects.filter(
            applicant=applicant, event_id=slot.event_id, status=BookingStatus.ACTIVE
        ).first()
        if existing is not None and existing.slot_id == slot.pk:
            return BookingResult(existing, created=False)
        _check_applicant(applicant)
        if by_applicant:
            _check_invited(invitation, slot)
            check_open_for_applicant(slot, now)
        else:
            _check_open_for_staff(slot, now)
        if existing is not None:
            raise _already_booked_error(slot)
        if _active_count(slot.pk) >= slot.capacity:
            raise SlotFull(_("申し訳ありません。この日程は満席になりました。"), code="full")
        _refuse_overlap(applicant, slot)
        booking = _new_booking(
            slot=slot, applicant=applicant, source=source, invitation=invitation, actor=actor, now=now
        )
        if booking is None:  # the same applicant booked another slot of the event a moment ago
            raise _already_booked_error(slot)
        _after_booking(booking, slot=slot, actor=actor, kind=BookingLogKind.BOOKED, request=request, now=now)
    return BookingResult(booking, created=True)


def _refuse_early_when_full(slot: Slot | int, applicant: Applicant) -> None:
    """Without the lock: a slot that is full now is full for everyone arriving now (a rush of refusals
    never queues on the slot's lock). A double submit of a booking just made is not refused here.

    A slot read by the caller in this request with its count (``with_booked_count``) is not read again.
    """
    slot_id = _pk(slot)
    if isinstance(slot, Slot) and getattr(slot, "booked_count", None) is not None:
        row = {"capacity": slot.capacity, "booked_count": slot.booked_count}
    else:
        row = (
            Slot.all_objects.with_booked_count().filter(pk=slot_id).values("capacity", "booked_count").first()
        )
    if row is None:
        raise BookingError(_("この日程は見つかりません。"), code="missing")
    if row["booked_count"] < row["capacity"]:
        return
    if Booking.objects.filter(slot_id=slot_id, applicant=applicant, status=BookingStatus.ACTIVE).exists():
        return
    raise SlotFull(_("申し訳ありません。この日程は満席になりました。"), code="full")


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
            _check_invited(invitation, new)
            check_open_for_applicant(new, now)
        else:
            _check_open_for_staff(new, now)
        if _active_count(new.pk) >= new.capacity:
            raise SlotFull(_("申し訳ありません。この日程は満席になりました。"), code="full")
        _refuse_overlap(booking.applicant, new, exclude_booking_id=booking.pk)
        booking.slot = new
        booking.ics_sequence += 1
        booking.reminder_sent_at = _reminder_mark(new, now)
        booking.save(update_fields=["slot", "ics_sequence", "reminder_sent_at", "updated_at"])
        if booking.invitation is not None:
            _keep_link_alive(booking.invitation, new)
        applicant = booking.applicant
        _log(
            booking,
            applicant=applicant,
            kind=BookingLogKind.MOVED,
            slot=new,
            actor=actor,
            body=f"{_when(old)} → {_when(new)}",
        )
        _audit("booking.moved", booking, actor=actor, request=request, from_slot_id=old.pk)
        booking_mail.mail_applicant(
            booking,
            MailKind.BOOKING_CHANGED,
            actor=actor,
            previous_start=old.starts_at,
            previous_end=old.ends_at,
        )
        _notify_hosts_of_move(old, new, applicant, actor)
        _promote(old, now=now)
    return booking


def _notify_hosts_of_move(old: Slot, new: Slot, applicant: Applicant, actor: User | None) -> None:
    new_host = booking_mail.host_user(new)
    booking_mail.notify_host(
        new,
        notice=_("予約の日程が変更されました"),
        applicant=applicant,
        previous_start=old.starts_at,
        previous_end=old.ends_at,
        actor=actor,
    )
    old_host = booking_mail.host_user(old)
    if old_host is not None and (new_host is None or old_host.pk != new_host.pk):
        booking_mail.notify_host(
            old, notice=_("予約が別の日程へ変更されました"), applicant=applicant, actor=actor
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
        applicant = booking.applicant
        _log(booking, applicant=applicant, kind=BookingLogKind.CANCELLED, slot=slot, actor=actor)
        _audit("booking.cancelled", booking, actor=actor, request=request, by_applicant=by_applicant)
        if notify:
            booking_mail.mail_applicant(
                booking, MailKind.BOOKING_CANCELLED, actor=actor, invite=InviteMethod.CANCEL
            )
            booking_mail.notify_host(
                slot, notice=_("予約がキャンセルされました"), applicant=applicant, actor=actor
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
    free = slot.capacity - _active_count(slot.pk)
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
        _check_applicant(applicant)
        _check_invited(invitation, slot)
        check_open_for_applicant(slot, now)
        if Booking.objects.filter(
            applicant=applicant, event_id=slot.event_id, status=BookingStatus.ACTIVE
        ).exists():
            raise _already_booked_error(slot)
        waiting = WaitlistEntry.objects.filter(
            applicant=applicant, slot=slot, status=WaitStatus.WAITING
        ).first()
        if waiting is not None:
            return waiting
        if _active_count(slot.pk) < slot.capacity:
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
        _log(None, applicant=applicant, kind=BookingLogKind.WAITING, slot=slot, actor=None)
        record_audit(
            action="booking.waitlisted",
            company=slot.company,
            target=entry,
            target_label=_slot_label(slot),
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
        _log(
            None, applicant=entry.applicant, kind=BookingLogKind.WAIT_WITHDRAWN, slot=entry.slot, actor=actor
        )
        record_audit(
            action="booking.wait_withdrawn",
            actor=actor,
            company=entry.slot.company,
            target=entry,
            target_label=_slot_label(entry.slot),
            details={"applicant_id": entry.applicant_id, "slot_id": entry.slot_id},
            request=request,
        )
    return entry


# --- 日程選択案内 ------------------------------------------------------------------------------------


def create_invitation(
    *,
    applicant: Applicant,
    events: list[Event],
    actor: User,
    days: int | None = None,
    send_mail: bool = True,
    request: HttpRequest | None = None,
) -> tuple[BookingInvitation, SentMail | None]:
    """日程選択案内: a personal link to book the chosen events, mailed to the applicant when asked."""
    _check_applicant(applicant)
    if not events:
        raise BookingError(_("案内するイベントを選んでください。"), code="no_events")
    if any(event.company_id != applicant.company_id for event in events):
        raise ValueError("events of another company")
    if send_mail and not applicant.email:
        raise BookingError(
            _("メールアドレスが登録されていないため、案内メールを送れません。"), code="no_email"
        )
    now = timezone.now()
    with transaction.atomic():
        invitation = BookingInvitation.objects.create(
            company_id=applicant.company_id,
            applicant=applicant,
            created_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=days or links.link_days()),
        )
        invitation.events.set(events)
        names = "、".join(f"{event.selection_meeting.name} / {event.name}" for event in events)
        BookingLog.objects.create(
            company_id=applicant.company_id,
            applicant=applicant,
            kind=BookingLogKind.INVITED,
            title=f"{BookingLogKind.INVITED.label}: {names}"[:255],
            body=_("有効期限: %(until)s")
            % {"until": format_datetime(invitation.expires_at, applicant.company.tzinfo)},
            actor=actor,
            actor_label=actor.display_name,
        )
        record_audit(
            action="booking.invited",
            actor=actor,
            company=applicant.company,
            target=invitation,
            target_label=names[:255],
            details={
                "applicant_id": applicant.pk,
                "events": [event.pk for event in events],
                "mail": send_mail,
            },
            request=request,
        )
        mail = booking_mail.mail_invitation(invitation, events=events, actor=actor) if send_mail else None
    return invitation, mail


def revoke_invitation(
    *, invitation: BookingInvitation, actor: User, request: HttpRequest | None = None
) -> None:
    """Stop a personal link from working (bookings made through it stay)."""
    with transaction.atomic():
        updated = BookingInvitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            record_audit(
                action="booking.invitation_revoked",
                actor=actor,
                company=invitation.company,
                target=invitation,
                details={"applicant_id": invitation.applicant_id},
                request=request,
            )


# --- called by applicants (personal-data deletion) ------------------------------------------------------


def cancel_future_bookings_for_applicant(*, applicant: Applicant, actor: User | None) -> int:
    """The booking side of deleting an applicant's personal data: cancel their future bookings (seats go to
    the waitlist; the applicant is not mailed any more), withdraw their waiting entries, revoke their links
    and erase their mails. Returns how many bookings were cancelled."""
    from notifications.services import erase_applicant_mails

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
        erase_applicant_mails(company=applicant.company, applicant_id=applicant.pk)
    return len(future)


# --- when a slot's time or meeting changes (scheduling.hooks) ------------------------------------------

SLOT_CHANGE_MAILS = {
    "moved": MailKind.BOOKING_CHANGED,
    "issued": MailKind.URL_ISSUED,
    "reissued": MailKind.URL_CHANGED,
}
SLOT_CHANGE_LOGS = {
    "moved": BookingLogKind.SLOT_MOVED,
    "issued": BookingLogKind.URL_ISSUED,
    "reissued": BookingLogKind.URL_CHANGED,
}


def _parse_time(value: Any) -> datetime | None:
    from django.utils.dateparse import parse_datetime

    return parse_datetime(value) if isinstance(value, str) else None


def notify_slot_change(*, slot_id: int, reason: str, change_id: str, details: dict | None = None) -> int:
    """Tell the slot's booked applicants that its time (予約変更) or Zoom URL (URL発行 / URL変更) changed,
    each with an updated invite (SEQUENCE raised). Once per change and booking: safe to run twice.
    Returns how many applicants were mailed."""
    details = details or {}
    slot = Slot.all_objects.select_related("company", "event__selection_meeting").filter(pk=slot_id).first()
    now = timezone.now()
    if slot is None or slot.deleted_at is not None or slot.ends_at <= now:
        return 0
    previous_start, previous_end = (
        _parse_time(details.get("previous_start")),
        _parse_time(details.get("previous_end")),
    )
    if reason == "deleted_in_zoom":
        booking_mail.notify_host(
            slot,
            notice=_("Zoom上でミーティングが削除されました。日程ページから再発行してください"),
            dedupe_key=f"slot-change:{change_id}:host",
        )
        return 0
    kind = SLOT_CHANGE_MAILS.get(reason)
    if kind is None:
        return 0
    ids = list(
        Booking.objects.filter(slot=slot, status=BookingStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    mailed = 0
    for booking_id in ids:
        if _notify_booking_of_slot_change(
            booking_id,
            slot=slot,
            reason=reason,
            kind=kind,
            change_id=change_id,
            now=now,
            previous_start=previous_start,
            previous_end=previous_end,
        ):
            mailed += 1
    if reason == "moved" and ids:
        booking_mail.notify_host(
            slot,
            notice=_("予約のある日程の日時が変更されました（予約者%(count)s名に通知しました）")
            % {"count": len(ids)},
            previous_start=previous_start,
            previous_end=previous_end,
            dedupe_key=f"slot-change:{change_id}:host",
        )
    return mailed


def _notify_booking_of_slot_change(
    booking_id: int,
    *,
    slot: Slot,
    reason: str,
    kind: str,
    change_id: str,
    now: datetime,
    previous_start: datetime | None,
    previous_end: datetime | None,
) -> bool:
    key = f"slot-change:{change_id}:{booking_id}"
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("applicant", "invitation", "company")
            .filter(pk=booking_id, slot=slot, status=BookingStatus.ACTIVE)
            .first()
        )
        if booking is None or SentMail.objects.filter(company=slot.company, dedupe_key=key).exists():
            return False
        booking.slot = slot
        booking.ics_sequence += 1
        fields = ["ics_sequence", "updated_at"]
        if reason == "moved":
            booking.reminder_sent_at = _reminder_mark(slot, now)
            fields.append("reminder_sent_at")
            if booking.invitation is not None:
                _keep_link_alive(booking.invitation, slot)
        booking.save(update_fields=fields)
        body = (
            f"{format_when(previous_start, previous_end, slot.company.tzinfo)} → {_when(slot)}"
            if (reason == "moved" and previous_start)
            else ""
        )
        _log(
            booking,
            applicant=booking.applicant,
            kind=SLOT_CHANGE_LOGS[reason],
            slot=slot,
            actor=None,
            body=body,
        )
        mail = booking_mail.mail_applicant(
            booking,
            kind,
            previous_start=previous_start if reason == "moved" else None,
            previous_end=previous_end if reason == "moved" else None,
            dedupe_key=key,
        )
    return mail is not None
