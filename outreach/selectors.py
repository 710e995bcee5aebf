"""Reads for 一括操作: who a job is for, its failures and its mails' delivery."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.http import QueryDict

from accounts.models import Company
from applicants import selectors as applicant_selectors
from applicants.forms import ApplicantFilterForm
from applicants.models import Applicant
from notifications.models import MailStatus, SentMail
from outreach.models import ItemState, JobItem, OutreachJob

# A job fixes its applicants when it starts; more than this is refused (narrow the filter).
MAX_JOB_APPLICANTS = 20_000
FAILURES_SHOWN = 200


def filtered_applicants(*, company: Company, query: str) -> QuerySet[Applicant]:
    """The applicant list's filter, re-evaluated from its query string within ``company``."""
    lists = applicant_selectors.company_lists(company)
    filters = ApplicantFilterForm(QueryDict(query), lists=lists).filters()
    return applicant_selectors.filter_applicants(Applicant.objects.filter(company=company), filters, lists)


def selected_applicants(*, company: Company, ids: list[int]) -> QuerySet[Applicant]:
    return Applicant.objects.filter(company=company, pk__in=ids).order_by("pk")


def applicant_ids(queryset: QuerySet[Applicant], *, limit: int = MAX_JOB_APPLICANTS) -> list[int]:
    """The ids in order, at most ``limit + 1`` (so a caller can tell the limit was passed)."""
    return list(queryset.values_list("pk", flat=True)[: limit + 1])


def company_jobs(company: Company) -> QuerySet[OutreachJob]:
    return OutreachJob.objects.filter(company=company).select_related("created_by", "event", "stage")


def _job_mails(job: OutreachJob) -> QuerySet[SentMail]:
    mail_ids = JobItem.objects.filter(job=job, sent_mail_id__isnull=False).values("sent_mail_id")
    return SentMail.objects.filter(company_id=job.company_id, pk__in=mail_ids)


@dataclass(frozen=True)
class MailProgress:
    queued: int = 0
    sent: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"queued": self.queued, "sent": self.sent, "failed": self.failed}


def mail_progress(job: OutreachJob) -> MailProgress:
    """How the job's mails are doing (one query): 送信待ち (incl. sending), 送信済み, 送信失敗."""
    counts = dict(_job_mails(job).values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return MailProgress(
        queued=counts.get(MailStatus.QUEUED, 0) + counts.get(MailStatus.SENDING, 0),
        sent=counts.get(MailStatus.SENT, 0),
        failed=counts.get(MailStatus.FAILED, 0),
    )


@dataclass(frozen=True)
class Failure:
    applicant_id: int
    name: str
    reason: str


def job_failures(job: OutreachJob, *, limit: int = FAILURES_SHOWN) -> list[Failure]:
    """Items that failed (with their reason), then mails that could not be delivered."""
    failures = [
        Failure(item.applicant_id, item.applicant.name, item.reason)
        for item in JobItem.objects.filter(job=job, state=ItemState.FAILED)
        .select_related("applicant")
        .order_by("pk")[:limit]
    ]
    if len(failures) < limit:
        mails = _job_mails(job).filter(status=MailStatus.FAILED).order_by("pk")[: limit - len(failures)]
        names = dict(
            Applicant.objects.filter(pk__in=[mail.applicant_id for mail in mails]).values_list("pk", "name")
        )
        failures += [
            Failure(mail.applicant_id or 0, names.get(mail.applicant_id or 0, ""), mail.last_error or "")
            for mail in mails
        ]
    return failures


def failed_mail_ids(job: OutreachJob) -> list[int]:
    return list(_job_mails(job).filter(status=MailStatus.FAILED).values_list("pk", flat=True))


def preview_recipient(queryset: QuerySet[Applicant]) -> Applicant | None:
    """The first applicant of the selection who can be mailed (the preview is rendered on them)."""
    return queryset.filter(anonymized_at__isnull=True).exclude(email="").select_related("company").first()
