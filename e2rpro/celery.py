"""Celery application. Settings live in e2rpro/settings.py under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "e2rpro.settings")

app = Celery("e2rpro")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
