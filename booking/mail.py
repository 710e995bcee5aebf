"""What the applicant and the host are told about a booking, through notifications.queue_mail.

Called by the booking services inside their transaction: queue_mail stores the SentMail with the booking
change (so a committed booking always has its mail, and a rolled-back one never does) and the mail leaves
from Celery after commit. A mail that cannot be queued (no or bad address, a start URL) is logged and
skipped; it never undoes the booking.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from booking import links
from booking.models import Booking, BookingInvitation
from notifications.ics import InviteMethod, invite_uid
from notifications.models import MailKind, SentMail
from notifications.rendering import MailContext
from notifications.services import StartUrlLeakError, build_company_invite, queue_mail
from scheduling.models import Slot

logger = logging.getLogger(__name__)


def join_details(slot: Slot) -> tuple[str, str]:
    """The slot's Zoom join URL and passcode while it has a meeting, else empty strings.

    Only the join URL is ever stored on a slot (the host's start URL is fetched when needed and never
    kept), and it is cleared whenever the meeting goes away.
    """
    if slot.event.is_zoom and slot.join_url:
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
        is_web_interview=event.is_zoom,
        join_url=join_url,
        passcode=passcode,
        venue=event.place,
        booking_url=booking_url(booking),
        cancel_deadline=slot.cancel_deadline,
    )


@translation.override(settings.LANGUAGE_CODE)  # the invite is Japanese whatever the staff member's language
def invite_for(booking: Booking, *, method: str = InviteMethod.REQUEST) -> bytes:
    """The booking's calendar invite: one UID for the booking's life, its current SEQUENCE."""
    slot = booking.slot
    event = slot.event
    company = booking.company
    join_url, passcode = join_details(slot)
    page = booking_url(booking)
    lines = []
    if join_url:
        lines.append(_("ZoomミーティングURL: %(url)s") % {"url": join_url})
        if passcode:
            lines.append(_("パスコード: %(passcode)s") % {"passcode": passcode})
    elif event.is_zoom:
        lines.append(_("Web面接（Zoom）です。ミーティングURLは発行され次第、メールでお知らせします。"))
    if event.place:
        lines.append(_("会場: %(venue)s") % {"venue": event.place})
    if page:
        lines.append(_("予約の確認・変更・キャンセル: %(url)s") % {"url": page})
    return build_company_invite(
        company=company,
        uid=invite_uid(f"booking-{booking.pk}"),
        sequence=booking.ics_sequence,
        method=method,
        start=slot.starts_at,
        end=slot.ends_at,
        summary=f"{event.selection_meeting.name} {event.name}（{company.name}）",
        attendee_email=booking.applicant.email,
        attendee_name=booking.applicant.name,
        description="\n".join(lines),
        location=join_url or event.place,
        url=page or None,
    )


def _queue(**kwargs) -> SentMail | None:
    """queue_mail in a savepoint: a refused mail is logged (never its content) and skipped."""
    try:
        with transaction.atomic():
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
    email = slot.event.zoom_host_email if slot.event.is_zoom else ""
    if not email:
        return None
    return User.objects.filter(company_id=slot.company_id, email__iexact=email, is_active=True).first()


def slot_url(slot: Slot) -> str:
    return f"{settings.SITE_URL}{reverse('scheduling:slot_detail', args=[slot.pk])}"


def notify_host(
    slot: Slot,
    *,
    notice: str,
    applicant: Any = None,
    previous_start: datetime | None = None,
    previous_end: datetime | None = None,
    actor: User | None = None,
    dedupe_key: str | None = None,
) -> SentMail | None:
    """面接官への通知: what happened on a slot they host, with a link to the slot page (never a start URL).

    Linked to the applicant it names, so it shows on their timeline and is erased with their personal data.
    """
    host = host_user(slot)
    if host is None:
        return None
    event = slot.event
    context = MailContext(
        applicant_name=applicant.name if applicant is not None else "",
        selection_meeting_name=event.selection_meeting.name,
        event_name=event.name,
        start=slot.starts_at,
        end=slot.ends_at,
        previous_start=previous_start,
        previous_end=previous_end,
        venue=event.place,
        host_name=host.display_name,
        slot_url=slot_url(slot),
        notice=notice,
    )
    return _queue(
        company=slot.company,
        kind=MailKind.HOST_NOTICE,
        to=host.email,
        context=context,
        applicant=applicant,
        actor=actor,
        dedupe_key=dedupe_key,
    )


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
