"""Telling booked applicants (and the host) that their slot's time or meeting URL changed.

Scheduling announces the change (scheduling.signals.slot_changed) after commit; booking.receivers hands it
to the Celery task booking.tasks.notify_slot_change, which runs ``notify_slot_change`` below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from booking import mail as booking_mail
from booking.history import log_booking
from booking.invitations import keep_link_alive
from booking.models import Booking, BookingLogKind, BookingStatus
from booking.rules import reminder_mark, when
from notifications.models import MailKind, SentMail
from notifications.rendering import format_when
from scheduling.models import Slot
from scheduling.signals import SlotChange

# Keyed by SlotChange; looked up with the task's plain-string reason (a StrEnum member equals its value).
SLOT_CHANGE_MAILS: dict[str, MailKind] = {
    SlotChange.MOVED: MailKind.BOOKING_CHANGED,
    SlotChange.ISSUED: MailKind.URL_ISSUED,
    SlotChange.REISSUED: MailKind.URL_CHANGED,
}
SLOT_CHANGE_LOGS: dict[str, BookingLogKind] = {
    SlotChange.MOVED: BookingLogKind.SLOT_MOVED,
    SlotChange.ISSUED: BookingLogKind.URL_ISSUED,
    SlotChange.REISSUED: BookingLogKind.URL_CHANGED,
}


def interviewer_notice(reason: str, *, service: str) -> str:
    """What the slot's interviewers are told, per booking, with its updated invite."""
    notices: dict[str, str] = {
        SlotChange.MOVED: _("予約のある日程の日時が変更されました"),
        SlotChange.ISSUED: _("%(service)sミーティングURLが発行されました") % {"service": service},
        SlotChange.REISSUED: _("%(service)sミーティングURLが変更されました") % {"service": service},
    }
    return notices[reason]


def _parse_time(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def notify_slot_change(
    *, slot_id: int, reason: str, change_id: str, details: dict[str, str] | None = None
) -> int:
    """Tell the slot's booked applicants that its time (予約変更) or meeting URL (URL発行 / URL変更) changed,
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
    if reason == SlotChange.DELETED_IN_ZOOM:
        booking_mail.notify_host(
            slot,
            notice=_("%(service)s上でミーティングが削除されました。日程ページから再発行してください")
            % {"service": slot.event.get_web_meeting_display()},
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
            booking.reminder_sent_at = reminder_mark(slot, now)
            fields.append("reminder_sent_at")
            if booking.invitation is not None:
                keep_link_alive(booking.invitation, slot)
        booking.save(update_fields=fields)
        body = (
            f"{format_when(previous_start, previous_end, slot.company.tzinfo)} → {when(slot)}"
            if (reason == "moved" and previous_start)
            else ""
        )
        log_booking(
            booking,
            applicant=booking.applicant,
            kind=SLOT_CHANGE_LOGS[reason],
            slot=slot,
            actor=None,
            body=body,
        )
        moved = reason == "moved"
        mail = booking_mail.mail_applicant(
            booking,
            kind,
            previous_start=previous_start if moved else None,
            previous_end=previous_end if moved else None,
            dedupe_key=key,
        )
        booking_mail.notify_interviewers(
            booking,
            notice=interviewer_notice(reason, service=slot.service_display),
            previous_start=previous_start if moved else None,
            previous_end=previous_end if moved else None,
            dedupe_key=f"{key}:interviewers",
        )
    return mail is not None
