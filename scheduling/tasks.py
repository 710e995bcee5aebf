"""Celery tasks of scheduling, and how they are enqueued. Each takes ids, re-fetches, is safe to run twice
and concurrently."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from scheduling import issuance
from scheduling.models import Slot

logger = logging.getLogger(__name__)

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
        enqueue([slot_id], countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def sweep_pending_meetings() -> int:
    """Every minute (beat): re-enqueue pending slots whose task was lost or whose wait is over."""
    resume_slot_batches()
    return sweep()


@shared_task(acks_late=True, ignore_result=True, time_limit=3600, soft_time_limit=3500)
def run_slot_batch(batch_id: int) -> int:
    """日程の一括操作: process the batch's slots not yet done (scheduling.batches)."""
    from scheduling import batches  # batches enqueues this task

    return batches.run_slot_batch(batch_id=batch_id)


def resume_slot_batches() -> int:
    """Re-enqueue batches whose task was lost (the sweeper calls this every minute)."""
    from scheduling import batches

    ids = batches.unfinished_batch_ids()
    for batch_id in ids:
        try:
            run_slot_batch.delay(batch_id)
        except Exception:  # noqa: BLE001 - broker down: next minute
            logger.warning("could not enqueue slot batch %s", batch_id)
            break
    return len(ids)


def enqueue(slot_ids: list[int], *, countdown: float | None = None) -> int:
    """Send a sync task per slot; returns how many were sent. Failures are left to the sweeper."""
    if not slot_ids:
        return 0
    expected = timezone.now() + timedelta(seconds=countdown or 0)
    Slot.all_objects.filter(pk__in=slot_ids).update(enqueued_at=expected)
    sent = 0
    for slot_id in slot_ids:
        try:
            # celery-types says float; Celery takes None as "no countdown" (its own default).
            sync_slot_meeting.apply_async((slot_id,), countdown=countdown)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - broker down: the slot row is the source of truth
            logger.warning(
                "could not enqueue the meeting sync of %s slot(s); the sweeper will", len(slot_ids) - sent
            )
            Slot.all_objects.filter(pk__in=slot_ids[sent:]).update(enqueued_at=None)
            break
        sent += 1
    return sent


def sweep(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Enqueue pending slots whose task was lost, or whose wait (not_before) is over. Returns the count."""
    ids = issuance.slots_to_sweep(now=now, limit=limit)
    if ids:
        logger.info("sweeper: enqueueing %s pending slot(s)", len(ids))
    return enqueue(ids)
