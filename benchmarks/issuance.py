"""Measure Zoom meeting issuance: 1,000 slots across 20 hosts, a real Celery worker, the emulator over HTTP.

    .venv/bin/python benchmarks/issuance.py                # normal run
    .venv/bin/python benchmarks/issuance.py --faults 0.2   # 20% of Zoom API calls fail (5xx and timeouts)

What it does, all on this machine:
1. creates its own PostgreSQL database (BENCH_DATABASE_URL, default e2rpro_bench_issuance), migrates it;
2. starts the Zoom emulator in this process on a free loopback port: 300 ms latency, Pro plan (Medium
   category 20 requests/s for the whole account), 20 licensed hosts added to the seeded account;
3. links a company to it through the product's own 認可開始 → Zoom consent → callback;
4. starts a Celery worker (threads pool, embedded beat so the sweeper runs) on Redis (BENCH_REDIS_URL,
   default redis://127.0.0.1:6379/11, which it empties first);
5. publishes 1,000 Zoom-linked slots (50 per host, within Zoom's 100 per host per day) through the
   product's service, and waits until every slot is issued or failed (or the deadline passes);
6. prints the figures, then the same figures as one JSON object on the last line, and cleans up.

The bound: Zoom lets the account create 20 meetings per second, so 1,000 meetings need at least 50 s.
A one-at-a-time client would need 1,000 x 300 ms = 300 s. Target: within 1.15 x the bound, no duplicate,
no failure; with faults, still exactly 1,000 meetings.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLOTS = 1000
HOSTS = 20
LATENCY = 0.3
MEDIUM_RATE = 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faults", type=float, default=0.0, help="share of Zoom API calls that fail (0..1)")
    parser.add_argument("--slots", type=int, default=SLOTS)
    parser.add_argument("--hosts", type=int, default=HOSTS)
    parser.add_argument("--concurrency", type=int, default=24, help="Celery worker threads")
    parser.add_argument(
        "--deadline", type=float, default=0, help="seconds to wait for issuance (default auto)"
    )
    return parser.parse_args()


def prepare_environment(args: argparse.Namespace, emulator_url: str, fernet_key: str) -> dict[str, str]:
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/e2rpro_bench_issuance"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
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
        "ZOOM_CLIENT_ID": "e2rpro-demo-client",
        "ZOOM_CLIENT_SECRET": "e2rpro-demo-secret",
        "ZOOM_WEBHOOK_SECRET_TOKEN": "e2rpro-demo-webhook-token",
        "ZOOM_OAUTH_BASE_URL": emulator_url,
        "ZOOM_API_BASE_URL": f"{emulator_url}/v2",
        "ZOOM_HTTP_TIMEOUT": "3",
        "TOKEN_ENCRYPTION_KEYS": fernet_key,
        "ZOOM_RATE_LIMITS": f"light=30,medium={MEDIUM_RATE},heavy=10",
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


def start_emulator():
    from zoom_emulator.config import Config
    from zoom_emulator.core import Emulator
    from zoom_emulator.server import EmulatorServer

    config = Config(latency=LATENCY, plan="pro", timeout_seconds=6.0, seed=5)
    core = Emulator(config)
    server = EmulatorServer(core, host="127.0.0.1", port=0, dispatch_webhooks=False)
    for target in (core.config, core.initial_config):
        target.base_url = server.base_url
        target.api_url = server.base_url
    add_hosts(core)
    server.start()
    return core, server


def inject_faults(core, faults: float) -> None:
    """Half 5xx answers, a quarter timeouts after the action took effect (a meeting made, its answer lost),
    a quarter timeouts before."""
    core.configure(
        faults=[
            {"group": "api", "mode": "status", "status": [500, 502, 503], "rate": faults / 2},
            {"group": "api", "mode": "timeout", "after": True, "rate": faults / 4},
            {"group": "api", "mode": "timeout", "rate": faults / 4},
        ]
    )


def add_hosts(core) -> None:
    """20 licensed users to host meetings (the seeded account has only a few)."""
    template = next(u for u in core.state["users"] if u["type"] == 2 and u["status"] == "active")
    for n in range(HOSTS):
        core.state["users"].append(
            {
                **template,
                "id": f"uBenchHost{n:02d}xxxxxxxxx"[:22],
                "email": f"bench-host-{n:02d}@sample.example.com",
                "first_name": f"{n:02d}",
                "last_name": "ホスト",
                "display_name": f"ホスト {n:02d}",
                "role_id": "2",
                "pmi": 3155560000 + n,
            }
        )


def link_company(emulator_url: str):
    import requests
    from django.test import Client

    from accounts.models import Company, Role, User
    from zoom_emulator.browser import approve

    company = Company.objects.create(name="株式会社ベンチマーク", slug="bench", zoom_enabled=True)
    admin = User.objects.create_user(
        "admin@bench.example.com", password="bench-pass-2026", company=company, role=Role.ADMIN
    )
    browser = Client()
    browser.force_login(admin)
    location = browser.post("/web-interview/zoom/authorize/")["Location"]

    def send(method, path, query, headers, body):
        url = f"{emulator_url}{path}" + (f"?{query}" if query else "")
        response = requests.request(
            method, url, headers=dict(headers), data=body, allow_redirects=False, timeout=10
        )
        return response.status_code, dict(response.headers), response.content

    back = urlsplit(approve(send, location, email="zoom-admin@sample.example.com", password="zoom-pass"))
    browser.get(f"{back.path}?{back.query}")
    company.refresh_from_db()
    if not company.zoom_connection.is_linked:
        raise SystemExit("benchmark: linking the company to the emulator failed")
    return company, admin


def build_events(company, admin, hosts: int):
    from scheduling import services
    from scheduling.models import SelectionMeeting
    from zoom_integration.models import ZoomUser

    users = list(ZoomUser.objects.filter(company=company, email__startswith="bench-host-").order_by("email"))[
        :hosts
    ]
    if len(users) < hosts:
        raise SystemExit(f"benchmark: only {len(users)} bench hosts were synced")
    meeting = SelectionMeeting.objects.create(company=company, name="一次面接")
    return [
        services.create_event(
            selection_meeting=meeting,
            actor=admin,
            settings={
                "name": f"Web面接 {user.display_name}",
                "web_meeting": "zoom",
                "meeting_host_id": user.zoom_user_id,
                "meeting_host_email": user.email,
                "meeting_host_name": user.display_name,
            },
        )
        for user in users
    ]


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
        "--beat",
        "--schedule",
        str(Path(workdir) / "beat-schedule"),
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


def publish(company, admin, events, slots: int):
    from datetime import timedelta

    from django.utils import timezone

    from scheduling import services
    from scheduling.services import SlotSpec

    per_event = slots // len(events)
    tz = company.tzinfo
    first_day = (timezone.localtime(timezone.now(), tz) + timedelta(days=7)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    for event in events:
        specs = []
        for i in range(per_event):
            starts = first_day + timedelta(days=i // 8, minutes=60 * (i % 8))
            specs.append(
                SlotSpec(
                    starts_at=starts, ends_at=starts + timedelta(minutes=45), capacity=1, is_published=True
                )
            )
        services.create_slots(event=event, actor=admin, specs=specs)


def wait_until_done(total: int, deadline: float) -> tuple[float, dict[str, int]]:
    from django.db.models import Count

    from scheduling.models import Slot

    started = time.monotonic()
    counts: dict[str, int] = {}
    while time.monotonic() - started < deadline:
        counts = dict(Slot.objects.values_list("meeting_state").annotate(n=Count("pk")).order_by())
        settled = counts.get("issued", 0) + counts.get("failed", 0) + counts.get("deleted", 0)
        if settled >= total:
            break
        time.sleep(0.25)
    return time.monotonic() - started, counts


def stop(worker: subprocess.Popen | None, server) -> None:
    if worker is not None and worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
    if server is not None:
        server.stop()


def main() -> int:
    args = parse_args()
    from cryptography.fernet import Fernet

    core, server = start_emulator()
    env = prepare_environment(args, server.base_url, Fernet.generate_key().decode())
    reset_database(env["DATABASE_URL"])
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env={**os.environ}, check=True
    )
    import django

    django.setup()
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    worker = None
    workdir = tempfile.mkdtemp(prefix="e2rpro-bench-")
    watchdog = threading.Timer(900, lambda: os.kill(os.getpid(), signal.SIGTERM))  # never run forever
    watchdog.daemon = True
    watchdog.start()
    try:
        company, admin = link_company(server.base_url)
        events = build_events(company, admin, args.hosts)
        if args.faults:
            inject_faults(core, args.faults)
        worker = start_worker(env, args.concurrency, workdir)
        wait_for_worker()
        core.state["stats"] = {"requests": {}, "rate_limited": {}, "rate_limited_by_type": {}, "faults": {}}
        deadline = args.deadline or (240 if not args.faults else 480)
        started = time.monotonic()
        publish(company, admin, events, args.slots)
        published = time.monotonic() - started
        waited, counts = wait_until_done(args.slots, deadline - published)
        elapsed = published + waited
        figures = collect(core, args, elapsed, published, counts)
    finally:
        stop(worker, server)
        watchdog.cancel()
    report(figures, workdir)
    ok = figures["meetings_created"] == args.slots and figures["duplicates"] == 0 and figures["failures"] == 0
    return 0 if ok else 1


def collect(core, args, elapsed: float, published: float, counts: dict[str, int]) -> dict:
    from scheduling.models import Slot

    meetings = core.meetings()
    markers = Counter(
        line
        for m in meetings
        for line in (m.get("agenda") or "").splitlines()
        if line.startswith("e2rpro-slot:")
    )
    snapshot = core.snapshot()
    limited = snapshot.get("rate_limited_counts") or {}
    by_type = snapshot.get("rate_limited_by_type") or (snapshot.get("stats") or {}).get(
        "rate_limited_by_type", {}
    )
    issued_ids = set(Slot.objects.filter(meeting_state="issued").values_list("meeting_id", flat=True))
    bound = args.slots / MEDIUM_RATE
    return {
        "mode": f"faults {args.faults:.0%}" if args.faults else "normal",
        "slots": args.slots,
        "hosts": args.hosts,
        "latency_ms": int(LATENCY * 1000),
        "rate_limit_per_s": MEDIUM_RATE,
        "seconds_until_all_issued": round(elapsed, 2),
        "seconds_publishing": round(published, 2),
        "rate_limit_bound_s": bound,
        "ratio_to_bound": round(elapsed / bound, 3),
        "one_at_a_time_s": round(args.slots * LATENCY, 1),
        "meetings_created": len(meetings),
        "slots_issued": counts.get("issued", 0),
        "slots_pending": counts.get("pending", 0),
        "failures": counts.get("failed", 0),
        "duplicates": sum(n - 1 for n in markers.values() if n > 1),
        "meetings_not_owned_by_a_slot": len({m["id"] for m in meetings} - issued_ids),
        "http_429": sum(limited.values()) if isinstance(limited, dict) else limited,
        "http_429_by_type": by_type,
        "faults_injected": snapshot.get("fault_counts") or {},
        "zoom_requests": snapshot.get("request_counts") or {},
    }


def report(figures: dict, workdir: str) -> None:
    print(f"Zoom meeting issuance benchmark ({figures['mode']})")
    print(f"  slots / hosts                 {figures['slots']} / {figures['hosts']}")
    print(
        f"  emulator                      {figures['latency_ms']} ms latency, {figures['rate_limit_per_s']}/s"
    )
    print(f"  time until all issued         {figures['seconds_until_all_issued']} s")
    print(f"  rate-limit bound              {figures['rate_limit_bound_s']} s")
    print(f"  ratio to the bound            {figures['ratio_to_bound']} (target <= 1.15)")
    print(f"  one-at-a-time client          {figures['one_at_a_time_s']} s")
    print(f"  meetings created in Zoom      {figures['meetings_created']}")
    print(f"  duplicates                    {figures['duplicates']}")
    print(f"  429 received                  {figures['http_429']}")
    print(f"  failures                      {figures['failures']} (pending: {figures['slots_pending']})")
    print(f"  faults injected               {figures['faults_injected']}")
    print(f"  worker log                    {workdir}/worker.log")
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    sys.exit(main())
