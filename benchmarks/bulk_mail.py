"""Measure a bulk mail job: 10,000 recipients queued by the job and delivered to a local SMTP server.

    .venv/bin/python benchmarks/bulk_mail.py                        # 10,000 recipients at the default rate
    .venv/bin/python benchmarks/bulk_mail.py --recipients 1000      # a shorter run
    .venv/bin/python benchmarks/bulk_mail.py --rate 0               # unpaced: the pipeline's own speed

What it does, all on this machine (PostgreSQL and Redis running):
1. recreates its own PostgreSQL database (BENCH_DATABASE_URL, default e2rpro_bench_bulk_mail) and
   migrates it; empties Redis database 12 (BENCH_REDIS_URL) for the broker and the pacing key;
2. starts an SMTP server (aiosmtpd) in this process on a free loopback port, which accepts every message
   and notes when;
3. starts a Celery worker (threads pool) on Redis with Django's SMTP backend pointed at that server and
   MAIL_SEND_RATE_PER_SECOND set to ``--rate``;
4. seeds one company and ``--recipients`` applicants, starts a 一斉メール job for all of them through the
   product's service (as the applicant list's 検索結果のすべて does), and waits until every mail is stored
   (the job finished) and until the SMTP server has accepted the last one;
5. reads the Celery worker's RSS (benchmarks/footprint.py), stops the worker, prints the figures, then the
   same figures as one JSON object on the last line, with ``targets`` (every mail accepted once, none
   failed).

Run one at a time per database (a run recreates it); give a parallel run its own BENCH_DATABASE_URL and
BENCH_REDIS_URL.

The bound: at ``--rate`` mails per second, N recipients need at least N / rate seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.footprint import celery_footprint  # noqa: E402  (after the path is set)

RECIPIENTS = 10_000
DEFAULT_RATE = 10.0


class Inbox:
    """An aiosmtpd handler that accepts everything and counts it (one lock, any thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.message_ids: set[str] = set()
        self.first_at: float | None = None
        self.last_at: float | None = None

    async def handle_DATA(self, server, session, envelope):
        content = envelope.content.decode("utf-8", "replace")
        message_id = next(
            (
                line.split(":", 1)[1].strip()
                for line in content.splitlines()
                if line.lower().startswith("message-id:")
            ),
            "",
        )
        now = time.monotonic()
        with self.lock:
            self.count += 1
            self.message_ids.add(message_id)
            self.first_at = self.first_at or now
            self.last_at = now
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp(inbox: Inbox):
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def prepare_environment(*, smtp_port: int, rate: float) -> dict[str, str]:
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/e2rpro_bench_bulk_mail"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    env = {
        "DJANGO_SETTINGS_MODULE": "e2rpro.settings",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SITE_URL": "http://testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url,
        # This run's worker takes only this run's tasks, even beside another run on the same Redis.
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-bulk-mail-{os.getpid()}",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "MAIL_SEND_RATE_PER_SECOND": repr(rate),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    return env


def reset_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = f"{parts.scheme}://{parts.netloc}/postgres"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_worker(env: dict[str, str], concurrency: int, workdir: str) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "celery"),
        "-A",
        "e2rpro",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    log = open(Path(workdir) / "worker.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )


def wait_for_worker(timeout: float = 60) -> None:
    from e2rpro.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return
        time.sleep(0.5)
    raise SystemExit("benchmark: the Celery worker did not start")


def seed(recipients: int):
    from accounts.models import Company, Role, User
    from applicants.models import Applicant
    from applicants.selectors import company_stages

    company = Company.objects.create(name="株式会社ベンチマーク", slug="bench-mail")
    recruiter = User.objects.create_user(
        "recruiter@bench.example.com", password="bench-pass-2026", company=company, role=Role.RECRUITER
    )
    stage = company_stages(company)[0]
    rows = []
    for n in range(recipients):
        applicant = Applicant(
            company=company,
            name=f"応募 太郎{n}",
            name_kana="オウボ タロウ",
            email=f"applicant{n}@bench.example.jp",
            stage=stage,
            reached_stages=stage.mask,
        )
        applicant.set_search_keys()
        rows.append(applicant)
    Applicant.objects.bulk_create(rows, batch_size=2000)
    return company, recruiter


def run(*, recipients: int, rate: float = DEFAULT_RATE, concurrency: int = 8, deadline: float = 0) -> dict:
    """Seed, queue a job for ``recipients`` applicants, deliver it; returns the figures."""
    inbox = Inbox()
    controller, port = start_smtp(inbox)
    env = prepare_environment(smtp_port=port, rate=rate)
    reset_database(env["DATABASE_URL"])
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env={**os.environ}, check=True
    )
    import django

    django.setup()
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    workdir = tempfile.mkdtemp(prefix="e2rpro-bench-mail-")
    worker = None
    try:
        company, recruiter = seed(recipients)
        worker = start_worker(env, concurrency, workdir)
        wait_for_worker()
        figures = _measure(company, recruiter, inbox, recipients, rate, deadline)
        figures["footprint"] = celery_footprint(worker.pid)
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
        controller.stop()
    figures["concurrency"] = concurrency
    figures["targets"] = {
        "every_mail_accepted": figures["accepted"] >= recipients,
        "no_duplicates": figures["duplicates"] == 0,
        "none_failed": not figures["job_failed"],
    }
    return figures


