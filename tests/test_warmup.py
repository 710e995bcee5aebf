"""e2rpro.warmup: a web worker loads its views and Celery's publishing side when it starts, not during the
first requests it serves (under a booking rush, a new worker's first booking cost 0.4 s of CPU more)."""

import json
import os
import secrets
import subprocess
import sys

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODULES = [
    "booking.public_views",
    "reports.views",
    "notifications.tasks",
    "celery.result",
    "kombu.transport.redis",
]
PROBE = """
import json, sys
import e2rpro.wsgi
from e2rpro.celery import app
from django.template import engines
from notifications import ics
print(json.dumps({
    "templates_ready": len(engines["jinja2"].env.cache),
    "loaded": [name for name in sys.argv[1:] if name in sys.modules],
    "tasks_bound": app.finalized,
    "zones_ready": ics._vtimezone.cache_info().currsize,
}))
"""


def _state_after_wsgi_import(broker: str) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "e2rpro.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "ats.example.co.jp",
        "E2RPRO_TESTING": "1",
        "CELERY_BROKER_URL": broker,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *MODULES], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_a_worker_starts_with_views_tasks_zone_and_broker_client_ready_without_connecting():
    # Port 9 (discard) has no broker: loading the transport must not connect to it.
    state = _state_after_wsgi_import("redis://127.0.0.1:9/0")

    assert set(state["loaded"]) == set(MODULES)
    assert state["tasks_bound"] is True
    assert state["zones_ready"] == 2  # this year's events and next year's
    # Every page template of the applicant's link, compiled (Jinja2 compiles each on first use).
    assert state["templates_ready"] == len(
        os.listdir(os.path.join(BASE_DIR, "templates", "jinja2", "booking"))
    )


def test_without_a_broker_tasks_run_in_process_and_no_broker_client_is_loaded():
    state = _state_after_wsgi_import("")

    assert {"booking.public_views", "reports.views", "notifications.tasks"} <= set(state["loaded"])
    assert "kombu.transport.redis" not in state["loaded"]
    assert state["tasks_bound"] is True
