"""Celery tasks of the interviews app (Celery's autodiscovery reads this module). Each takes ids or nothing,
re-reads its rows, calls one service, and is safe to run twice or at the same time."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Company
from interviews import evaluation_reminders, evaluation_selectors

# --- evaluations: overdue reminders (評価入力のお願い) ------------------------------------------------------


@shared_task
def remind_overdue_evaluations() -> int:
    """Beat: one task per company that assigns interviewers; returns how many were enqueued."""
    company_ids = evaluation_selectors.companies_with_interviewers()
    for company_id in company_ids:
        remind_company_overdue_evaluations.delay(company_id)
    return len(company_ids)


@shared_task
def remind_company_overdue_evaluations(company_id: int) -> int:
    """Mail each overdue evaluation's interviewer once (the mail's once-only key stops a second run or a
    retried task from mailing again); returns how many mails were queued."""
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return 0
    return evaluation_reminders.send_evaluation_reminders(company=company)
