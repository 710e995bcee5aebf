"""Celery tasks for mail. Each takes ids, re-fetches, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from notifications import reminders, services


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_mail_task(self, sent_mail_id: int) -> str:
    """Send one SentMail; temporary SMTP failures come back here with backoff until MAIL_MAX_ATTEMPTS."""
    result = services.deliver_mail(sent_mail_id=sent_mail_id)
    if result.outcome == services.Outcome.RETRY:
        # The attempt count lives on the SentMail, so the limit holds even when the sweeper re-enqueues.
        raise self.retry(countdown=result.retry_in)
    return result.outcome.value


@shared_task
def requeue_stuck_mail() -> int:
    """Beat: enqueue mails whose task was lost (broker down at commit, worker killed while sending)."""
    return services.requeue_stuck_mails()


@shared_task
def send_due_reminders() -> int:
    """Beat: queue every due reminder from the registered sources (once per reminder key)."""
    return reminders.run_reminder_sources()
