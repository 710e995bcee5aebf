"""The applicant timeline's mail items (registered with applicants.timeline when that app provides it)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.models import MailStatus
from notifications.selectors import mails_for_applicant

_TITLES = {
    MailStatus.SENT: _("メール送信: %(kind)s"),
    MailStatus.QUEUED: _("メール送信待ち: %(kind)s"),
    MailStatus.SENDING: _("メール送信待ち: %(kind)s"),
    MailStatus.FAILED: _("メール送信失敗: %(kind)s"),
}


def mail_items(applicant: Any) -> list:
    """One item per mail to the applicant (one query)."""
    from applicants.timeline import TimelineItem

    items = []
    for mail in mails_for_applicant(company_id=applicant.company_id, applicant_id=applicant.pk):
        items.append(
            TimelineItem(
                at=mail.sent_at or mail.created_at,
                kind="mail",
                title=str(_TITLES[mail.status] % {"kind": mail.get_kind_display()}),
                body=f"{mail.subject}\n{mail.to_email}",
                actor=mail.actor.display_name if mail.actor else "",
                url=reverse("notifications:mail_detail", args=[mail.pk]),
            )
        )
    return items


def register() -> None:
    """Add mail_items to the applicant timeline when the applicants app offers one."""
    try:
        from applicants.timeline import register_timeline_source
    except ImportError:
        return
    register_timeline_source(mail_items)
