"""Start the real stack for end-to-end tests: PostgreSQL database, gunicorn, Celery worker and beat on Redis,
the Zoom emulator over HTTP (and, when asked, the Microsoft or the Google emulator) and a local SMTP server
whose received mails the tests read.

Everything listens on loopback ports chosen at start; every process is stopped at the end.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# The Microsoft emulator's demo app registration (docs/microsoft-emulator.md).
MICROSOFT_CLIENT_ID = "0e2f7a9c-3b1d-4c5e-8f60-e2a0de000001"
MICROSOFT_CLIENT_SECRET = "e2rpro-demo-ms-secret"
# The Google emulator's demo OAuth client (docs/google-emulator.md).
GOOGLE_CLIENT_ID = "e2rpro-demo-0001.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "e2rpro-demo-google-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(predicate, *, timeout: float, interval: float = 0.2, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {message}")


def missing_requirements() -> str | None:
    """Why the stack cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (apt-get install chromium)"
    if not port_open("127.0.0.1", 5432):
        return "PostgreSQL is not running on 127.0.0.1:5432"
    if not port_open("127.0.0.1", 6379):
        return "Redis is not running on 127.0.0.1:6379"
    return None


class MailSink:
    """A local SMTP server (aiosmtpd) that keeps every received message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, predicate, *, timeout: float = 30) -> EmailMessage:
        found: list[EmailMessage] = []

        def check() -> bool:
            with self._lock:
                found[:] = [m for m in self.messages if predicate(m)]
            return bool(found)

        wait_until(check, timeout=timeout, message="a matching mail")
        return found[-1]


@dataclass
class Stack:
    tmp: Path
    site_port: int = field(default_factory=free_port)
    emulator_port: int = field(default_factory=free_port)
    # The Microsoft emulator (Entra ID + Graph) and the site's MICROSOFT_* settings, only when asked.
    microsoft: bool = False
    microsoft_port: int = field(default_factory=free_port)
    # The Google emulator (OAuth 2.0 + Calendar v3 + Meet) and the site's GOOGLE_* settings, only when asked.
    google: bool = False
    google_port: int = field(default_factory=free_port)
    database: str = field(default_factory=lambda: f"e2rpro_e2e_{uuid.uuid4().hex[:8]}")
    redis_db: int = 13
    # A queue of its own: several runs of the suite (or engineers) may share one Redis.
    queue: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex[:12]}")
    # One key for every process of the stack: links signed by seed_demo or the worker open on gunicorn.
    secret_key: str = field(default_factory=lambda: "e2e-" + uuid.uuid4().hex * 2)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    mail: MailSink | None = None
    # Settings of this stack's processes beyond the defaults below.
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def site_url(self) -> str:
        return f"http://127.0.0.1:{self.site_port}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def microsoft_url(self) -> str:
        return f"http://127.0.0.1:{self.microsoft_port}"

    @property
    def google_url(self) -> str:
        return f"http://127.0.0.1:{self.google_port}"

    @property
    def has_emulator(self) -> bool:
        return (BASE_DIR / "zoom_emulator" / "__main__.py").exists()

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("DJANGO_", "E2RPRO_", "ZOOM_", "EMAIL_", "CELERY_", "DATABASE_", "MICROSOFT_", "GOOGLE_")
            )
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "e2rpro.settings",
                "SECRET_KEY": self.secret_key,
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SITE_URL": self.site_url,
                "SECURE_SSL_REDIRECT": "0",
                "SESSION_COOKIE_SECURE": "0",
                "CSRF_COOKIE_SECURE": "0",
                "SECURE_HSTS_SECONDS": "0",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.database}",
                "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{self.redis_db}",
                "CELERY_TASK_DEFAULT_QUEUE": self.queue,
                "REDIS_URL": f"redis://127.0.0.1:6379/{self.redis_db - 1}",
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.mail.port if self.mail else 25),
                # The sink takes mail at any rate; pacing has its own tests (tests/outreach/test_pacing.py)
                # and benchmark, and at 10 a second one run's mails would queue behind the last run's.
                "MAIL_SEND_RATE_PER_SECOND": "500",
                "ZOOM_CLIENT_ID": "e2rpro-demo-client",
                "ZOOM_CLIENT_SECRET": "e2rpro-demo-secret",
                "ZOOM_WEBHOOK_SECRET_TOKEN": "e2rpro-demo-webhook-token",
                "ZOOM_OAUTH_BASE_URL": self.emulator_url,
                "ZOOM_API_BASE_URL": f"{self.emulator_url}/v2",
                "TOKEN_ENCRYPTION_KEYS": "kJ3l0aZ1o3x5l0m8b3n0y0u0r0k1e2y3s4f5e6r7n8E=",
                "STATIC_ROOT": str(self.tmp / "static"),
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.microsoft:
            env.update(
                {
                    "MICROSOFT_CLIENT_ID": MICROSOFT_CLIENT_ID,
                    "MICROSOFT_CLIENT_SECRET": MICROSOFT_CLIENT_SECRET,
                    "MICROSOFT_LOGIN_BASE_URL": self.microsoft_url,
                    "MICROSOFT_GRAPH_BASE_URL": f"{self.microsoft_url}/v1.0",
                }
            )
        if self.google:
            env.update(
                {
                    "GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
                    "GOOGLE_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
                    "GOOGLE_OAUTH_BASE_URL": self.google_url,
                    "GOOGLE_TOKEN_URL": f"{self.google_url}/token",
                    "GOOGLE_CALENDAR_BASE_URL": f"{self.google_url}/calendar/v3",
                }
            )
        env.update(self.extra_env)
        return env

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args, cwd=BASE_DIR, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # Services -------------------------------------------------------------------------------------
    def create_database(self) -> None:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
                f"CREATE DATABASE {self.database}",
            ],
            check=True,
            capture_output=True,
        )

    def drop_database(self) -> None:
        subprocess.run(
            [
                "psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc",
                f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)",
            ],
            check=False,
            capture_output=True,
        )  # fmt: skip

    def flush_redis(self) -> None:
        """Nothing to flush: the queue is new, and another run may be using these Redis databases."""

    def start_emulator(self) -> None:
        if not self.has_emulator:
            return
        self._spawn(
            "emulator",
            [
                sys.executable, "-m", "zoom_emulator", "--port", str(self.emulator_port),
                "--webhook-url", f"{self.site_url}/zoom/webhook/",
                "--redirect-uri", f"{self.site_url}/web-interview/zoom/callback/",
            ],
        )  # fmt: skip
        wait_until(lambda: port_open("127.0.0.1", self.emulator_port), timeout=20, message="the emulator")

    def start_microsoft_emulator(self) -> None:
        """The local Entra ID + Graph; it posts Graph change notifications to the site's http:// URL."""
        self._spawn(
            "microsoft-emulator",
            [
                sys.executable, "-m", "microsoft_emulator", "--port", str(self.microsoft_port),
                "--base-url", self.microsoft_url,
                "--redirect-uri", f"{self.site_url}/web-interview/teams/callback/",
                "--redirect-uri", f"{self.site_url}/web-interview/teams/admin-consent/",
            ],
        )  # fmt: skip
        wait_until(
            lambda: port_open("127.0.0.1", self.microsoft_port), timeout=20, message="the Microsoft emulator"
        )

    def start_google_emulator(self) -> None:
        """The local Google; it posts Calendar push notifications to the site's http:// URL."""
        self._spawn(
            "google-emulator",
            [
                sys.executable, "-m", "google_emulator", "--port", str(self.google_port),
                "--base-url", self.google_url,
                "--redirect-uri", f"{self.site_url}/web-interview/google/callback/",
            ],
        )  # fmt: skip
        wait_until(
            lambda: port_open("127.0.0.1", self.google_port), timeout=20, message="the Google emulator"
        )

    def start_site(self) -> None:
        self._spawn(
            "gunicorn",
            [
                sys.executable, "-m", "gunicorn", "e2rpro.wsgi", "--bind", f"127.0.0.1:{self.site_port}",
                "--workers", "2", "--timeout", "60", "--access-logfile", "-",
            ],
        )  # fmt: skip
        wait_until(self._site_healthy, timeout=30, message="gunicorn")

    def _site_healthy(self) -> bool:
        try:
            return requests.get(f"{self.site_url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def start_worker(self) -> None:
        self._spawn(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "e2rpro", "worker", "--loglevel", "INFO",
                "--concurrency", "2", "--without-gossip", "--without-mingle",
                "-n", f"e2e-{self.site_port}@%h",
            ],
        )  # fmt: skip
        wait_until(lambda: "ready." in self.log("worker"), timeout=60, message="the Celery worker")

    def start_beat(self) -> None:
        self._spawn(
            "beat",
            [
                sys.executable, "-m", "celery", "-A", "e2rpro", "beat", "--loglevel", "INFO",
                "--schedule", str(self.tmp / "beat-schedule"),
            ],
        )  # fmt: skip

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def start(self) -> None:
        self.mail = MailSink()
        self.mail.start()
        self.flush_redis()
        self.create_database()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput", "--clear")
        self.start_emulator()
        if self.microsoft:
            self.start_microsoft_emulator()
        if self.google:
            self.start_google_emulator()
        self.start_site()
        self.start_worker()
        self.start_beat()

    def shutdown(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        if self.mail:
            self.mail.stop()
        self.drop_database()


@contextmanager
def demo_stack(
    tmp: Path,
    *,
    redis_db: int = 13,
    setup: tuple[str, ...] = (),
    microsoft: bool = False,
    google: bool = False,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """A started stack holding `seed_demo`'s data (then ``setup``, a `manage.py shell -c` command, if
    given), shut down and its database dropped on exit. ``microsoft``: also the Microsoft emulator, and the
    site configured for Teams against it; ``google``: also the Google emulator, and the site configured for
    Google Meet against it; ``extra_env``: settings of its processes."""
    stack = Stack(tmp=tmp, redis_db=redis_db, microsoft=microsoft, google=google, extra_env=extra_env or {})
    try:
        stack.start()
        stack.manage("seed_demo", "--allow-production-demo-data")
        if setup:
            stack.manage("shell", "-c", "; ".join(setup))
        yield stack
    finally:
        stack.shutdown()
