"""What the applicant, the host and the slot's interviewers are told about a booking, through
notifications.queue_mail.

Called by the booking services inside their transaction: queue_mail stores the SentMail with the booking
change (so a committed booking always has its mail, and a rolled-back one never does) and the mail leaves
from Celery after commit. A mail that cannot be queued (no or bad address, a start URL) is logged and
skipped; it never undoes the booking.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from booking import links
from booking.models import Booking, BookingInvitation
from booking.registry import slot_notice_recipients
from notifications.ics import InviteMethod, invite_uid
from notifications.models import MailKind, SentMail
from notifications.rendering import MailContext
from notifications.services import StartUrlLeakError, build_company_invite, queue_mail
from notifications.text import replace_line_breaks
from scheduling.models import Slot

logger = logging.getLogger(__name__)


def join_details(slot: Slot) -> tuple[str, str]:
    """The slot's meeting join URL and passcode while it has a meeting, else empty strings.

    Only the join URL is ever stored on a slot (the host's start URL is fetched when needed and never
    kept), and it is cleared whenever the meeting goes away.
    """
    if slot.event.has_web_meeting and slot.join_url:
        return slot.join_url, slot.meeting_passcode
    return "", ""


def booking_url(booking: Booking) -> str:
    invitation = booking.invitation
    return links.invitation_url(invitation) if invitation is not None else ""


def applicant_context(
    booking: Booking, *, previous_start: datetime | None = None, previous_end: datetime | None = None
) -> MailContext:
    slot = booking.slot
    event = slot.event
    join_url, passcode = join_details(slot)
    return MailContext(
        applicant_name=booking.applicant.name,
        selection_meeting_name=event.selection_meeting.name,
        event_name=event.name,
        start=slot.starts_at,
        end=slot.ends_at,
        previous_start=previous_start,
        previous_end=previous_end,
        is_web_interview=event.has_web_meeting,
        web_meeting_service=event.get_web_meeting_display(),
        join_url=join_url,
        passcode=passcode,
        venue=event.place,
        booking_url=booking_url(booking),
        cancel_deadline=slot.cancel_deadline,
    )


def _invite_lines(booking: Booking) -> list[str]:
    """How to join and where to manage the booking, one line each (the join URL, never a start URL)."""
    event = booking.slot.event
    join_url, passcode = join_details(booking.slot)
    page = booking_url(booking)
    lines = []
    if join_url:
        lines.append(
            _("%(service)sミーティングURL: %(url)s")
            % {"service": event.get_web_meeting_display(), "url": join_url}
        )
        if passcode:
            lines.append(_("パスコード: %(passcode)s") % {"passcode": passcode})
    elif event.has_web_meeting:
        lines.append(
            _("Web面接（%(service)s）です。ミーティングURLは発行され次第、メールでお知らせします。")
            % {"service": event.get_web_meeting_display()}
        )
    if event.place:
        lines.append(_("会場: %(venue)s") % {"venue": event.place})
    if page:
        lines.append(_("予約の確認・変更・キャンセル: %(url)s") % {"url": page})
    return lines


def _invite_summary(booking: Booking) -> str:
    event = booking.slot.event
    return f"{event.selection_meeting.name} {event.name}（{booking.company.name}）"


@translation.override(settings.LANGUAGE_CODE)  # the invite is Japanese whatever the staff member's language
def invite_for(booking: Booking, *, method: str = InviteMethod.REQUEST) -> bytes:
    """The booking's calendar invite: one UID for the booking's life, its current SEQUENCE."""
    slot = booking.slot
    join_url, _passcode = join_details(slot)
    page = booking_url(booking)
    return build_company_invite(
        company=booking.company,
        uid=invite_uid(f"booking-{booking.pk}"),
        sequence=booking.ics_sequence,
        method=method,
        start=slot.starts_at,
        end=slot.ends_at,
        summary=_invite_summary(booking),
        attendee_email=booking.applicant.email,
        attendee_name=booking.applicant.name,
        description="\n".join(_invite_lines(booking)),
        location=join_url or slot.event.place,
        url=page or None,
    )


GOOGLE_CALENDAR_URL = "https://calendar.google.com/calendar/render"


def _utc_stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@translation.override(settings.LANGUAGE_CODE)
def google_calendar_url(booking: Booking) -> str:
    """Googleカレンダーに追加: the booking as a new event in the applicant's Google Calendar (times in UTC,
    every value URL-encoded; the same text as the invite, so the join URL but never a start URL)."""
    slot = booking.slot
    join_url, _passcode = join_details(slot)
    params = {
        "action": "TEMPLATE",
        "text": replace_line_breaks(_invite_summary(booking), " "),
        "dates": f"{_utc_stamp(slot.starts_at)}/{_utc_stamp(slot.ends_at)}",
        "details": replace_line_breaks("\n".join(_invite_lines(booking)), "\n"),
        "location": replace_line_breaks(join_url or slot.event.place, " "),
    }
    return f"{GOOGLE_CALENDAR_URL}?{urlencode(params, quote_via=quote)}"


def _queue(**kwargs) -> SentMail | None:
    """queue_mail; a refused mail is logged (never its content) and skipped. No savepoint of its own:
    queue_mail refuses (bad address, a start URL) before it stores the mail, and the only rows it may have
    written by then are the company's default mail settings and template, which stay valid."""
    try:
        return queue_mail(**kwargs)
    except (ValidationError, StartUrlLeakError) as exc:
        logger.warning(
            "mail %s for booking %s not queued: %s", kwargs["kind"], kwargs.get("booking"), type(exc)
        )
        return None


