"""Read queries for mail pages: each list runs a fixed number of queries whatever its size."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Company
from notifications.models import MailboxMessage, SentMail

_LIST_FIELDS = (
    "id",
    "company_id",
    "kind",
    "to_email",
    "subject",
    "status",
    "attempts",
    "is_test",
    "ics_method",
    "created_at",
    "sent_at",
    "applicant_id",
    "booking_id",
)


def sent_mail_list(*, company: Company, status: str = "", kind: str = "", q: str = "") -> QuerySet[SentMail]:
    """The company's mails, newest first, filtered by status, kind and address or subject."""
    mails = SentMail.objects.filter(company=company).only(*_LIST_FIELDS)
    if status:
        mails = mails.filter(status=status)
    if kind:
        mails = mails.filter(kind=kind)
    if q:
        mails = mails.filter(Q(to_email__icontains=q) | Q(subject__icontains=q))
    return mails.order_by("-created_at", "-id")


def mails_for_applicant(*, company_id: int, applicant_id: int) -> QuerySet[SentMail]:
    """Every mail about one applicant, newest first (for the timeline)."""
    return (
        SentMail.objects.filter(company_id=company_id, applicant_id=applicant_id)
        .select_related("actor")
        .only(*_LIST_FIELDS, "actor__name", "actor__email")
        .order_by("-created_at", "-id")
    )


def mails_for_booking(*, company_id: int, booking_id: int) -> QuerySet[SentMail]:
    """Every mail about one booking, newest first."""
    return (
        SentMail.objects.filter(company_id=company_id, booking_id=booking_id)
        .only(*_LIST_FIELDS)
        .order_by("-created_at", "-id")
    )


def mailbox_list(*, company: Company, q: str = "") -> QuerySet[MailboxMessage]:
    """The demo mailbox: messages that left for the company's mails, newest first."""
    messages = MailboxMessage.objects.filter(company=company).defer("raw", "body")
    if q:
        messages = messages.filter(Q(recipients__icontains=q) | Q(subject__icontains=q))
    return messages.order_by("-created_at", "-id")
