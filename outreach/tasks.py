"""Celery tasks of 一括操作. Each takes ids, re-fetches, and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from outreach import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_job(job_id: int) -> int:
    """Process the job's pending applicants (outreach.services.run_job)."""
    return services.run_job(job_id=job_id)


@shared_task
def resume_jobs() -> int:
    """Beat: enqueue jobs whose run was lost (worker killed, broker down at the start)."""
    ids = services.unfinished_job_ids()
    for job_id in ids:
        services.enqueue(job_id)
    return len(ids)
