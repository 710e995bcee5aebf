"""A mail backend for the demo and local development: every message is kept in the database and shown on
the ローカルメールボックス page (/notifications/mailbox/). Never use it in production.

    EMAIL_BACKEND=notifications.backends.MailboxBackend
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from notifications.models import MailboxMessage, SentMail

BACKEND_PATH = "notifications.backends.MailboxBackend"


def _attachments(mime) -> list[dict]:
    found = []
    for part in mime.walk():
        if part.get_content_disposition() == "attachment":
            found.append(
                {"filename": part.get_filename() or "", "content_type": part.get("Content-Type", "")}
            )
    return found


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            mime = message.message()
            message_id = mime.get("Message-ID", "")
            company_id = (
                SentMail.objects.filter(message_id=message_id).values_list("company_id", flat=True).first()
                if message_id
                else None
            )
            MailboxMessage.objects.create(
                company_id=company_id,
                message_id=message_id,
                from_email=message.from_email,
                recipients=", ".join(message.recipients()),
                subject=str(message.subject),
                body=str(message.body),
                attachments=_attachments(mime),
                raw=mime.as_bytes(linesep="\r\n"),
            )
            sent += 1
        return sent
