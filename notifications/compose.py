"""Mails written for an applicant: a company template or a text written for the occasion (個別メール,
一斉メール), previewed on a real recipient and queued like every other mail.

``composer_for`` checks the text and reads the company's sender settings once, so a job that mails
thousands of applicants renders and stores each mail without reading them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, User
from applicants.models import Applicant
from notifications.models import AdhocKind, MailKind, MailSettings, SentMail
from notifications.rendering import MailContext, contains_start_url, kind_label, validate_template_text
from notifications.services import (
    PreparedMail,
    RenderedMail,
    _link_id,
    _store_and_enqueue,
    company_contact,
    get_mail_settings,
    render_text,
    store_many,
    template_text,
)

# Templates that need nothing but the applicant (no booking, no slot): offered for 個別メール and bulk mail.
APPLICANT_TEMPLATE_KINDS = (MailKind.RESULT_PASS, MailKind.RESULT_FAIL)


@dataclass(frozen=True)
class Composer:
    """One text (template or written) ready to be rendered and queued for many applicants."""

    company: Company
    kind: str
    subject: str
    body: str
    mail_settings: MailSettings
    contact: str

    def render(self, context: MailContext) -> RenderedMail:
        return render_text(
            company=self.company,
            kind=self.kind,
            subject=self.subject,
            body=self.body,
            context=context,
            contact=self.contact,
        )

    def queue(
        self,
        *,
        to: str,
        context: MailContext,
        applicant: Any = None,
        actor: User | None = None,
        dedupe_key: str | None = None,
    ) -> SentMail:
        """Render for ``context`` and store the mail; it leaves after the surrounding transaction commits."""
        validate_email(to)
        return _store_and_enqueue(
            company=self.company,
            kind=self.kind,
            to=to,
            rendered=self.render(context),
            mail_settings=self.mail_settings,
            applicant_id=_link_id(applicant),
            ics=None,
            actor=actor,
            dedupe_key=dedupe_key,
        )

    def queue_many(
        self, recipients: list[tuple[Applicant, str]], *, actor: User | None
    ) -> dict[int, SentMail | str]:
        """One mail per ``(applicant, dedupe_key)``, stored together (one INSERT) and sent after commit.

        Returns, per applicant id, the SentMail or the reason none was stored (no or bad address,
        anonymised, a start URL in the text). Raises IntegrityError when a dedupe key is taken.
        """
        results: dict[int, SentMail | str] = {}
        prepared: list[tuple[int, PreparedMail]] = []
        for applicant, dedupe_key in recipients:
            reason = can_mail(applicant)
            if not reason:
                try:
                    validate_email(applicant.email)
                except ValidationError as exc:
                    reason = " ".join(exc.messages)
            if reason:
                results[applicant.pk] = reason
                continue
            rendered = self.render(applicant_context(applicant))
            if contains_start_url(rendered.subject) or contains_start_url(rendered.body):
                results[applicant.pk] = _("Zoomの開始用URLを含むため送信できません。")
                continue
            prepared.append((applicant.pk, PreparedMail(applicant.email, rendered, applicant.pk, dedupe_key)))
        stored = store_many(
            company=self.company,
            kind=self.kind,
            mails=[mail for _pk, mail in prepared],
            mail_settings=self.mail_settings,
            actor=actor,
        )
        for (applicant_id, _mail), sent in zip(prepared, stored, strict=True):
            results[applicant_id] = sent
        return results


def composer_for(*, company: Company, kind: str, subject: str = "", body: str = "") -> Composer:
    """A template kind uses the company's saved template; a written kind (個別メール, 一斉メール) the given
    ``subject`` and ``body``, checked here (ValidationError naming every problem)."""
    if kind in AdhocKind.values:
        validate_template_text(subject, kind)
        validate_template_text(body, kind)
    else:
        subject, body = template_text(company=company, kind=MailKind(kind))
    mail_settings = get_mail_settings(company=company)
    return Composer(
        company=company,
        kind=kind,
        subject=subject,
        body=body,
        mail_settings=mail_settings,
        contact=company_contact(company, mail_settings),
    )


def applicant_context(applicant: Applicant) -> MailContext:
    """What a mail about the applicant alone can say."""
    return MailContext(applicant_name=applicant.name)


def can_mail(applicant: Applicant) -> str:
    """ "" when the applicant can be mailed, else the reason."""
    if applicant.is_anonymized:
        return _("個人情報を削除した応募者です。")
    if not applicant.email:
        return _("メールアドレスが登録されていません。")
    return ""


def send_personal_mail(
    *,
    applicant: Applicant,
    kind: str,
    subject: str,
    body: str,
    actor: User,
    request: HttpRequest | None = None,
) -> SentMail:
    """個別メール: one mail to one applicant, a template or written text. It shows on their timeline."""
    reason = can_mail(applicant)
    if reason:
        raise ValidationError(reason)
    composer = composer_for(company=applicant.company, kind=kind, subject=subject, body=body)
    with transaction.atomic():
        mail = composer.queue(
            to=applicant.email, context=applicant_context(applicant), applicant=applicant, actor=actor
        )
        record_audit(
            action="mail.personal_sent",
            actor=actor,
            company=applicant.company,
            target=mail,
            target_label=f"{kind_label(kind)} → {applicant.name}"[:255],
            details={"applicant_id": applicant.pk, "kind": kind},
            request=request,
        )
    return mail
