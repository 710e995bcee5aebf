"""Celery tasks for mail. Each takes ids, re-fetches, and is safe to run twice."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings

from notifications import pacing, reminders, services
from notifications.models import MailStatus, SentMail


def pacing_delay(*, sent_mail_id: int, send_at: float | None, now: float | None = None) -> float:
    """Seconds this mail must wait for its send time under MAIL_SEND_RATE_PER_SECOND (0: send now).

    ``send_at`` is a send time reserved by an earlier run of the task (epoch seconds); without one a new
    time is reserved. A mail already sent or being sent reserves nothing. Raises pacing.PacingBusy when
    the next free time is beyond the horizon.
    """
    now = time.time() if now is None else now
    if send_at is not None:
        return max(0.0, send_at - now)
    if not SentMail.objects.filter(pk=sent_mail_id, status=MailStatus.QUEUED).exists():
        return 0.0
    return pacing.reserve()


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_mail_task(self, sent_mail_id: int, send_at: float | None = None) -> str:
    """Send one SentMail; temporary SMTP failures come back here with backoff until MAIL_MAX_ATTEMPTS.

    Paced to MAIL_SEND_RATE_PER_SECOND across workers (notifications.pacing): a short wait is slept, a
    longer one comes back at its reserved time, and a full horizon comes back later to reserve. In-process
    (eager) runs are not paced.
    """
    if not self.request.is_eager:
        try:
            wait = pacing_delay(sent_mail_id=sent_mail_id, send_at=send_at)
        except pacing.PacingBusy as busy:
            services.postpone_mail(sent_mail_id=sent_mail_id, seconds=busy.retry_in)
            raise self.retry(args=(sent_mail_id,), kwargs={}, countdown=busy.retry_in) from None
        if wait > settings.MAIL_PACING_SLEEP_MAX_SECONDS:
            services.postpone_mail(sent_mail_id=sent_mail_id, seconds=wait)
            later = {"send_at": time.time() + wait}
            raise self.retry(args=(sent_mail_id,), kwargs=later, countdown=wait)
        if wait > 0:
            time.sleep(wait)
    result = services.deliver_mail(sent_mail_id=sent_mail_id)
    if result.outcome == services.Outcome.RETRY:
        # The attempt count lives on the SentMail, so the limit holds even when the sweeper re-enqueues.
        raise self.retry(args=(sent_mail_id,), kwargs={}, countdown=result.retry_in)
    return result.outcome.value


@shared_task
def requeue_stuck_mail() -> int:
    """Beat: enqueue mails whose task was lost (broker down at commit, worker killed while sending)."""
    return services.requeue_stuck_mails()


@shared_task
def send_due_reminders() -> int:
    """Beat: queue every due reminder from the registered sources (once per reminder key)."""
    return reminders.run_reminder_sources()
