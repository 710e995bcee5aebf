"""評価入力のお願い: the overdue evaluations' reminders, each mailed once.

``send_evaluation_reminders`` (run per company by ``interviews.tasks``) mails each interviewer of a slot who
has not submitted their evaluation of an applicant booked in it, once the company's due hours have passed
since the slot ended. Each mail carries a once-only key (slot, applicant, interviewer): ``queue_mail`` keeps
one mail per key, so a second beat run, a retried task or two workers at once never mail twice; the keys
already used are read first, so a run does not render the mails it would not send.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Company
from interviews import evaluation_selectors as selectors
from notifications.models import MailKind, SentMail
from notifications.rendering import MailContext
from notifications.services import StartUrlLeakError, queue_mail

logger = logging.getLogger(__name__)


def evaluation_url(applicant_id: int, meeting_id: int) -> str:
    """The absolute URL of the evaluation form (for mails)."""
    path = reverse("interviews:evaluation_edit", args=[applicant_id, meeting_id])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def reminder_key(due: selectors.DueEvaluation) -> str:
    return f"evaluation-reminder:{due.slot.pk}:{due.applicant.pk}:{due.evaluator.pk}"


def _queue_reminder(company: Company, due: selectors.DueEvaluation) -> bool:
    context = MailContext(
        host_name=due.evaluator.display_name,
        applicant_name=due.applicant.name,
        selection_meeting_name=due.meeting.name,
        event_name=due.slot.event.name,
        start=due.slot.starts_at,
        end=due.slot.ends_at,
        evaluation_url=evaluation_url(due.applicant.pk, due.meeting.pk),
    )
    try:
        with transaction.atomic():
            queue_mail(
                company=company,
                kind=MailKind.EVALUATION_REMINDER,
                to=due.evaluator.email,
                context=context,
                applicant=due.applicant,
                dedupe_key=reminder_key(due),
            )
    except (ValidationError, StartUrlLeakError):
        logger.exception("evaluation reminder %s could not be queued", reminder_key(due))
        return False
    return True


def send_evaluation_reminders(*, company: Company, now: datetime | None = None) -> int:
    """Mail 評価入力のお願い once for each overdue evaluation (interviewer × applicant) whose slot ended
    within the reminder window; returns how many were queued now. A second run finds them sent."""
    now = now or timezone.now()
    selectors.interview_settings(company)  # the 面接設定 row, made with its defaults on the first run
    candidates = selectors.reminder_candidates(company, now=now)
    keys = [reminder_key(due) for due in candidates]
    sent = set(
        SentMail.objects.filter(company=company, dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    return sum(_queue_reminder(company, due) for due in candidates if reminder_key(due) not in sent)
