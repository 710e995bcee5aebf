"""The fault-drill harness: the end-to-end stack (tests/e2e/stack.py) on a private Redis, plus what a drill
needs to break it and to look inside.

- ``DrillStack``: PostgreSQL database, gunicorn, Celery worker and beat, the Zoom emulator over HTTP and an
  SMTP sink, like the e2e ``Stack``, but with its own ``redis-server`` on a free port (a drill stops it;
  the machine's Redis on 6379 is never touched), the production settings with the recovery clocks shortened
  through their environment variables, and a worker that can be killed and started again.
- ``Site``: a signed-in browser-like HTTP session (CSRF handled) for the product's own forms.
- ``Zoom``: the emulator's test endpoints (reset, config, state) and its webhook signing.
- ``Database``: read-only looks (and a few deliberate writes) at the stack's PostgreSQL with psycopg.

Nothing here imports Django: the test process never touches the product's ORM; the product runs only in
its own processes, as in production.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.e2e.stack import BASE_DIR, MailSink, Stack, free_port, port_open, wait_until

ADMIN_EMAIL = "drill-admin@drill.example.com"
ADMIN_PASSWORD = "drill-pass-2026"
ZOOM_ADMIN = "zoom-admin@sample.example.com"
ZOOM_PASSWORD = "zoom-pass"
WEBHOOK_SECRET = "e2rpro-demo-webhook-token"
ZOOM_ACCOUNT_ID = "SmplAcct01JP"
# The active users of the emulator's seeded account (zoom_emulator/seed.py): the hosts a drill may use.
HOSTS = {
    "owner": "u8AdmSmplOwner0000001A",
    "recruiter": "u8RecDemoRecruit00002B",
    "interviewer": "u8IntDemoInterview003C",
    "basic": "u8BasSmplBasicUser004D",
}
MARKER = re.compile(r"e2rpro-slot:([0-9a-f-]{36})")


def missing_requirements() -> str | None:
    """Why the drills cannot run here, or None."""
    if not port_open("127.0.0.1", 5432):
        return "PostgreSQL is not running on 127.0.0.1:5432"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    if shutil.which("psql") is None:
        return "psql is not installed"
    return None


def tail(text: str, lines: int = 80) -> str:
    return "\n".join(text.splitlines()[-lines:])


# --- the stack ------------------------------------------------------------------------------------------


@dataclass
class DrillStack(Stack):
    redis_port: int = field(default_factory=free_port)
    worker_concurrency: int = 4
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.database}"

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(
            {
                # Production settings with the recovery clocks shortened, so a drill lasts seconds.
                "SCHEDULING_SYNC_TIME_LIMIT_SECONDS": "12",
                "SCHEDULING_CLAIM_LEASE_SECONDS": "15",
                "SCHEDULING_SWEEP_STALE_SECONDS": "20",
                "SCHEDULING_SWEEP_EVERY_SECONDS": "3",
                "SCHEDULING_RETRY_BASE_SECONDS": "1",
                "SCHEDULING_RETRY_MAX_SECONDS": "8",
                "SCHEDULING_LINK_RECHECK_SECONDS": "20",
                "CELERY_BROKER_URL": f"{self.redis_url}/0",
                "REDIS_URL": f"{self.redis_url}/1",  # cache and pacing share the broker's Redis
                "ZOOM_HTTP_TIMEOUT": "2",
                # The per-host daily limit has its own tests; 200 slots on 4 hosts must not wait a day.
                "ZOOM_DAILY_MEETING_LIMIT": "1000",
                "LOG_LEVEL": "INFO",
            }
        )
        env.update(self.extra_env)
        return env

    # Redis --------------------------------------------------------------------------------------------
    def start_redis(self) -> None:
        self._spawn(
            "redis",
            [
                "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.tmp), "--protected-mode", "no",
            ],
        )  # fmt: skip
        wait_until(lambda: port_open("127.0.0.1", self.redis_port), timeout=20, message="redis-server")

    def stop_redis(self) -> None:
        """Redis dies (SIGKILL: no clean shutdown, the queue and everything in it is gone)."""
        self.stop("redis", signal.SIGKILL)
        wait_until(lambda: not port_open("127.0.0.1", self.redis_port), timeout=10, message="Redis to stop")

    def redis_running(self) -> bool:
        process = self.processes.get("redis")
        return process is not None and process.poll() is None

    # Processes ----------------------------------------------------------------------------------------
    def start_emulator(self) -> None:
        self._spawn(
            "emulator",
            [
                sys.executable, "-m", "zoom_emulator", "--port", str(self.emulator_port),
                "--webhook-url", f"{self.site_url}/zoom/webhook/",
                "--redirect-uri", f"{self.site_url}/web-interview/zoom/callback/",
                "--daily-limit", "1000", "--timeout-seconds", "5",
                "--webhook-retry-schedule", "2,2,2",
            ],
        )  # fmt: skip
        wait_until(lambda: port_open("127.0.0.1", self.emulator_port), timeout=20, message="the emulator")

    def start_worker(self, *, wait: bool = True) -> None:
        """Start a worker; ``wait=False`` while the broker is down (it connects when Redis returns)."""
        before = self.log("worker").count(" ready.")
        self._spawn(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "e2rpro", "worker", "--loglevel", "INFO",
                "--concurrency", str(self.worker_concurrency), "--without-gossip", "--without-mingle",
                "-n", f"drill-{self.site_port}-{secrets.token_hex(3)}@%h",
            ],
        )  # fmt: skip
        if wait:
            wait_until(
                lambda: self.log("worker").count(" ready.") > before, timeout=90, message="the Celery worker"
            )

    def kill_worker(self) -> None:
        """SIGKILL to the worker and its pool processes at once: no warm shutdown, no acks, no cleanup."""
        self.stop("worker", signal.SIGKILL)

    def alive(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def start(self) -> None:
        self.mail = MailSink()
        self.mail.start()
        self.start_redis()
        self.create_database()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        self.start_emulator()
        self.start_site()
        self.start_worker()
        self.start_beat()

    def shutdown(self) -> None:
        for name in list(self.processes):
            self.stop(name, signal.SIGKILL if name == "redis" else signal.SIGTERM)
        if self.mail:
            self.mail.stop()
        self.drop_database()

    def logs(self, lines: int = 60) -> str:
        parts = []
        for name in ("worker", "beat", "gunicorn", "emulator", "redis"):
            text = self.log(name)
            if text:
                parts.append(f"----- {name}.log (last {lines} lines) -----\n{tail(text, lines)}")
        return "\n".join(parts)

    def create_company(self) -> None:
        """One company with Zoom enabled (the operator's switch) and its admin."""
        self.manage(
            "shell",
            "-c",
            "from accounts.models import Company, Role, User\n"
            "company, _ = Company.objects.get_or_create(slug='drill', defaults={'name': '株式会社ドリル', "
            "'time_zone': 'Asia/Tokyo', 'zoom_enabled': True})\n"
            f"User.objects.filter(email='{ADMIN_EMAIL}').exists() or User.objects.create_user("
            f"'{ADMIN_EMAIL}', password='{ADMIN_PASSWORD}', company=company, role=Role.ADMIN, "
            "name='ドリル管理者')\n",
        )


# --- the database ----------------------------------------------------------------------------------------


class Database:
    """The stack's PostgreSQL, through psycopg (autocommit): what the product stored, as it stored it."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def rows(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def value(self, sql: str, params: tuple | dict = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def slots(self, event_ids: list[int]) -> list[dict]:
        columns = [
            "id", "uuid", "meeting_state", "meeting_id", "join_url", "meeting_error", "wait_reason",
            "create_in_doubt", "claimed_until", "enqueued_at", "attempts", "meeting_start", "starts_at",
            "meeting_synced_at",
        ]  # fmt: skip
        rows = self.rows(
            f"SELECT {', '.join(columns)} FROM scheduling_slot"
            " WHERE event_id = ANY(%s) AND deleted_at IS NULL ORDER BY starts_at, id",
            (event_ids,),
        )
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def slot(self, slot_id: int) -> dict:
        event_id = self.value("SELECT event_id FROM scheduling_slot WHERE id = %s", (slot_id,))
        return next(slot for slot in self.slots([event_id]) if slot["id"] == slot_id)

    def states(self, event_ids: list[int]) -> Counter:
        return Counter(slot["meeting_state"] for slot in self.slots(event_ids))

    def connection_status(self) -> str | None:
        return self.value(
            "SELECT z.status FROM zoom_integration_zoomconnection z JOIN accounts_company c"
            " ON c.id = z.company_id WHERE c.slug = 'drill'"
        )

    def event_id(self, meeting_id: int, name: str) -> int:
        return self.value(
            "SELECT id FROM scheduling_event WHERE selection_meeting_id = %s AND name = %s",
            (meeting_id, name),
        )

    def audit_count(self, action: str, target_id: int | None = None) -> int:
        if target_id is None:
            return self.value("SELECT count(*) FROM accounts_auditentry WHERE action = %s", (action,))
        return self.value(
            "SELECT count(*) FROM accounts_auditentry WHERE action = %s AND target_id = %s",
            (action, str(target_id)),
        )


# --- the site, through its forms ----------------------------------------------------------------------------


class PageError(AssertionError):
    pass


class Site:
    """A browser-like session against gunicorn: cookies, CSRF tokens, redirects, status checks."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.statuses: list[tuple[str, str, int]] = []

    def request(self, method: str, path: str, *, expect: tuple[int, ...] = (200, 302), **kwargs) -> Any:
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        response = self.http.request(method, url, **kwargs)
        self.statuses.append((method, path, response.status_code))
        if response.status_code not in expect:
            raise PageError(
                f"{method} {path} answered {response.status_code}, expected {expect}:\n{response.text[:2000]}"
            )
        return response

    def get(self, path: str, **kwargs) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict | list | None = None, **kwargs) -> Any:
        token = self.http.cookies.get("csrftoken")
        if token is None:
            self.get("/accounts/login/")
            token = self.http.cookies.get("csrftoken")
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        fields.append(("csrfmiddlewaretoken", token))
        return self.request("POST", path, data=fields, **kwargs)

    def login(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
        self.get("/accounts/login/")
        response = self.post("/accounts/login/", {"username": email, "password": password})
        if response.status_code != 302:
            raise PageError(f"login as {email} failed:\n{response.text[:1500]}")

    def text(self, path: str) -> str:
        return self.get(path, expect=(200,)).text

    # Zoom link ----------------------------------------------------------------------------------------
    def link_zoom(self, zoom: Zoom) -> None:
        """認可開始 → sign in at Zoom as the account admin → Allow → back to the callback → 連携中."""
        from zoom_emulator.browser import approve

        location = self.post("/web-interview/zoom/authorize/", expect=(302,)).headers["Location"]
        back = urlsplit(approve(zoom.send, location, email=ZOOM_ADMIN, password=ZOOM_PASSWORD))
        self.get(f"{back.path}?{back.query}", expect=(200, 302))
        page = self.text("/web-interview/zoom/")
        if "連携中" not in page:
            raise PageError("the Zoom page does not say 連携中 after the callback")

    # Scheduling -----------------------------------------------------------------------------------------
    def create_selection_meeting(self, name: str) -> int:
        response = self.post("/selection/new/", {"name": name, "description": "", "sort_order": "0"})
        match = re.search(r"/selection/(\d+)/schedule/", response.headers.get("Location", ""))
        if not match:
            raise PageError(f"creating the 選考会 {name} did not lead to its 日程設定")
        return int(match.group(1))

    def create_zoom_event(self, meeting_id: int, *, name: str, host: str, minutes: int = 30) -> None:
        self.post(
            f"/selection/{meeting_id}/events/new/",
            {
                "name": name,
                "web_meeting": "zoom",
                "zoom_host": host,
                "duration_minutes": str(minutes),
                "default_capacity": "1",
                "booking_closes_hours_before": "24",
                "cancel_deadline_hours_before": "24",
                "waiting_room": "on",
                "use_passcode": "on",
            },
            expect=(302,),
        )

    def create_slots(
        self, event_id: int, *, first_day: date, days: int, times: list[str], minutes: int = 30
    ) -> Any:
        """新規日程作成 (まとめて), 日程を表示する: preview, then create. days × times slots."""
        fields = [
            ("date_from", first_day.isoformat()),
            ("date_to", (first_day + timedelta(days=days - 1)).isoformat()),
            *[("weekdays", str(day)) for day in range(7)],
            ("start_times", ", ".join(times)),
            ("duration_minutes", str(minutes)),
            ("capacity", "1"),
            ("visibility", "show"),
        ]
        preview = self.post(f"/selection/events/{event_id}/slots/bulk/", fields, expect=(200,))
        if "confirm" not in preview.text:
            raise PageError(f"the bulk slot preview has no confirm button:\n{preview.text[:1500]}")
        path = f"/selection/events/{event_id}/slots/bulk/"
        return self.post(path, [*fields, ("confirm", "1")], expect=(302,))


# --- the emulator ---------------------------------------------------------------------------------------


class Zoom:
    """The emulator's test endpoints, and Zoom's webhook signing (zoom_emulator.webhooks)."""

    def __init__(self, base_url: str, webhook_url: str) -> None:
        self.base_url = base_url
        self.webhook_url = webhook_url

    def send(self, method: str, path: str, query: str, headers: Any, body: bytes):
        """The transport zoom_emulator.browser.approve() drives (the consent pages over HTTP)."""
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        response = requests.request(
            method, url, headers=dict(headers), data=body, allow_redirects=False, timeout=15
        )
        return response.status_code, dict(response.headers), response.content

    def _post(self, path: str, payload: dict | None = None) -> dict:
        response = requests.post(f"{self.base_url}{path}", json=payload or {}, timeout=15)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._post("/_emulator/reset")

    def configure(self, **options: Any) -> dict:
        return self._post("/_emulator/config", options)

    def state(self) -> dict:
        response = requests.get(f"{self.base_url}/_emulator/state", timeout=15)
        response.raise_for_status()
        return response.json()

    def meetings(self) -> list[dict]:
        return self.state()["meetings"]

    def remove_app(self) -> None:
        """Marketplace → Manage → Added Apps → Remove: tokens revoked, app_deauthorized sent."""
        self._post("/_emulator/remove_app")

    def delete_meeting(self, meeting_id: int) -> None:
        """Deleted on zoom.us behind the product's back: meeting.deleted goes to the product."""
        self._post(f"/_emulator/meetings/{meeting_id}/delete")

    # Webhooks, signed exactly as Zoom (and the emulator) signs them --------------------------------------
    @staticmethod
    def body(event: str, payload: dict, *, event_ts_ms: int | None = None) -> bytes:
        from zoom_emulator.webhooks import event_body

        return event_body(event, event_ts_ms or int(time.time() * 1000), payload).encode()

    def deliver(
        self, body: bytes, *, timestamp: int | None = None, secret: str = WEBHOOK_SECRET, timeout: float = 10
    ) -> requests.Response:
        """POST a webhook to the product with Zoom's headers; ``timestamp`` is x-zm-request-timestamp."""
        from zoom_emulator.webhooks import signed_headers

        timestamp = int(time.time()) if timestamp is None else timestamp
        headers = signed_headers(secret, timestamp, body, secrets.token_hex(16))
        return requests.post(self.webhook_url, data=body, headers=headers, timeout=timeout)


def meetings_by_marker(meetings: list[dict]) -> Counter:
    """How many meetings in Zoom carry each slot's marker (agenda ``e2rpro-slot:<uuid>``)."""
    found = (MARKER.search(meeting.get("agenda") or "") for meeting in meetings)
    return Counter(match.group(1) for match in found if match)


def check_one_meeting_per_slot(slots: list[dict], meetings: list[dict]) -> list[str]:
    """Every problem with "every slot ends with exactly one meeting": duplicates, strays, mismatches."""
    problems = []
    counts = meetings_by_marker(meetings)
    by_id = {int(m["id"]): m for m in meetings}
    uuids = {str(slot["uuid"]) for slot in slots}
    for slot in slots:
        uuid = str(slot["uuid"])
        if counts[uuid] != 1:
            problems.append(f"slot {slot['id']} ({uuid}) has {counts[uuid]} meetings in Zoom")
        if slot["meeting_state"] != "issued":
            problems.append(
                f"slot {slot['id']} is {slot['meeting_state']} (reason {slot['wait_reason']!r}: "
                f"{slot['meeting_error']!r})"
            )
            continue
        meeting = by_id.get(int(slot["meeting_id"] or 0))
        if meeting is None or uuid not in (meeting.get("agenda") or ""):
            problems.append(f"slot {slot['id']} points at meeting {slot['meeting_id']}, not its own")
        elif slot["join_url"] != meeting["join_url"]:
            problems.append(f"slot {slot['id']} shows another join URL than its meeting's")
    strays = [uuid for uuid in counts if uuid not in uuids]
    if strays:
        problems.append(f"{len(strays)} meeting(s) in Zoom belong to no slot of this drill: {strays[:5]}")
    return problems


def wait_for(predicate, *, timeout: float, interval: float = 0.5, message: str, details=None) -> None:
    """wait_until with the drill's state in the failure message."""
    try:
        wait_until(predicate, timeout=timeout, interval=interval, message=message)
    except TimeoutError as exc:
        extra = f"\n{details()}" if details else ""
        raise AssertionError(f"{exc}{extra}") from None


def summary(states: Counter) -> str:
    return json.dumps(dict(sorted(states.items())), ensure_ascii=False)


__all__ = [
    "BASE_DIR",
    "HOSTS",
    "Database",
    "DrillStack",
    "Site",
    "Zoom",
    "check_one_meeting_per_slot",
    "meetings_by_marker",
    "missing_requirements",
    "summary",
    "wait_for",
]
