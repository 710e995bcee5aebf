"""Celery tasks of scheduling. Each takes ids, re-fetches, is safe to run twice and concurrently."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from scheduling import issuance

# The hard time limit stays below the claim lease (SCHEDULING_CLAIM_LEASE_SECONDS, 180 s by default), so a
# slot's claim never expires while the worker that holds it may still be talking to Zoom.
SYNC_TIME_LIMIT = settings.SCHEDULING_SYNC_TIME_LIMIT_SECONDS
SYNC_SOFT_TIME_LIMIT = max(SYNC_TIME_LIMIT - 10, 1)


@shared_task(
    acks_late=True, time_limit=SYNC_TIME_LIMIT, soft_time_limit=SYNC_SOFT_TIME_LIMIT, ignore_result=True
)
def sync_slot_meeting(slot_id: int) -> str:
    """Issue, update or delete the slot's Zoom meeting (scheduling.issuance)."""
    outcome = issuance.sync_slot_meeting(slot_id=slot_id)
    if outcome.status == "retry" and not settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process (eager) mode would retry at once, in a loop: there the sweeper or a click retries.
        issuance.enqueue([slot_id], countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def sweep_pending_meetings() -> int:
    """Every minute (beat): re-enqueue pending slots whose task was lost or whose wait is over."""
    return issuance.sweep()


@shared_task(acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=280)
def notify_slot_change(slot_id: int, reason: str, change_id: str, details: dict | None = None) -> int:
    """Mail the slot's booked applicants about its new time or Zoom URL (once per change and booking)."""
    from scheduling.booking_services import notify_slot_change as notify

    return notify(slot_id=slot_id, reason=reason, change_id=change_id, details=details)
