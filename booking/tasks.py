"""Celery tasks of booking. Each takes ids, re-fetches, is safe to run twice and concurrently."""

from __future__ import annotations

from celery import shared_task

from booking import slot_changes


@shared_task(acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=280)
def notify_slot_change(
    slot_id: int, reason: str, change_id: str, details: dict[str, str] | None = None
) -> int:
    """Mail the slot's booked applicants about its new time or Zoom URL (once per change and booking)."""
    return slot_changes.notify_slot_change(
        slot_id=slot_id, reason=reason, change_id=change_id, details=details
    )
