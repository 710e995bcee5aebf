"""Measure web-meeting issuance: N slots across hosts, real Celery workers, the service's emulator over HTTP.

    .venv/bin/python benchmarks/issuance.py                      # Zoom Pro: 1,000 slots on 20 hosts
    .venv/bin/python benchmarks/issuance.py --faults 0.2         # 20% of Zoom API calls fail (5xx, timeouts)
    .venv/bin/python benchmarks/issuance.py --plan business --workers 2   # Zoom Business: 3,000 on 60
    .venv/bin/python benchmarks/issuance.py --provider teams     # Microsoft Teams: 1,000 slots on 20 hosts
    .venv/bin/python benchmarks/issuance.py --provider teams --faults 0.2
    .venv/bin/python benchmarks/issuance.py --provider google    # Google Meet: 1,000 slots on 20 hosts
    .venv/bin/python benchmarks/issuance.py --provider google --faults 0.2

What it does, all on this machine:
1. creates its own PostgreSQL database (BENCH_DATABASE_URL, default e2rpro_bench_issuance), migrates it;
2. starts the service's emulator in this process on a free loopback port, 300 ms latency:
   - Zoom: Pro plan (Medium category 20 requests/s for the whole account) or Business (Medium 60/s), the
     licensed hosts added to the seeded account;
   - Teams: the Microsoft emulator (Entra ID + Graph) with Graph throttling per app and tenant (10 writes/s,
     20 reads/s, fixed one-second windows like the Zoom emulator's; 429 TooManyRequests + Retry-After
     beyond), the hosts added as users of the seeded tenant through its control API;
   - Google: the Google emulator (OAuth 2.0 + Calendar API v3) with Calendar quotas per project (the OAuth
     client) mirroring what GoogleMeetProvider paces (5 event writes/s, 10 reads/s, fixed one-second
     windows; 403 rateLimitExceeded beyond, as Google answers a project over its quota), the hosts added as
     users through its control API (POST /_emulator/users); push messages go to a stand-in that answers 200
     (no web server runs here);
3. links a company to it through the product's own 認可開始 → consent → callback (Teams: the admin's sign-in,
   then the tenant admin's consent; the product then takes app tokens by client credentials; Google: the
   admin's 利用開始, then each host connects their own Google account: Googleアカウントを連携 → sign-in →
   consent → callback, a Django test Client per host);
4. starts Celery worker processes (--workers, threads pool, the first with an embedded beat so the sweeper
   runs) on Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/11, which it empties first);
5. publishes the slots (50 per host, within Zoom's 100 per host per day) through the product's service,
   on events whose Web面接連携 is the provider with a host each, and waits until every slot is issued or
   failed (or the deadline passes);
6. prints the figures (with the workers' RSS and the load average), then the same figures as one JSON
   object on the last line (with "targets": which held), and cleans up.

The bound: the service lets the account create R meetings per second (Zoom Pro 20/s, Business 60/s; Graph
10 event writes/s, Google Calendar 5 event writes/s in this run), so N meetings need at least N / R
seconds; the product paces at SCHEDULING_RATE_SAFETY (0.98) x R, so its floor is 1.020 x the bound. A
one-at-a-time client would need N x 300 ms. Targets: no duplicate, no failure, exactly N meetings (also
with faults); time within 1.15 x the bound (Zoom Pro and Teams, issue 16), 1.05 x (Zoom Pro, issue 18),
1.10 x (Zoom Business with two workers, issue 18), 1.15 x (Google Meet, issue 17; at 5/s 1,000 slots take
about 3.5 minutes: --slots 500 halves that).
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
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATENCY = 0.3
# Zoom's per-second limits by plan (zoom_emulator.config.PLANS); Medium holds meeting creation.
ZOOM_PLANS = {
    "pro": {"light": 30, "medium": 20, "heavy": 10},
    "business": {"light": 80, "medium": 60, "heavy": 40},
}
# Sizes by plan (issue 18: Business 3,000 slots on 60 hosts).
DEFAULT_SIZES = {"pro": (1000, 20), "business": (3000, 60)}
# Graph's per-app, per-tenant rates the Teams run enforces (what TeamsProvider.limits() paces by).
GRAPH_RATES = {"write": 10, "read": 20}
GRAPH_CATEGORIES = {
    "create_event": "write",
    "update_event": "write",
    "delete_event": "write",
    "list_events": "read",
    "get_event": "read",
    "list_users": "read",
    "get_user": "read",
}
MS_ADMIN = "ms-admin@sample.example.com"
MS_PASSWORD = "ms-pass"
# Calendar API rates per project the Google run enforces (what GoogleMeetProvider.limits() paces by, per
# company: one company here, so per project).
GOOGLE_RATES = {"write": 5, "read": 10}
GOOGLE_CATEGORIES = {
    "insert_event": "write",
    "patch_event": "write",
    "update_event": "write",
    "delete_event": "write",
    "list_events": "read",
    "get_event": "read",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--provider", choices=("zoom", "teams", "google"), default="zoom")
    parser.add_argument("--plan", choices=tuple(ZOOM_PLANS), default="pro", help="Zoom plan (zoom only)")
    parser.add_argument("--faults", type=float, default=0.0, help="share of API calls that fail (0..1)")
    parser.add_argument("--slots", type=int, default=0, help="default 1,000 (Business: 3,000)")
    parser.add_argument("--hosts", type=int, default=0, help="default 20 (Business: 60)")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=24, help="threads per Celery worker")
    parser.add_argument(
        "--profile", default="", help="directory: cProfile (CPU time) in each worker, written at shutdown"
    )
    parser.add_argument(
        "--deadline", type=float, default=0, help="seconds to wait for issuance (default auto)"
    )
    args = parser.parse_args()
    if args.provider != "zoom" and args.plan != "pro":
        parser.error("--plan is a Zoom plan")
    default_slots, default_hosts = DEFAULT_SIZES[args.plan]
    args.slots = args.slots or default_slots
    args.hosts = args.hosts or default_hosts
    return args


def create_rate(args: argparse.Namespace) -> int:
    """The service's meeting-creation rate for the account: the bound is slots / this."""
    if args.provider == "teams":
        return GRAPH_RATES["write"]
    if args.provider == "google":
        return GOOGLE_RATES["write"]
    return ZOOM_PLANS[args.plan]["medium"]


