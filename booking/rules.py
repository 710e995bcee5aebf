"""The rules a booking action must pass, and the errors that refuse it (nothing is changed when refused)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from applicants.models import Applicant
from booking.models import Booking, BookingInvitation
from notifications.rendering import format_datetime, format_when
from notifications.services import company_contact
from scheduling.models import Slot


class BookingError(ValidationError):
    """A refused booking action, with a message for the person who tried it. Nothing was changed."""


class SlotFull(BookingError):
    """No seat left. ``existing``: the applicant's active booking in the slot's event when the refusal
    found one (the page shows it without reading it again)."""

    existing: Booking | None = None


class DeadlinePassed(BookingError):
    """Changing or cancelling after the event's deadline: the applicant must contact the company."""

    def __init__(self, message: str, *, contact: str) -> None:
        super().__init__(message, code="deadline")
        self.contact = contact


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    created: bool  # False: the applicant already had this very booking (a double submit)


def when(slot: Slot) -> str:
    return format_when(slot.starts_at, slot.ends_at, slot.company.tzinfo)


def slot_label(slot: Slot) -> str:
    event = slot.event
    return f"{event.selection_meeting.name} / {event.name}"


def check_applicant(applicant: Applicant) -> None:
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


def check_open_for_staff(slot: Slot, now: datetime) -> None:
    if slot.deleted_at is not None:
        raise BookingError(_("この日程は削除されています。"), code="deleted")
    if slot.starts_at <= now:
        raise BookingError(_("開始時刻を過ぎた日程には予約できません。"), code="started")


@dataclass(frozen=True)
class LinkRead:
    """How a slot was read through a personal link (``selectors.slot_with_link``): the invitation it was
    read through (so its event is one of the invitation's), the id of the applicant's active booking in
    that event at that moment (None: none), the id of one of their active bookings overlapping the slot's
    time in another event (None: none), and whether they were waiting for a slot of that event."""

    invitation_id: int
    applicant_id: int
    booking_id: int | None
    clash_id: int | None = None
    waiting: bool = True


_LINK_READ = "_booking_link_read"


def remember_link_read(slot: Slot, read: LinkRead) -> None:
    setattr(slot, _LINK_READ, read)


def link_read(slot: Slot) -> LinkRead | None:
    return getattr(slot, _LINK_READ, None)


def check_invited(invitation: BookingInvitation | None, slot: Slot) -> None:
    if invitation is None:
        raise BookingError(_("この日程は予約できません。"), code="not_invited")
    read = link_read(slot)
    if read is not None and read.invitation_id == invitation.pk:
        return  # read through this invitation: its event is one of the invitation's
    if not invitation.events.filter(pk=slot.event_id).exists():
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


def reminder_mark(slot: Slot, now: datetime) -> datetime | None:
    """A booking made (or moved) after its reminder time has just been mailed: no reminder on top."""
    at = slot.reminder_at
    return now if at is not None and at <= now else None


def already_booked_error(slot: Slot) -> BookingError:
    return BookingError(
        _(
            "「%(event)s」の日程はすでに予約済みです。変更する場合は、予約内容の「日程を変更する」から選んでください。"
        )
        % {"event": slot_label(slot)},
        code="already_booked",
    )