def mail_applicant(
    booking: Booking,
    kind: str,
    *,
    actor: User | None = None,
    previous_start: datetime | None = None,
    previous_end: datetime | None = None,
    invite: str | None = InviteMethod.REQUEST,
    dedupe_key: str | None = None,
) -> SentMail | None:
    """One mail of ``kind`` about ``booking`` to its applicant, with the invite unless ``invite`` is None."""
    applicant = booking.applicant
    if not applicant.email or applicant.is_anonymized:
        return None
    context = applicant_context(booking, previous_start=previous_start, previous_end=previous_end)
    if kind == MailKind.BOOKING_CANCELLED:
        context = replace(context, join_url="", passcode="")
    return _queue(
        company=booking.company,
        kind=kind,
        to=applicant.email,
        context=context,
        applicant=applicant,
        booking=booking,
        ics=invite_for(booking, method=invite) if invite else None,
        actor=actor,
        dedupe_key=dedupe_key,
    )


def host_user(slot: Slot) -> User | None:
    """The 面接官 (an active user of the company) whose email is the event's Zoom host, if any."""
    email = slot.event.meeting_host_email if slot.event.has_web_meeting else ""
    if not email:
        return None
    return User.objects.filter(company_id=slot.company_id, email__iexact=email, is_active=True).first()


def slot_url(slot: Slot) -> str:
    return f"{settings.SITE_URL}{reverse('scheduling:slot_detail', args=[slot.pk])}"


@dataclass(frozen=True)
class NoticeRecipient:
    """One address told about a slot: the page where they read it, whether they are the event's Zoom host,
    and whether the apps above name them for it (``booking.registry.slot_notice_recipients``): those get
    the booking's invite."""

    user: User
    page_url: str
    host: bool
    named: bool


def notice_recipients(slot: Slot) -> list[NoticeRecipient]:
    """The event's Zoom host and the users the apps above name for the slot, once per address (active users
    of the slot's company only)."""
    by_email: dict[str, NoticeRecipient] = {}
    host = host_user(slot)
    if host is not None:
        by_email[host.email.lower()] = NoticeRecipient(host, slot_url(slot), host=True, named=False)
    for recipients in slot_notice_recipients.functions():
        for recipient in recipients(slot):
            user = recipient.user
            if not user.email or not user.is_active or user.company_id != slot.company_id:
                continue
            known = by_email.get(user.email.lower())
            by_email[user.email.lower()] = (
                replace(known, named=True)
                if known is not None
                else NoticeRecipient(user, recipient.page_url or slot_url(slot), host=False, named=True)
            )
    return list(by_email.values())


@translation.override(settings.LANGUAGE_CODE)  # the invite is Japanese whatever the staff member's language
def interviewer_invite(booking: Booking, *, slot: Slot, recipient: NoticeRecipient, method: str) -> bytes:
    """The calendar invite of one booking for someone who interviews in ``slot``: a UID of its own per
    booking (not the applicant's), the booking's SEQUENCE, the join URL (never the host's start URL)."""
    event = slot.event
    join_url, passcode = join_details(slot)
    lines = [_("応募者: %(name)s 様") % {"name": booking.applicant.name}]
    if join_url:
        lines.append(
            _("%(service)sミーティングURL: %(url)s")
            % {"service": event.get_web_meeting_display(), "url": join_url}
        )
        if passcode:
            lines.append(_("パスコード: %(passcode)s") % {"passcode": passcode})
    elif event.has_web_meeting:
        lines.append(
            _("Web面接（%(service)s）です。ミーティングURLは発行され次第、メールでお知らせします。")
            % {"service": event.get_web_meeting_display()}
        )
    if event.place:
        lines.append(_("会場: %(venue)s") % {"venue": event.place})
    lines.append(_("日程の詳細: %(url)s") % {"url": recipient.page_url})
    return build_company_invite(
        company=booking.company,
        uid=invite_uid(f"booking-{booking.pk}-interviewer"),
        sequence=booking.ics_sequence,
        method=method,
        start=slot.starts_at,
        end=slot.ends_at,
        summary=f"{event.selection_meeting.name} {event.name}: {booking.applicant.name} 様",
        attendee_email=recipient.user.email,
        attendee_name=recipient.user.display_name,
        description="\n".join(lines),
        location=join_url or event.place,
        url=recipient.page_url,
    )


