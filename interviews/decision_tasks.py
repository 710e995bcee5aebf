"""Celery tasks of 合否連絡. Imported by ``interviews.decisions.connect()`` (Celery's autodiscovery reads only
tasks.py). Each takes ids or nothing, re-reads the rows, and is safe to run twice or at the same time."""

from __future__ import annotations

from celery import shared_task

from interviews import decision_notices


@shared_task
def send_result_notices_task(notice_ids: list[int]) -> int:
    """Send the notices a user asked to go now (those not due, or done already, are left alone)."""
    return decision_notices.send_result_notices(notice_ids=notice_ids)


@shared_task
def send_due_result_notices() -> int:
    """Beat, every minute: send every scheduled notice whose time has come (also those whose "now" task
    was lost with the broker)."""
    return decision_notices.send_due_result_notices()