def prepare_environment(args: argparse.Namespace, emulator_url: str, fernet_key: str) -> dict[str, str]:
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/e2rpro_bench_issuance"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    rates = ZOOM_PLANS[args.plan]
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
        "TOKEN_ENCRYPTION_KEYS": fernet_key,
        "LOG_LEVEL": "WARNING",
    }
    if args.provider == "teams":
        from microsoft_emulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        env |= {
            "MICROSOFT_CLIENT_ID": DEFAULT_CLIENT_ID,
            "MICROSOFT_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "MICROSOFT_LOGIN_BASE_URL": emulator_url,
            "MICROSOFT_GRAPH_BASE_URL": f"{emulator_url}/v1.0",
            "MICROSOFT_HTTP_TIMEOUT": "3",
        }
    elif args.provider == "google":
        from google_emulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        env |= {
            "GOOGLE_CLIENT_ID": DEFAULT_CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "GOOGLE_OAUTH_BASE_URL": emulator_url,
            "GOOGLE_TOKEN_URL": f"{emulator_url}/token",
            "GOOGLE_CALENDAR_BASE_URL": f"{emulator_url}/calendar/v3",
            "GOOGLE_HTTP_TIMEOUT": "3",
        }
    else:
        env |= {
            "ZOOM_CLIENT_ID": "e2rpro-demo-client",
            "ZOOM_CLIENT_SECRET": "e2rpro-demo-secret",
            "ZOOM_WEBHOOK_SECRET_TOKEN": "e2rpro-demo-webhook-token",
            "ZOOM_OAUTH_BASE_URL": emulator_url,
            "ZOOM_API_BASE_URL": f"{emulator_url}/v2",
            "ZOOM_HTTP_TIMEOUT": "3",
            "ZOOM_RATE_LIMITS": ",".join(f"{k}={v}" for k, v in rates.items()),
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


# ---------------------------------------------------------------------------------------------------------
# Zoom
# ---------------------------------------------------------------------------------------------------------


def start_zoom_emulator(args: argparse.Namespace):
    from zoom_emulator.config import Config
    from zoom_emulator.core import Emulator
    from zoom_emulator.server import EmulatorServer

    config = Config(latency=LATENCY, plan=args.plan, timeout_seconds=6.0, seed=5)
    core = Emulator(config)
    server = EmulatorServer(core, host="127.0.0.1", port=0, dispatch_webhooks=False)
    for target in (core.config, core.initial_config):
        target.base_url = server.base_url
        target.api_url = server.base_url
    add_zoom_hosts(core, args.hosts)
    server.start()
    return core, server


def inject_faults(core, faults: float) -> None:
    """Half 5xx answers, a quarter timeouts after the action took effect (a meeting made, its answer lost),
    a quarter timeouts before. The same rules for both emulators (group "api": every API call)."""
    core.configure(
        faults=[
            {"group": "api", "mode": "status", "status": [500, 502, 503], "rate": faults / 2},
            {"group": "api", "mode": "timeout", "after": True, "rate": faults / 4},
            {"group": "api", "mode": "timeout", "rate": faults / 4},
        ]
    )


def add_zoom_hosts(core, hosts: int) -> None:
    """Licensed users to host meetings (the seeded account has only a few)."""
    template = next(u for u in core.state["users"] if u["type"] == 2 and u["status"] == "active")
    for n in range(hosts):
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


def _send(emulator_url: str):
    import requests

    def send(method, path, query, headers, body):
        url = f"{emulator_url}{path}" + (f"?{query}" if query else "")
        response = requests.request(
            method, url, headers=dict(headers), data=body, allow_redirects=False, timeout=10
        )
        return response.status_code, dict(response.headers), response.content

    return send


def link_zoom(emulator_url: str):
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
    back = urlsplit(
        approve(_send(emulator_url), location, email="zoom-admin@sample.example.com", password="zoom-pass")
    )
    browser.get(f"{back.path}?{back.query}")
    company.refresh_from_db()
    if not company.zoom_connection.is_linked:
        raise SystemExit("benchmark: linking the company to the emulator failed")
    return company, admin


def zoom_hosts(company, hosts: int) -> list[tuple[str, str, str]]:
    from zoom_integration.models import ZoomUser

    users = ZoomUser.objects.filter(company=company, email__startswith="bench-host-").order_by("email")
    return [(u.zoom_user_id, u.email, u.display_name) for u in users[:hosts]]


# ---------------------------------------------------------------------------------------------------------
# Microsoft Teams
# ---------------------------------------------------------------------------------------------------------


def rated_microsoft_emulator():
    """The Microsoft emulator with Graph's per-app, per-tenant rate on top of its per-mailbox window."""
    from microsoft_emulator.core import Emulator

    class RatedEmulator(Emulator):
        """At most GRAPH_RATES[category] calls per app and tenant in each second (fixed one-second windows,
        as the Zoom emulator counts QPS); beyond, 429 TooManyRequests with Retry-After: 1."""

        def check_throttle(self, req, endpoint, token, mailbox):
            category = GRAPH_CATEGORIES.get(endpoint)
            if category:
                counters = self.__dict__.setdefault("tenant_qps", {})
                second = int(self.now())
                key = (token["client_id"], token["tenant_id"], category)
                window, used = counters.get(key, (second, 0))
                if window != second:
                    used = 0
                if used >= GRAPH_RATES[category]:
                    return self.throttled(req, endpoint, 1, mailbox=False)
                counters[key] = (second, used + 1)
            return super().check_throttle(req, endpoint, token, mailbox)

    return RatedEmulator


def notification_receiver(
    url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """The product's notification endpoint as Graph sees it (no web server runs here): the validation
    handshake is echoed as text/plain, notifications are accepted (202)."""
    query = parse_qs(urlsplit(url).query)
    if "validationToken" in query:
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, query["validationToken"][0].encode()
    return 202, {}, b""


def start_microsoft_emulator(args: argparse.Namespace):
    from microsoft_emulator.config import Config
    from microsoft_emulator.seed import TENANT_ID
    from microsoft_emulator.server import EmulatorServer

    config = Config(latency=LATENCY, timeout_seconds=6.0, seed=5, record_requests=False)
    core = rated_microsoft_emulator()(config)
    core.notification_sender = notification_receiver
    server = EmulatorServer(core, host="127.0.0.1", port=0)
    for target in (core.config, core.initial_config):
        target.login_url = target.graph_url = target.teams_url = server.base_url
    for n in range(args.hosts):
        core.add_user(
            TENANT_ID,
            userPrincipalName=f"bench-host-{n:02d}@sample.example.com",
            surname="ホスト",
            givenName=f"{n:02d}",
        )
    server.start()
    return core, server


def link_teams(emulator_url: str):
    from django.test import Client

    from accounts.models import Company, Role, User
    from microsoft_emulator.browser import approve
    from teams_integration import selectors

    company = Company.objects.create(name="株式会社ベンチマーク", slug="bench", teams_enabled=True)
    admin = User.objects.create_user(
        "admin@bench.example.com", password="bench-pass-2026", company=company, role=Role.ADMIN
    )
    browser = Client()
    browser.force_login(admin)
    send = _send(emulator_url)
    # Step 1: the admin signs in at Microsoft (authorization code + PKCE); the callback sends on to step 2.
    location = browser.post("/web-interview/teams/authorize/")["Location"]
    back = urlsplit(approve(send, location, email=MS_ADMIN, password=MS_PASSWORD))
    consent = browser.get(f"{back.path}?{back.query}")
    if consent.status_code != 302:
        raise SystemExit(f"benchmark: the Teams sign-in callback answered {consent.status_code}")
    # Step 2: the tenant admin's consent; the product then takes an app token and syncs the users.
    back = urlsplit(approve(send, consent["Location"], email=MS_ADMIN, password=MS_PASSWORD))
    browser.get(f"{back.path}?{back.query}")
    if not selectors.is_linked(company):
        raise SystemExit("benchmark: linking the company to the Microsoft emulator failed")
    return company, admin


def teams_hosts(company, hosts: int) -> list[tuple[str, str, str]]:
    from teams_integration.models import TeamsUser

    users = TeamsUser.objects.filter(company=company, email__startswith="bench-host-").order_by("email")
    return [(u.user_id, u.email, u.display_name) for u in users[:hosts]]


# ---------------------------------------------------------------------------------------------------------
# Google Meet
# ---------------------------------------------------------------------------------------------------------


def rated_google_emulator():
    """The Google emulator with Calendar quotas per project and category on top of its own quotas."""
    from google_emulator.core import Emulator
    from google_emulator.limits import rate_limited

    class RatedEmulator(Emulator):
        """At most GOOGLE_RATES[category] Calendar calls per OAuth client (project) in each second (fixed
        one-second windows, as the other runs count); beyond, 403 rateLimitExceeded (no Retry-After, as
        Google answers). Watch / stop-channel calls are not counted (the product does not pace them)."""

        def check_quota(self, endpoint, token):
            category = GOOGLE_CATEGORIES.get(endpoint)
            if category:
                counters = self.__dict__.setdefault("project_qps", {})
                second = int(self.now())
                key = (token["client_id"], category)
                window, used = counters.get(key, (second, 0))
                if window != second:
                    used = 0
                if used >= GOOGLE_RATES[category]:
                    self.count("rate_limited", endpoint)
                    return rate_limited(403, "rateLimitExceeded")
                counters[key] = (second, used + 1)
            return super().check_quota(endpoint, token)

    return RatedEmulator


def google_push_receiver(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """The product's push endpoint as Google sees it (no web server runs here): every message is accepted
    (200) and goes no further."""
    return 200, {}, b""


def start_google_emulator(args: argparse.Namespace):
    import requests

    from google_emulator.config import Config
    from google_emulator.server import EmulatorServer

    config = Config(latency=LATENCY, timeout_seconds=6.0, seed=5, record_requests=False)
    core = rated_google_emulator()(config, notification_sender=google_push_receiver)
    server = EmulatorServer(core, host="127.0.0.1", port=0).point_at_self()
    server.start()
    for n in range(args.hosts):  # the hosts' Google accounts, through the control API
        answer = requests.post(
            f"{server.base_url}/_emulator/users",
            json={
                "email": f"bench-host-{n:02d}@sample.example.com",
                "family_name": "ホスト",
                "given_name": f"{n:02d}",
            },
            timeout=10,
        )
        if answer.status_code != 201:
            raise SystemExit(f"benchmark: adding a Google user answered {answer.status_code}")
    return core, server


def link_google(emulator_url: str, hosts: int):
    from django.test import Client

    from accounts.models import Company, Role, User
    from google_emulator.browser import approve
    from google_emulator.seed import USER_PASSWORD
    from google_meet import selectors

    company = Company.objects.create(name="株式会社ベンチマーク", slug="bench", google_enabled=True)
    admin = User.objects.create_user(
        "admin@bench.example.com", password="bench-pass-2026", company=company, role=Role.ADMIN
    )
    browser = Client()
    browser.force_login(admin)
    # The admin's 利用開始; then each host connects their own Google account (PKCE, state, consent).
    enabled = browser.post("/web-interview/google/enable/")
    if enabled.status_code != 302 or not selectors.is_linked(company):
        raise SystemExit("benchmark: 利用開始 of Google Meet failed")
    send = _send(emulator_url)
    for n in range(hosts):
        host = User.objects.create_user(
            f"bench-host-{n:02d}@bench.example.com",
            password="bench-pass-2026",
            company=company,
            role=Role.INTERVIEWER,
        )
        http = Client()
        http.force_login(host)
        location = http.post("/web-interview/google/authorize/")["Location"]
        email = f"bench-host-{n:02d}@sample.example.com"
        back = urlsplit(approve(send, location, email=email, password=USER_PASSWORD))
        answer = http.get(f"{back.path}?{back.query}")
        if answer.status_code != 302:
            raise SystemExit(f"benchmark: connecting {email} answered {answer.status_code}")
    return company, admin


def google_hosts(company, hosts: int) -> list[tuple[str, str, str]]:
    from google_meet.models import GoogleGrant, GrantStatus

    grants = (
        GoogleGrant.objects.filter(
            company=company, status=GrantStatus.LINKED, google_email__startswith="bench-host-"
        )
        .select_related("user")
        .order_by("google_email")
    )
    return [(str(g.pk), g.google_email, g.user.display_name) for g in grants[:hosts]]


def google_events(core) -> list[dict]:
    """Every event in the emulator (cancelled ones included) with its slot marker and creation time."""
    with core.lock:
        return [
            {
                "id": e["id"],
                "status": e["fields"].get("status", "confirmed"),
                "marker": ((e["fields"].get("extendedProperties") or {}).get("private") or {}).get(
                    "e2rproMarker", ""
                ),
                "join_url": bool(e.get("conference")),
                "created": e["created"],
            }
            for events in core.state["events"].values()
            for e in events.values()
        ]


# ---------------------------------------------------------------------------------------------------------
# Every provider
# ---------------------------------------------------------------------------------------------------------


def build_events(company, admin, provider: str, hosts: list[tuple[str, str, str]], wanted: int):
    from scheduling import services
    from scheduling.models import SelectionMeeting

    if len(hosts) < wanted:
        raise SystemExit(f"benchmark: only {len(hosts)} bench hosts were synced")
    meeting = SelectionMeeting.objects.create(company=company, name="一次面接")
    return [
        services.create_event(
            selection_meeting=meeting,
            actor=admin,
            settings={
                "name": f"Web面接 {name}",
                "web_meeting": provider,
                "meeting_host_id": host_id,
                "meeting_host_email": email,
                "meeting_host_name": name,
            },
        )
        for host_id, email, name in hosts
    ]


def start_worker(
    env: dict[str, str], concurrency: int, workdir: str, index: int, profile: str = ""
) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "celery"),
        "-A",
        "e2rpro",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"bench{index}@%h",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    if index == 1:  # one beat (the sweeper) for all workers
        command += ["--beat", "--schedule", str(Path(workdir) / "beat-schedule")]
    if profile:  # cProfile in the worker (benchmarks/profiled_worker.py)
        Path(profile).mkdir(parents=True, exist_ok=True)
        wrapper = str(ROOT / "benchmarks" / "profiled_worker.py")
        command = [sys.executable, wrapper, str(Path(profile) / f"worker{index}"), *command[1:]]
    log = open(Path(workdir) / f"worker{index}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )


def wait_for_workers(count: int, timeout: float = 90) -> None:
    from e2rpro.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0) or []) >= count:
            return
        time.sleep(0.5)
    raise SystemExit("benchmark: the Celery workers did not start")


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def celery_footprint(pid: int) -> dict:
    from benchmarks.footprint import celery_footprint as footprint

    return footprint(pid)


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_memory(workers: list[subprocess.Popen]) -> list[dict]:
    """Each worker process's RSS now and its peak (VmRSS, VmHWM from /proc), and its children's (the
    embedded beat of the first)."""
    rows = []
    for index, worker in enumerate(workers, start=1):
        children = _children(worker.pid)
        rows.append(
            {
                "worker": index,
                "rss_mb": round(_status_kb(worker.pid, "VmRSS") / 1024, 1),
                "peak_rss_mb": round(_status_kb(worker.pid, "VmHWM") / 1024, 1),
                "children_rss_mb": round(sum(_status_kb(c, "VmRSS") for c in children) / 1024, 1),
                "cpu_s": round(cpu_seconds(worker.pid), 1),
            }
        )
    return rows


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


def stop(workers: list[subprocess.Popen], server) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
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

    load_before = os.getloadavg()
    if args.provider == "teams":
        core, server = start_microsoft_emulator(args)
    elif args.provider == "google":
        core, server = start_google_emulator(args)
    else:
        core, server = start_zoom_emulator(args)
    env = prepare_environment(args, server.base_url, Fernet.generate_key().decode())
    reset_database(env["DATABASE_URL"])
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env={**os.environ}, check=True
    )
    import django

    django.setup()
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    workers: list[subprocess.Popen] = []
    workdir = tempfile.mkdtemp(prefix="e2rpro-bench-")
    bound = args.slots / create_rate(args)
    deadline = args.deadline or max(240.0, bound * 3) * (2 if args.faults else 1)
    watchdog = threading.Timer(deadline + 600, lambda: os.kill(os.getpid(), signal.SIGTERM))  # never forever
    watchdog.daemon = True
    watchdog.start()
    try:
        if args.provider == "teams":
            company, admin = link_teams(server.base_url)
            hosts = teams_hosts(company, args.hosts)
        elif args.provider == "google":
            company, admin = link_google(server.base_url, args.hosts)
            hosts = google_hosts(company, args.hosts)
        else:
            company, admin = link_zoom(server.base_url)
            hosts = zoom_hosts(company, args.hosts)
        events = build_events(company, admin, args.provider, hosts, args.hosts)
        if args.faults:
            inject_faults(core, args.faults)
        workers = [
            start_worker(env, args.concurrency, workdir, n, args.profile) for n in range(1, args.workers + 1)
        ]
        wait_for_workers(args.workers)
        reset_stats(core, args.provider)
        clock_started = core.now()
        cpu_started = cpu_seconds()
        workers_cpu_started = sum(cpu_seconds(worker.pid) for worker in workers)
        started = time.monotonic()
        publish(company, admin, events, args.slots)
        published = time.monotonic() - started
        waited, counts = wait_until_done(args.slots, deadline - published)
        elapsed = published + waited
        memory = worker_memory(workers)
        footprints = [celery_footprint(worker.pid) for worker in workers]
        figures = collect(core, args, elapsed, published, counts)
        figures |= creation_pace(core, args.provider, clock_started)
        figures["worker_memory"] = memory
        figures["worker_rss_mb"] = [row["rss_mb"] for row in memory]
        # The keys every benchmark's footprint uses (benchmarks/footprint.py): the largest worker's.
        sizes = [f["celery_worker_rss_mib"] for f in footprints if f["celery_worker_rss_mib"] is not None]
        figures["celery_worker_rss_mib"] = max(sizes) if sizes else None
        figures["celery_workers_rss_mib"] = sizes
        figures["worker_cpu_s"] = [row["cpu_s"] for row in memory]
        # CPU the workers spent from publishing on (their start-up left out), per slot: issuing it and the
        # booking notice task its issue enqueues.
        figures["worker_cpu_ms_per_slot"] = round(
            1000 * (sum(r["cpu_s"] for r in memory) - workers_cpu_started) / args.slots, 1
        )
        # This process: the emulator (HTTP server threads), publishing the slots, polling.
        figures["benchmark_process_cpu_s"] = round(cpu_seconds() - cpu_started, 1)
        figures["load_average_before"] = [round(x, 2) for x in load_before]
        figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        figures["cpus"] = os.cpu_count()
        figures["targets"] = targets(figures, args)
    finally:
        stop(workers, server)
        watchdog.cancel()
    report(figures, workdir)
    # The exit status is correctness (as before): exactly N meetings, no duplicate, no failure; the time
    # targets are in the figures.
    ok = figures["meetings_created"] == args.slots and figures["duplicates"] == 0 and figures["failures"] == 0
    return 0 if ok else 1


