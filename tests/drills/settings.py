"""Settings of the fault-drill stack: the production settings, with the recovery clocks shortened.

The drills run the real processes (gunicorn, Celery worker and beat) with DJANGO_SETTINGS_MODULE pointing
here. Everything else comes from the environment exactly as in production (tests/drills/harness.py).

Why a settings module: the claim lease, the sweeper's staleness and period, and the retry backoff are
Django settings that the product reads with getattr() but does not expose as environment variables, and
their production values (a 180 s lease, a sweep every 60 s, 300 s before a queued slot counts as lost)
would make one drill last minutes. Only these clocks change; the code paths are the production ones.
"""

from __future__ import annotations

import os

from e2rpro.settings import *  # noqa: F403
from e2rpro.settings import CELERY_BEAT_SCHEDULE

# collectstatic and whitenoise use a directory of the drill run, never the checkout's staticfiles/
# (an end-to-end run of another engineer may be serving it).
STATIC_ROOT = os.environ["DRILL_STATIC_ROOT"]

# A killed worker's claim expires after this; every drill task finishes well within it (the Zoom read
# timeout is 2 s there). In production it must stay above the task's hard time limit (150 s).
SCHEDULING_CLAIM_LEASE_SECONDS = int(os.environ.get("DRILL_CLAIM_LEASE_SECONDS", "15"))
# A slot queued this long ago and still pending counts as lost and is queued again.
SCHEDULING_SWEEP_STALE_SECONDS = int(os.environ.get("DRILL_SWEEP_STALE_SECONDS", "20"))
SCHEDULING_RETRY_BASE_SECONDS = 1.0
SCHEDULING_RETRY_MAX_SECONDS = 8
SCHEDULING_LINK_RECHECK_SECONDS = 20

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "scheduling-sweep-pending-meetings": {
        "task": "scheduling.tasks.sweep_pending_meetings",
        "schedule": float(os.environ.get("DRILL_SWEEP_EVERY_SECONDS", "3")),
    },
}
