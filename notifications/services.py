"""Mail actions: templates and settings, queueing a mail, delivering it, retrying and resending.

The one call other apps make is ``queue_mail(company=, kind=, to=, context=MailContext(...), applicant=,
booking=, ics=, actor=)`` (booking.mail is the main caller).

It renders the company's template now (so the log holds exactly what is sent), refuses a Zoom start URL,
stores a SentMail and sends it from Celery after the surrounding transaction commits.
"""

from __future__ import annotations

import logging
import random
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.mime.text import MIMEText
from email.utils import make_msgid, parseaddr
from enum import StrEnum
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from accounts.audit import record_audit
from accounts.models import Company, User
from accounts.prepared import PreparedQuery
from notifications.defaults import DEFAULT_TEMPLATES
from notifications.ics import InviteMethod, build_invite, invite_method, invite_uid
from notifications.models import MailboxMessage, MailKind, MailSettings, MailStatus, MailTemplate, SentMail
from notifications.rendering import (
    MailContext,
    contains_start_url,
    placeholder_values,
    render_body,
    render_subject,
    sample_context,
    validate_template_text,
)

logger = logging.getLogger(__name__)

INVITE_KINDS = frozenset(
    {MailKind.BOOKING_CONFIRMED, MailKind.BOOKING_CHANGED, MailKind.URL_CHANGED, MailKind.BOOKING_CANCELLED}
)


class StartUrlLeakError(ValueError):
    """A mail would have carried a Zoom start URL (the host's ZAK). Nothing was stored or sent."""


# Templates and settings


# Every mail reads its template: compiled once (accounts.prepared).
_TEMPLATE: PreparedQuery[MailTemplate] = PreparedQuery(
    lambda company_id, kind: MailTemplate.objects.filter(company_id=company_id, kind=kind),
    company_id=-1,
    kind="\x00kind",
)


def get_template(*, company: Company, kind: str) -> MailTemplate:
    """The company's template of ``kind``, created from the Japanese default on first use."""
    default = DEFAULT_TEMPLATES[MailKind(kind)]
    stored = _TEMPLATE.first(company_id=company.pk, kind=str(kind))
    if stored is not None:
        return stored
    template, _created = MailTemplate.objects.get_or_create(
        company=company, kind=kind, defaults={"subject": default.subject, "body": default.body}
    )
    return template


def template_text(*, company: Company, kind: str) -> tuple[str, str]:
    """The subject and body a ``kind`` mail of the company uses: its saved template, else the Japanese
    default. Reading never writes (mails are queued inside bookings' transactions, where inserting the
    template row let concurrent bookings of one company deadlock on its unique key)."""
    stored = _TEMPLATE.first(company_id=company.pk, kind=str(kind))
    if stored is not None:
        return stored.subject, stored.body
    default = DEFAULT_TEMPLATES[MailKind(kind)]
    return default.subject, default.body


def ensure_templates(*, company: Company) -> list[MailTemplate]:
    """Every kind's template for the company (missing ones created from the defaults), in menu order."""
    existing = {t.kind: t for t in MailTemplate.objects.filter(company=company)}
    missing = [kind for kind in MailKind if kind not in existing]
    if missing:
        MailTemplate.objects.bulk_create(
            [
                MailTemplate(
                    company=company,
                    kind=kind,
                    subject=DEFAULT_TEMPLATES[kind].subject,
                    body=DEFAULT_TEMPLATES[kind].body,
                )
                for kind in missing
            ],
            ignore_conflicts=True,
        )
        existing = {t.kind: t for t in MailTemplate.objects.filter(company=company)}
    return [existing[kind] for kind in MailKind]


def update_template(
    *, template: MailTemplate, subject: str, body: str, actor: User, request: HttpRequest | None = None
) -> MailTemplate:
    """Save a new subject and body after checking every placeholder."""
    validate_template_text(subject, template.kind)
    validate_template_text(body, template.kind)
    return _save_template(template, subject, body, actor, "mail.template_updated", request)