def reset_stats(core, provider: str) -> None:
    if provider in ("teams", "google"):
        names = (
            ("requests", "throttled", "faults")
            if provider == "teams"
            else ("requests", "rate_limited", "faults")
        )
        with core.lock:
            stats = core.state["stats"]
            for name in names:
                stats[name] = {}
    else:
        core.state["stats"] = {"requests": {}, "rate_limited": {}, "rate_limited_by_type": {}, "faults": {}}


def collect(core, args, elapsed: float, published: float, counts: dict[str, int]) -> dict:
    from scheduling.models import Slot

    issued_ids = set(Slot.objects.filter(meeting_state="issued").values_list("meeting_id", flat=True))
    rate = create_rate(args)
    bound = args.slots / rate
    figures = {
        "provider": args.provider,
        "mode": f"faults {args.faults:.0%}" if args.faults else "normal",
        "slots": args.slots,
        "hosts": args.hosts,
        "workers": args.workers,
        "threads_per_worker": args.concurrency,
        "latency_ms": int(LATENCY * 1000),
        "rate_limit_per_s": rate,
        "seconds_until_all_issued": round(elapsed, 2),
        "seconds_publishing": round(published, 2),
        "rate_limit_bound_s": bound,
        "ratio_to_bound": round(elapsed / bound, 3),
        "one_at_a_time_s": round(args.slots * LATENCY, 1),
        "slots_issued": counts.get("issued", 0),
        "slots_pending": counts.get("pending", 0),
        "failures": counts.get("failed", 0),
    }
    if args.provider == "teams":
        events = core.events()
        markers = Counter(e["transactionId"] for e in events)
        slot_markers = {f"e2rpro-slot:{u}" for u in Slot.objects.values_list("uuid", flat=True)}
        snapshot = core.snapshot()
        throttled = snapshot.get("throttled_counts") or {}
        figures |= {
            "graph_rates_per_s": GRAPH_RATES,
            "meetings_created": len(events),
            "duplicates": sum(n - 1 for n in markers.values() if n > 1),
            "events_without_a_slot_marker": sum(1 for e in events if e["transactionId"] not in slot_markers),
            "meetings_not_owned_by_a_slot": len({e["id"] for e in events} - issued_ids),
            "events_without_join_url": sum(1 for e in events if not e["joinUrl"]),
            "http_429": sum(throttled.values()),
            "http_429_by_endpoint": throttled,
            "faults_injected": snapshot.get("fault_counts") or {},
            "graph_requests": snapshot.get("request_counts") or {},
            "subscriptions": len(snapshot.get("subscriptions") or []),
        }
        return figures
    if args.provider == "google":
        from google_meet.models import GoogleWatch

        events = google_events(core)
        live = [e for e in events if e["status"] != "cancelled"]
        per_slot = Counter(e["marker"] for e in live)
        per_id = Counter(e["id"] for e in events)
        slot_markers = {f"e2rpro-slot:{u}" for u in Slot.objects.values_list("uuid", flat=True)}
        snapshot = core.snapshot()
        limited = snapshot.get("rate_limited_counts") or {}
        channels = [c for c in snapshot.get("channels") or [] if c.get("live")]
        known_channels = set(GoogleWatch.objects.values_list("channel_id", flat=True))
        figures |= {
            "google_rates_per_s": GOOGLE_RATES,
            "meetings_created": len(live),
            "events_cancelled": len(events) - len(live),
            # Two events for one slot (per marker), or one derived id twice (the emulator refuses that).
            "duplicates": sum(n - 1 for n in per_slot.values() if n > 1)
            + sum(n - 1 for n in per_id.values() if n > 1),
            "events_without_a_slot_marker": sum(1 for e in live if e["marker"] not in slot_markers),
            "meetings_not_owned_by_a_slot": len({e["id"] for e in live} - issued_ids),
            "events_without_meet": sum(1 for e in live if not e["join_url"]),
            "http_429": 0,  # Google answers a project over its quota 403 rateLimitExceeded
            "http_403_rate_limited": sum(limited.values()),
            "http_403_rate_limited_by_endpoint": limited,
            "faults_injected": snapshot.get("fault_counts") or {},
            "google_requests": snapshot.get("request_counts") or {},
            "watch_channels": len(channels),
            # Channels open at the emulator that no GoogleWatch row knows (a watch whose transaction rolled
            # back after the channel was made): they get push messages the product answers 404.
            "watch_channels_unknown_to_the_product": len({c["id"] for c in channels} - known_channels),
            "push_messages": sum(c["messages"] for c in channels),
        }
        return figures
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
    figures |= {
        "plan": args.plan,
        "meetings_created": len(meetings),
        "duplicates": sum(n - 1 for n in markers.values() if n > 1),
        "meetings_not_owned_by_a_slot": len({str(m["id"]) for m in meetings} - issued_ids),
        "http_429": sum(limited.values()) if isinstance(limited, dict) else limited,
        "http_429_by_type": by_type,
        "faults_injected": snapshot.get("fault_counts") or {},
        "zoom_requests": snapshot.get("request_counts") or {},
    }
    return figures


