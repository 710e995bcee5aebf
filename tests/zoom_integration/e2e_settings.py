"""Settings of the Zoom end-to-end stack: the production settings, with a Celery queue of its own so two
runs of the suite at the same time (several engineers, one Redis) never take each other's tasks."""

import os

from e2rpro.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("ZOOM_E2E_CELERY_QUEUE", "celery")