@dataclass(frozen=True)
class Notice:
    """What one 面接官への通知 says about a slot (and the booking it concerns, whose invite the named
    recipients get with ``invite`` as its METHOD)."""

    text: str
    applicant: Any = None
    previous_start: datetime | None = None
    previous_end: datetime | None = None
    booking: Booking | None = None
    invite: str | None = None


def _send_notice(
    slot: Slot, recipient: NoticeRecipient, notice: Notice, *, actor: User | None, dedupe_key: str | None
) -> SentMail | None:
    event = slot.event
    context = MailContext(
        applicant_name=notice.applicant.name if notice.applicant is not None else "",
        selection_meeting_name=event.selection_meeting.name,
        event_name=event.name,
        start=slot.starts_at,
        end=slot.ends_at,
        previous_start=notice.previous_start,
        previous_end=notice.previous_end,
        venue=event.place,
        host_name=recipient.user.display_name,
        slot_url=recipient.page_url,
        notice=notice.text,
    )
    ics = None
    if recipient.named and notice.booking is not None and notice.invite is not None:
        ics = interviewer_invite(notice.booking, slot=slot, recipient=recipient, method=notice.invite)
    return _queue(
        company=slot.company,
        kind=MailKind.HOST_NOTICE,
        to=recipient.user.email,
        context=context,
        applicant=notice.applicant,
        ics=ics,
        actor=actor,
        dedupe_key=dedupe_key,
    )


def _notice_key(recipient: NoticeRecipient, notice: Notice, dedupe_key: str | None) -> str | None:
    """Once per change and address: the caller's key for the host's notices (as it always was), one key per
    user for the named recipients' booking notices (the booking's SEQUENCE and the METHOD without one)."""
    booking = notice.booking
    if not recipient.named or booking is None:
        return dedupe_key
    if dedupe_key:
        return f"{dedupe_key}:user-{recipient.user.pk}"
    return f"interviewer-notice:{booking.pk}:{booking.ics_sequence}:{notice.invite}:user-{recipient.user.pk}"


def notify_host(
    slot: Slot,
    *,
    notice: str,
    applicant: Any = None,
    previous_start: datetime | None = None,
    previous_end: datetime | None = None,
    actor: User | None = None,
    dedupe_key: str | None = None,
    booking: Booking | None = None,
    invite: str | None = None,
    skip: frozenset[str] = frozenset(),
) -> list[SentMail]:
    """面接官への通知: what happened on a slot, to the event's Zoom host (with a link to the slot page), one
    mail per address, never a start URL. A notice about a ``booking`` also goes to the users the apps above
    name for the slot (``booking.registry.slot_notice_recipients``) with the booking's calendar invite
    (METHOD ``invite``); the slot's own news reach them per booking (``notify_interviewers``).

    Linked to the applicant it names, so it shows on their timeline and is erased with their personal data.
    ``skip``: addresses (lower case) already told about this change. Returns the mails queued.
    """
    about = Notice(notice, applicant, previous_start, previous_end, booking, invite)
    mails = []
    for recipient in notice_recipients(slot):
        if recipient.user.email.lower() in skip or (booking is None and not recipient.host):
            continue
        key = _notice_key(recipient, about, dedupe_key)
        mail = _send_notice(slot, recipient, about, actor=actor, dedupe_key=key)
        if mail is not None:
            mails.append(mail)
    return mails


def notify_interviewers(
    booking: Booking,
    *,
    notice: str,
    previous_start: datetime | None = None,
    previous_end: datetime | None = None,
    dedupe_key: str,
) -> list[SentMail]:
    """The booking's slot changed (moved, its Zoom URL issued or changed): the users the apps above name for
    the slot get the notice with the booking's updated invite (REQUEST), once per ``dedupe_key``."""
    slot = booking.slot
    about = Notice(notice, booking.applicant, previous_start, previous_end, booking, InviteMethod.REQUEST)
    mails = []
    for recipient in notice_recipients(slot):
        if recipient.named:
            key = _notice_key(recipient, about, dedupe_key)
            mail = _send_notice(slot, recipient, about, actor=None, dedupe_key=key)
            if mail is not None:
                mails.append(mail)
    return mails


def mail_invitation(invitation: BookingInvitation, *, events: list, actor: User | None) -> SentMail | None:
    """日程選択案内 with the applicant's personal link."""
    applicant = invitation.applicant
    meetings = list(dict.fromkeys(event.selection_meeting.name for event in events))
    context = MailContext(
        applicant_name=applicant.name,
        selection_meeting_name="、".join(meetings),
        event_name="、".join(event.name for event in events),
        booking_url=links.invitation_url(invitation),
    )
    return _queue(
        company=invitation.company,
        kind=MailKind.SCHEDULE_INVITATION,
        to=applicant.email,
        context=context,
        applicant=applicant,
        actor=actor,
    )