def creation_pace(core, provider: str, started: float) -> dict:
    """When the emulator made the first and the last meeting (seconds after publishing began, on its clock;
    Zoom keeps whole seconds) and the rate between them: the steady pace, apart from the ramp and the tail."""
    with core.lock:
        if provider == "teams":
            times = sorted(e["created"] for e in core.state["events"].values())
        elif provider == "google":
            times = sorted(e["created"] for events in core.state["events"].values() for e in events.values())
        else:
            times = sorted(m["created_at"] for m in core.state["meetings"].values())
    if len(times) < 2:
        return {}
    span = times[-1] - times[0]
    return {
        "first_meeting_after_s": round(times[0] - started, 2),
        "last_meeting_after_s": round(times[-1] - started, 2),
        "creates_per_s_first_to_last": round((len(times) - 1) / span, 2) if span > 0 else None,
    }


def ratio_targets(args) -> list[float]:
    """The time targets of this run (none with faults: there only correctness counts)."""
    if args.faults:
        return []
    if args.provider in ("teams", "google"):
        return [1.15]
    if args.plan == "business":
        return [1.10]
    return [1.15, 1.05]


def targets(figures: dict, args) -> dict[str, bool]:
    held = {
        f"exactly_{args.slots}_meetings": figures["meetings_created"] == args.slots,
        "no_duplicates": figures["duplicates"] == 0,
        "no_failures": figures["failures"] == 0 and figures["slots_issued"] == args.slots,
        "every_meeting_owned_by_a_slot": figures["meetings_not_owned_by_a_slot"] == 0,
    }
    for limit in ratio_targets(args):
        held[f"within_{limit:.2f}x_bound"] = figures["ratio_to_bound"] <= limit
    return held