def _measure(company, recruiter, inbox: Inbox, recipients: int, rate: float, deadline: float) -> dict:
    from django.db.models import Count

    from applicants.models import Applicant
    from notifications.models import AdhocKind, SentMail
    from outreach import services
    from outreach.models import JobAction, JobScope, OutreachJob

    bound = recipients / rate if rate > 0 else 0.0
    deadline = deadline or max(120.0, bound * 1.5 + 120)
    started = time.monotonic()
    ids = list(Applicant.objects.filter(company=company).values_list("pk", flat=True))
    job = services.start_job(
        company=company,
        actor=recruiter,
        action=JobAction.MAIL,
        scope=JobScope.FILTER,
        applicant_ids=ids,
        mail_kind=AdhocKind.BULK,
        subject="【{会社名}】会社説明会のお知らせ",
        body="{応募者名} 様\n\n{会社名} 採用担当です。会社説明会のご案内です。\n\n{問い合わせ先}\n",
    )
    started_job = time.monotonic() - started
    queued = None
    while time.monotonic() - started < deadline:
        if queued is None and OutreachJob.objects.filter(pk=job.pk, finished_at__isnull=False).exists():
            queued = time.monotonic() - started
        with inbox.lock:
            received = inbox.count
        if queued is not None and received >= recipients:
            break
        time.sleep(0.2)
    with inbox.lock:
        last = (inbox.last_at - started) if inbox.last_at is not None else None
        first = (inbox.first_at - started) if inbox.first_at is not None else None
        received, unique = inbox.count, len(inbox.message_ids)
    job.refresh_from_db()
    statuses = dict(SentMail.objects.values_list("status").annotate(n=Count("pk")).order_by())
    delivering = (last - first) if last is not None and first is not None else None
    return {
        "recipients": recipients,
        "rate_per_second": rate,
        "seconds_to_start_job": round(started_job, 2),
        "seconds_to_queue": round(queued, 2) if queued is not None else None,
        "seconds_to_last_accepted": round(last, 2) if last is not None else None,
        "seconds_first_to_last_accepted": round(delivering, 2) if delivering is not None else None,
        "bound_seconds": round(bound, 1),
        "accepted_per_second": round((received - 1) / delivering, 2) if delivering else None,
        "accepted": received,
        "duplicates": received - unique,
        "job_done": job.done,
        "job_failed": job.failed,
        "mail_statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipients", type=int, default=RECIPIENTS)
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="MAIL_SEND_RATE_PER_SECOND (0: unpaced)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="Celery worker threads")
    parser.add_argument("--deadline", type=float, default=0, help="seconds to wait (default from the bound)")
    args = parser.parse_args()
    watchdog = threading.Timer(
        (args.deadline or args.recipients / max(args.rate, 1) * 1.5 + 300) + 300,
        lambda: os.kill(os.getpid(), signal.SIGTERM),
    )
    watchdog.daemon = True  # never run forever
    watchdog.start()
    figures = run(
        recipients=args.recipients, rate=args.rate, concurrency=args.concurrency, deadline=args.deadline
    )
    print(f"recipients:                 {figures['recipients']:,} (rate {figures['rate_per_second']}/s)")
    print(f"job started in:             {figures['seconds_to_start_job']} s")
    print(f"all mails stored (queued):  {figures['seconds_to_queue']} s")
    print(f"last mail accepted by SMTP: {figures['seconds_to_last_accepted']} s", end=" ")
    print(f"(bound {figures['bound_seconds']} s)")
    print(f"accepted: {figures['accepted']:,}, duplicates: {figures['duplicates']}", end=", ")
    print(f"failed: {figures['job_failed']}")
    footprint = figures["footprint"]
    print(
        f"Celery worker RSS after the run: {footprint['celery_worker_rss_mib']} MiB "
        f"(largest child: {footprint['celery_child_rss_mib']})"
    )
    print(json.dumps(figures, ensure_ascii=False))
    return 0 if figures["accepted"] >= figures["recipients"] and not figures["duplicates"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