def reset_template(
    *, template: MailTemplate, actor: User, request: HttpRequest | None = None
) -> MailTemplate:
    """Put the Japanese default back."""
    default = DEFAULT_TEMPLATES[template.kind]
    return _save_template(template, default.subject, default.body, actor, "mail.template_reset", request)


def _save_template(
    template: MailTemplate, subject: str, body: str, actor: User, action: str, request: HttpRequest | None
) -> MailTemplate:
    with transaction.atomic():
        template.subject, template.body, template.updated_by = subject, body, actor
        template.save(update_fields=["subject", "body", "updated_by", "updated_at"])
        record_audit(
            action=action,
            actor=actor,
            company=template.company,
            target=template,
            target_label=template.get_kind_display(),
            request=request,
        )
    return template


def get_mail_settings(*, company: Company) -> MailSettings:
    """The company's mail settings: the ones read with the company (``select_related("mail_settings")``,
    as the booking link does), else read now; an unsaved default when the company never saved any.

    Reading never writes: a booking, move or cancel reads the settings inside its own transaction, and
    inserting the row there let concurrent bookings of one company deadlock on its unique key.
    """
    relation = Company.mail_settings.related  # the reverse one-to-one's field, which caches the object
    if relation.is_cached(company):
        cached = relation.get_cached_value(company)
        return cached if isinstance(cached, MailSettings) else MailSettings(company=company)
    stored = MailSettings.objects.filter(company=company).first()
    return stored if stored is not None else MailSettings(company=company)


def update_mail_settings(
    *,
    company: Company,
    sender_name: str,
    reply_to: str,
    contact: str,
    actor: User,
    request: HttpRequest | None = None,
) -> MailSettings:
    """Change the sender name, reply-to address and contact text."""
    with transaction.atomic():
        mail_settings, _created = MailSettings.objects.select_for_update().get_or_create(company=company)
        mail_settings.sender_name = " ".join(sender_name.split())
        mail_settings.reply_to, mail_settings.contact = reply_to, contact
        mail_settings.save(update_fields=["sender_name", "reply_to", "contact", "updated_at"])
        record_audit(
            action="mail.settings_updated",
            actor=actor,
            company=company,
            target=mail_settings,
            target_label=_("メール送信設定"),
            request=request,
        )
    return mail_settings


def company_contact(company: Company, mail_settings: MailSettings | None = None) -> str:
    """The company's 問い合わせ先 text (also for pages that refuse a late cancellation)."""
    mail_settings = mail_settings or get_mail_settings(company=company)
    if mail_settings.contact.strip():
        return mail_settings.contact.strip()
    lines = [_("%(company)s 採用担当") % {"company": company.name}]
    if mail_settings.reply_to:
        lines.append(mail_settings.reply_to)
    return "\n".join(lines)


