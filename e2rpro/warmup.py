"""What a web worker does when it starts rather than in its first requests.

Django imports the URLconf (every app's views, and the libraries they import) on a process's first request;
the first booking compiled the e-mail validator's patterns, computed the company zone's VTIMEZONE for the
invite, finalized Celery's task registry and loaded its publishing side (result classes, kombu's transport,
the broker's client library), and the applicant's pages compiled their Jinja2 templates. Measured in a
gunicorn worker: the first request cost about 0.4 s of CPU more than the next, and the first booking
another 0.4 s. A worker is replaced after ``max_requests`` (gunicorn.conf.py), so each new worker paid it
during whatever rush it joined.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import validate_email
from django.template import engines
from django.urls import get_resolver
from django.utils import timezone

from notifications import ics


def warm_up() -> None:
    get_resolver().url_patterns  # noqa: B018  # the property imports every URL module and its views
    validate_email("warm-up@example.com")  # its patterns compile on first use (about 80 ms)
    ics.prepare_zone(settings.TIME_ZONE, timezone.localdate())  # the default company zone's (about 70 ms)
    jinja2 = engines["jinja2"]  # the applicant's pages: Jinja2 compiles each template on first use
    for name in jinja2.env.list_templates():  # type: ignore[attr-defined]  # the Jinja2 backend's env
        jinja2.get_template(name)  # all of them in about 0.1 s
    from e2rpro.celery import app

    app.loader.import_default_modules()  # the apps' tasks modules (autodiscovered)
    app.finalize(auto=True)  # binds every task to the app (about 50 ms on the first publish)
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        app.AsyncResult, app.backend  # noqa: B018  # what publishing a task imports (results, canvas)
        with app.connection_for_write() as connection:
            connection.transport  # noqa: B018  # loads kombu's transport and its client; connects nothing