def report(figures: dict, workdir: str) -> None:
    service = {"teams": "Microsoft Teams", "google": "Google Meet"}.get(figures["provider"]) or (
        f"Zoom {figures['plan'].capitalize()}"
    )
    print(f"{service} meeting issuance benchmark ({figures['mode']})")
    print(f"  slots / hosts / workers       {figures['slots']} / {figures['hosts']} / {figures['workers']}")
    print(
        f"  emulator                      {figures['latency_ms']} ms latency, {figures['rate_limit_per_s']}/s"
    )
    print(f"  time until all issued         {figures['seconds_until_all_issued']} s")
    print(f"  rate-limit bound              {figures['rate_limit_bound_s']} s")
    print(f"  ratio to the bound            {figures['ratio_to_bound']}")
    print(
        f"  first / last meeting after    {figures.get('first_meeting_after_s')} / "
        f"{figures.get('last_meeting_after_s')} s ({figures.get('creates_per_s_first_to_last')}/s between)"
    )
    print(f"  one-at-a-time client          {figures['one_at_a_time_s']} s")
    print(f"  meetings created              {figures['meetings_created']}")
    print(f"  duplicates                    {figures['duplicates']}")
    if "http_403_rate_limited" in figures:
        print(f"  403 rateLimitExceeded         {figures['http_403_rate_limited']}")
    else:
        print(f"  429 received                  {figures['http_429']}")
    print(f"  failures                      {figures['failures']} (pending: {figures['slots_pending']})")
    print(f"  faults injected               {figures['faults_injected']}")
    print(f"  worker RSS (MB)               {figures['worker_rss_mb']}")
    print(
        f"  CPU seconds                   workers {figures['worker_cpu_s']} "
        f"({figures['worker_cpu_ms_per_slot']} ms per slot), emulator + publishing "
        f"{figures['benchmark_process_cpu_s']}"
    )
    print(
        f"  load average                  {figures['load_average_before']} -> {figures['load_average_after']}"
        f" ({figures['cpus']} CPUs)"
    )
    for name, held in figures["targets"].items():
        print(f"  target {name:<22} {'held' if held else 'MISSED'}")
    print(f"  worker logs                   {workdir}/worker*.log")
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    sys.exit(main())