def system_from_address() -> str:
    """The address part of DEFAULT_FROM_EMAIL: every company sends from it (SPF/DKIM are ours)."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "no-reply@example.com"


@translation.override(settings.LANGUAGE_CODE)  # mails are Japanese whatever the sender's screen language
def sender_address(company: Company, mail_settings: MailSettings | None = None) -> str:
    """「会社名 採用担当 <no-reply@…>」: the company's name on the system's address."""
    mail_settings = mail_settings or get_mail_settings(company=company)
    name = mail_settings.sender_name or _("%(company)s 採用担当") % {"company": company.name}
    local, _at, domain = system_from_address().partition("@")
    return str(Address(display_name=" ".join(name.split()), username=local, domain=domain))


def build_company_invite(
    *,
    company: Company,
    uid: str,
    sequence: int,
    method: str,
    start: datetime,
    end: datetime,
    summary: str,
    attendee_email: str,
    attendee_name: str = "",
    description: str = "",
    location: str = "",
    url: str | None = None,
) -> bytes:
    """``build_invite`` in the company's time zone, organized by the company on the system's address."""
    return build_invite(
        uid=uid,
        sequence=sequence,
        method=method,
        start=start,
        end=end,
        tz_name=company.time_zone,
        summary=summary,
        description=description,
        location=location,
        organizer_email=system_from_address(),
        organizer_name=company.name,
        attendee_email=attendee_email,
        attendee_name=attendee_name or None,
        url=url,
    )


# Rendering


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


def render_text(
    *, company: Company, kind: str, subject: str, body: str, context: MailContext, contact: str | None = None
) -> RenderedMail:
    """``subject`` and ``body`` (template text) filled in for ``context``."""
    # Mails are in the company's language whatever the sender's screen shows (the templates are Japanese).
    with translation.override(settings.LANGUAGE_CODE):
        values = placeholder_values(
            company=company, kind=kind, context=context, contact=contact or company_contact(company)
        )
    return RenderedMail(subject=render_subject(subject, values), body=render_body(body, values))


def render_sample(*, company: Company, kind: str, subject: str, body: str) -> RenderedMail:
    """The preview: ``subject`` and ``body`` filled in with sample data."""
    return render_text(
        company=company, kind=kind, subject=subject, body=body, context=sample_context(company, kind)
    )


def _unfold_ics(ics: str) -> str:
    # RFC 5545 folds long lines at 75 octets; a start URL could straddle a fold.
    return re.sub(r"\r?\n[ \t]", "", ics)


def _refuse_start_urls(*texts: str) -> None:
    if any(contains_start_url(text) for text in texts):
        raise StartUrlLeakError(
            "A Zoom start URL (host link with zak=) must never be mailed; use the join URL."
        )


# Queueing and delivery


def _link_id(value: Any) -> int | None:
    if value is None:
        return None
    return int(value.pk if hasattr(value, "pk") else value)


def _enqueue(sent_mail_id: int) -> None:
    from notifications.tasks import send_mail_task

    try:
        send_mail_task.delay(sent_mail_id)
    except (BrokerError, OSError):
        # The mail stays queued; requeue_stuck_mails (beat) sends it once the broker is back.
        logger.exception("could not enqueue mail %s; the sweeper will retry", sent_mail_id)


def queue_mail(
    *,
    company: Company,
    kind: str,
    to: str,
    context: MailContext,
    applicant: Any = None,
    booking: Any = None,
    ics: bytes | None = None,
    actor: User | None = None,
    dedupe_key: str | None = None,
) -> SentMail:
    """Render the company's ``kind`` template for ``context`` and send it to ``to`` after commit.

    ``applicant`` / ``booking``: model instances or ids, stored as ``applicant_id`` / ``booking_id``.
    ``ics``: a calendar object from ``notifications.ics.build_invite``, attached as text/calendar.
    ``dedupe_key``: once-only key within the company; a second call with it returns the first SentMail.
    Raises StartUrlLeakError when any text carries a Zoom start URL, ValidationError for a bad address.
    """
    kind = MailKind(kind)
    validate_email(to)
    mail_settings = get_mail_settings(company=company)
    subject, body = template_text(company=company, kind=kind)
    rendered = render_text(
        company=company,
        kind=kind,
        subject=subject,
        body=body,
        context=context,
        contact=company_contact(company, mail_settings),
    )
    return _store_and_enqueue(
        company=company,
        kind=kind,
        to=to,
        rendered=rendered,
        mail_settings=mail_settings,
        applicant_id=_link_id(applicant),
        booking_id=_link_id(booking),
        ics=ics,
        actor=actor,
        dedupe_key=dedupe_key,
    )


def _store_and_enqueue(
    *,
    company: Company,
    kind: str,
    to: str,
    rendered: RenderedMail,
    mail_settings: MailSettings,
    ics: bytes | None,
    actor: User | None,
    dedupe_key: str | None,
    applicant_id: int | None = None,
    booking_id: int | None = None,
    is_test: bool = False,
) -> SentMail:
    ics_text = ics.decode("utf-8") if ics else ""
    _refuse_start_urls(rendered.subject, rendered.body, _unfold_ics(ics_text))
    host = urlsplit(settings.SITE_URL).hostname or "e2rpro.invalid"
    fields = {
        "kind": kind,
        "to_email": to,
        "from_email": sender_address(company, mail_settings),
        "reply_to": mail_settings.reply_to,
        "subject": rendered.subject,
        "body": rendered.body,
        "ics": ics_text,
        "ics_method": invite_method(ics) if ics else "",
        "message_id": make_msgid(domain=host),
        "applicant_id": applicant_id,
        "booking_id": booking_id,
        "actor": actor if actor is not None and actor.pk else None,
        "is_test": is_test,
    }
    # Inside a caller's transaction (a booking) no savepoint is needed unless a duplicate key must be
    # survived: any other error fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        if dedupe_key:
            existing = SentMail.objects.filter(company=company, dedupe_key=dedupe_key).first()
            if existing is not None:
                return existing
        try:
            with transaction.atomic(savepoint=bool(dedupe_key)):
                mail = SentMail.objects.create(company=company, dedupe_key=dedupe_key, **fields)
        except IntegrityError:
            if not dedupe_key:
                raise
            # Another transaction queued the same key first and has committed.
            return SentMail.objects.get(company=company, dedupe_key=dedupe_key)
        transaction.on_commit(partial(_enqueue, mail.pk))
    return mail


@dataclass(frozen=True)
class PreparedMail:
    """One rendered mail of a batch (``store_many``): its address, text and links."""

    to: str
    rendered: RenderedMail
    applicant_id: int | None = None
    dedupe_key: str | None = None


def store_many(
    *, company: Company, kind: str, mails: list[PreparedMail], mail_settings: MailSettings, actor: User | None
) -> list[SentMail]:
    """Store many rendered mails in one INSERT and send each after commit (bulk jobs).

    The caller has validated the addresses. Raises StartUrlLeakError (nothing stored) when any text carries
    a Zoom start URL, IntegrityError when a ``dedupe_key`` is already taken (nothing stored: the caller
    falls back to ``queue_mail``-style one-by-one storing).
    """
    for mail in mails:
        _refuse_start_urls(mail.rendered.subject, mail.rendered.body)
    host = urlsplit(settings.SITE_URL).hostname or "e2rpro.invalid"
    from_email = sender_address(company, mail_settings)
    author = actor if actor is not None and actor.pk else None
    rows = [
        SentMail(
            company=company,
            kind=kind,
            to_email=mail.to,
            from_email=from_email,
            reply_to=mail_settings.reply_to,
            subject=mail.rendered.subject,
            body=mail.rendered.body,
            message_id=make_msgid(domain=host),
            applicant_id=mail.applicant_id,
            dedupe_key=mail.dedupe_key,
            actor=author,
        )
        for mail in mails
    ]
    with transaction.atomic():
        stored = SentMail.objects.bulk_create(rows)
        for row in stored:
            transaction.on_commit(partial(_enqueue, row.pk))
    return stored


def send_test_mail(*, template: MailTemplate, to: str, actor: User) -> SentMail:
    """Send the saved template, filled with sample data, to ``to`` (the signed-in user) as a test."""
    company = template.company
    mail_settings = get_mail_settings(company=company)
    rendered = render_sample(
        company=company, kind=template.kind, subject=template.subject, body=template.body
    )
    rendered = RenderedMail(
        subject=_("[テスト送信] %(subject)s") % {"subject": rendered.subject}, body=rendered.body
    )
    ics = None
    if template.kind in INVITE_KINDS:
        context = sample_context(company, template.kind)
        assert context.start is not None and context.end is not None  # a sample always has both
        ics = build_company_invite(
            company=company,
            uid=invite_uid(f"test-{template.pk}"),
            sequence=0,
            method=InviteMethod.CANCEL
            if template.kind == MailKind.BOOKING_CANCELLED
            else InviteMethod.REQUEST,
            start=context.start,
            end=context.end,
            summary=f"{context.selection_meeting_name}（{company.name}）",
            description=context.join_url,
            location=context.join_url,
            attendee_email=to,
            url=context.booking_url,
        )
    return _store_and_enqueue(
        company=company,
        kind=template.kind,
        to=to,
        rendered=rendered,
        mail_settings=mail_settings,
        ics=ics,
        actor=actor,
        dedupe_key=None,
        is_test=True,
    )


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # already sent, or another worker is sending it
    RETRY = "retry"  # temporary failure: try again after retry_in seconds
    FAILED = "failed"  # permanent failure, or out of attempts


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    retry_in: int = 0


def _is_temporary(exc: BaseException) -> bool:
    """4xx SMTP replies, dropped connections and network errors pass; 5xx replies will not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return False
    return isinstance(exc, smtplib.SMTPException | OSError)


