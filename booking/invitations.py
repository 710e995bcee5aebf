"""日程選択案内: the applicant's personal links to book, and how long they keep working."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import User
from applicants.models import Applicant
from booking import links
from booking import mail as booking_mail
from booking.models import Booking, BookingInvitation, BookingLog, BookingLogKind, BookingStatus
from booking.rules import BookingError, check_applicant
from notifications.models import SentMail
from notifications.rendering import format_datetime
from scheduling.models import Event, Slot

# A link used for a booking keeps working until a day after the slot ends (confirmation, 変更, キャンセル).
LINK_GRACE = timedelta(days=1)


def invitation_for(
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


def keep_link_alive(invitation: BookingInvitation, slot: Slot) -> None:
    """The link in the confirmation must work until the interview is over."""
    until = min(slot.ends_at + LINK_GRACE, invitation.created_at + links.max_age())
    if invitation.expires_at < until:
        BookingInvitation.objects.filter(pk=invitation.pk, expires_at__lt=until).update(expires_at=until)
        invitation.expires_at = until


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
    check_applicant(applicant)
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


def invite_to_event(
    *, applicant: Applicant, event: Event, actor: User, days: int | None = None
) -> tuple[BookingInvitation, SentMail]:
    """日程選択案内 for one applicant of a bulk job: a personal link to ``event``, mailed.

    The job that calls this is audited once for all its applicants; each applicant's timeline still shows
    the invitation. Raises BookingError (nothing kept) for an applicant who cannot get one: anonymised,
    without an email address, already booked into the event, or whose mail cannot be queued.
    """
    check_applicant(applicant)
    if event.company_id != applicant.company_id:
        raise ValueError("event of another company")
    if not applicant.email:
        raise BookingError(_("メールアドレスが登録されていません。"), code="no_email")
    booked = Booking.objects.filter(applicant=applicant, event=event, status=BookingStatus.ACTIVE)
    if booked.exists():
        raise BookingError(_("このイベントは予約済みです。"), code="booked")
    now = timezone.now()
    with transaction.atomic():
        invitation = BookingInvitation.objects.create(
            company_id=applicant.company_id,
            applicant=applicant,
            created_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=days or links.link_days()),
        )
        invitation.events.add(event)
        name = f"{event.selection_meeting.name} / {event.name}"
        BookingLog.objects.create(
            company_id=applicant.company_id,
            applicant=applicant,
            kind=BookingLogKind.INVITED,
            title=f"{BookingLogKind.INVITED.label}: {name}"[:255],
            body=_("有効期限: %(until)s")
            % {"until": format_datetime(invitation.expires_at, applicant.company.tzinfo)},
            actor=actor,
            actor_label=actor.display_name,
        )
        mail = booking_mail.mail_invitation(invitation, events=[event], actor=actor)
        if mail is None:
            raise BookingError(
                _("案内メールを送れませんでした（メールアドレスを確認してください）。"), code="mail"
            )
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
