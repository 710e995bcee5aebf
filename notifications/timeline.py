"""The applicant timeline's mail items (registered in NotificationsConfig.ready())."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant
from applicants.timeline import TimelineItem
from notifications.models import MailStatus, SentMail
from notifications.selectors import mails_for_applicant

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# Keyed by MailStatus values: a loaded mail's status is the plain string stored in the row.
_TITLES: dict[str, StrPromise] = {
    MailStatus.SENT: _("メール送信: %(kind)s"),
    MailStatus.QUEUED: _("メール送信待ち: %(kind)s"),
    MailStatus.SENDING: _("メール送信待ち: %(kind)s"),
    MailStatus.FAILED: _("メール送信失敗: %(kind)s"),
}


def mail_items(applicant: Applicant) -> list[TimelineItem]:
    """One item per mail to the applicant (one query)."""
    items = []
    # Each label translated once per call: get_kind_display() would translate every choice for every mail.
    labels = {kind: str(label) for kind, label in SentMail._meta.get_field("kind").flatchoices}
    titles = {status: str(title) for status, title in _TITLES.items()}
    for mail in mails_for_applicant(company_id=applicant.company_id, applicant_id=applicant.pk):
        items.append(
            TimelineItem(
                at=mail.sent_at or mail.created_at,
                kind="mail",
                title=titles[mail.status] % {"kind": labels.get(mail.kind, mail.kind)},
                body=f"{mail.subject}\n{mail.to_email}",
                actor=mail.actor.display_name if mail.actor else "",
                url=reverse("notifications:mail_detail", args=[mail.pk]),
            )
        )
    return items