def retry_delay(attempts: int) -> int:
    """Seconds before attempt ``attempts + 1``: doubling from MAIL_RETRY_BACKOFF_SECONDS, capped, jittered."""
    base = settings.MAIL_RETRY_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)
    delay = min(base, settings.MAIL_RETRY_BACKOFF_MAX_SECONDS)
    return max(1, int(delay * random.uniform(0.8, 1.2)))  # noqa: S311 - spreading retries, not security


def _email_message(mail: SentMail) -> EmailMessage:
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=mail.from_email,
        to=[mail.to_email],
        reply_to=[mail.reply_to] if mail.reply_to else None,
        headers={"Message-ID": mail.message_id, "Auto-Submitted": "auto-generated"},
    )
    if mail.ics:
        part = MIMEText(mail.ics, "calendar", "utf-8")
        part.set_param("method", mail.ics_method or "REQUEST")
        filename = "cancel.ics" if mail.ics_method == "CANCEL" else "invite.ics"
        part.add_header("Content-Disposition", "attachment", filename=filename)
        message.attach(part)
    return message


def _claim(sent_mail_id: int, now: datetime) -> bool:
    """Take the mail for this attempt; False when it is sent, failed, or being sent by someone alive."""
    stale = now - timedelta(seconds=settings.MAIL_STALE_SENDING_SECONDS)
    claimable = Q(status=MailStatus.QUEUED) | Q(status=MailStatus.SENDING, claimed_at__lt=stale)
    return bool(
        SentMail.objects.filter(claimable, pk=sent_mail_id).update(
            status=MailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def deliver_mail(*, sent_mail_id: int) -> DeliveryResult:
    """Send one queued mail through the configured backend and record the result. Safe to run twice."""
    now = timezone.now()
    if not _claim(sent_mail_id, now):
        return DeliveryResult(Outcome.SKIPPED)
    mail = SentMail.objects.get(pk=sent_mail_id)
    try:
        _email_message(mail).send()
    except Exception as exc:  # noqa: BLE001 - recorded on the mail; bugs are re-raised below
        return _record_failure(mail, exc, claimed_at=now)
    SentMail.objects.filter(pk=mail.pk).update(status=MailStatus.SENT, sent_at=timezone.now(), last_error="")
    return DeliveryResult(Outcome.SENT)


def _record_failure(mail: SentMail, exc: Exception, *, claimed_at: datetime) -> DeliveryResult:
    temporary = _is_temporary(exc)
    error = f"{type(exc).__name__}: {exc}"[:2000]
    ours = SentMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING, claimed_at=claimed_at)
    if temporary and mail.attempts < settings.MAIL_MAX_ATTEMPTS:
        delay = retry_delay(mail.attempts)
        ours.update(
            status=MailStatus.QUEUED,
            last_error=error,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        logger.warning(
            "mail %s: attempt %s failed (%s), retry in %ss", mail.pk, mail.attempts, type(exc).__name__, delay
        )
        return DeliveryResult(Outcome.RETRY, retry_in=delay)
    ours.update(status=MailStatus.FAILED, last_error=error)
    logger.error("mail %s: failed after %s attempt(s) (%s)", mail.pk, mail.attempts, type(exc).__name__)
    if not isinstance(exc, smtplib.SMTPException | OSError):
        raise exc
    return DeliveryResult(Outcome.FAILED)


def postpone_mail(*, sent_mail_id: int, seconds: float) -> None:
    """A queued mail waits for its paced send time: the sweeper leaves it alone until then."""
    due = timezone.now() + timedelta(seconds=seconds)
    SentMail.objects.filter(pk=sent_mail_id, status=MailStatus.QUEUED).update(next_attempt_at=due)


def resend_mail(*, sent_mail: SentMail, actor: User, request: HttpRequest | None = None) -> SentMail:
    """Queue a failed mail again (a sent mail is never sent twice)."""
    with transaction.atomic():
        mail = SentMail.objects.select_for_update().get(pk=sent_mail.pk)
        if mail.status != MailStatus.FAILED:
            raise ValidationError(_("再送できるのは送信に失敗したメールだけです。"))
        mail.status, mail.attempts, mail.next_attempt_at = MailStatus.QUEUED, 0, timezone.now()
        mail.save(update_fields=["status", "attempts", "next_attempt_at"])
        record_audit(
            action="mail.resent",
            actor=actor,
            company=mail.company,
            target=mail,
            target_label=f"{mail.get_kind_display()} → {mail.to_email}",
            request=request,
        )
        transaction.on_commit(partial(_enqueue, mail.pk))
    return mail


def resend_failed_mails(*, company: Company, sent_mail_ids: list[int]) -> int:
    """Queue the company's failed mails among ``sent_mail_ids`` again (sent ones are never sent twice).

    For a bulk job's retry, which records one audit entry for all of them. Returns how many.
    """
    with transaction.atomic():
        ids = list(
            SentMail.objects.select_for_update()
            .filter(company=company, pk__in=sent_mail_ids, status=MailStatus.FAILED)
            .values_list("pk", flat=True)
        )
        SentMail.objects.filter(pk__in=ids, status=MailStatus.FAILED).update(
            status=MailStatus.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        for pk in ids:
            transaction.on_commit(partial(_enqueue, pk))
    return len(ids)


def requeue_stuck_mails(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue mails whose task was lost (broker down at commit, worker killed mid-send)."""
    now = now or timezone.now()
    lost_queued = Q(
        status=MailStatus.QUEUED,
        next_attempt_at__lt=now - timedelta(seconds=settings.MAIL_REQUEUE_AFTER_SECONDS),
    )
    dead_sending = Q(
        status=MailStatus.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.MAIL_STALE_SENDING_SECONDS),
    )
    ids = list(SentMail.objects.filter(lost_queued | dead_sending).values_list("pk", flat=True)[:limit])
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def erase_applicant_mails(*, company: Company, applicant_id: int) -> int:
    """Personal-data deletion: scrub the applicant's mails and stop the unsent ones. Returns how many."""
    erased = _("（個人情報削除済み）")
    with transaction.atomic():
        mails = SentMail.objects.select_for_update().filter(company=company, applicant_id=applicant_id)
        message_ids = list(mails.values_list("message_id", flat=True))
        mails.filter(status__in=[MailStatus.QUEUED, MailStatus.SENDING]).update(
            status=MailStatus.FAILED, last_error=_("応募者の個人情報削除により送信を取り消しました。")
        )
        count = mails.update(to_email="", subject=erased, body=erased, ics="", reply_to="")
        MailboxMessage.objects.filter(message_id__in=message_ids).delete()
    return count
