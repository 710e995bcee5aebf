"""Celery application. Settings live in e2rpro/settings.py under the CELERY_ namespace."""

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "e2rpro.settings")

app = Celery("e2rpro")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def check_database_connections(*, task: Any = None, **_kwargs: Any) -> None:
    """Before a worker's task, as Django does before a web request: close this thread's database connections
    that are past CONN_MAX_AGE or broken by an error, and check the kept one once before its first query
    (CONN_HEALTH_CHECKS). Celery's Django fixup no longer closes them after each task
    (CELERY_DB_REUSE_MAX)."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
