"""The staff pages on the scale data set (1,000,000 applicants, 300,000 in one company), timed in-process.

    .venv/bin/python benchmarks/seed_scale.py            # once: a few minutes, then --reuse keeps it
    .venv/bin/python benchmarks/scale_pages.py [--repeat 30] [--scale 1.0]

Uses benchmarks/seed_scale.py's data set (``--reuse``: seeded only when missing) in its database
(DATABASE_URL, default e2rpro_scale). Requests each page through django.test.Client (the WSGI handler:
server time without the network) as the 採用担当 of the big company (and the dashboard and マイ面接 as one of
its 面接官, assigned to its interview events), three times to warm up and then
``--repeat`` times, and prints median, p95 and the query count per page; the applicant list cases also on
Django's admin changelist (as an operator, ``--admin-repeat`` times: each takes seconds) side by side.
Targets: the applicant list and its searches at most 30 ms median, every page at most 100 ms median. The
last line is one JSON object with each page's figures, whether each target held, the load average (the
machine may be shared), benchmarks/machine.py's speed probe before and after, and the resident memory (RSS)
of this process, which served the pages.
"""

# ruff: noqa: I001  (seed_scale must be imported first: it sets up Django)
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import seed_scale  # first: it sets up Django
from benchmarks.machine import speed_probe

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Company, Role, User
from applicants.models import Applicant, SelectionStage
from scheduling.models import Event, Slot

LIST_TARGET_MS = 30.0
PAGE_TARGET_MS = 100.0
NAME_SEARCH = "佐藤"
KANA_SEARCH = "さと"  # hiragana, folded to カタカナ by the search: サトウ, サトシ …
STATUS = "一次面接"
DEEP_PAGE = 500
INTERVIEWER_PAGES = {"interviewer_dashboard": "/", "interviewer_my_interviews": "/interviews/mine/"}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(client: Client, path: str, repeat: int) -> dict:
    """Warm up, count the queries of one request, then time ``repeat`` requests."""
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
        queries = len(captured)  # read inside: request_finished clears the connection's query log
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(_percentile(timings, 0.95), 1),
        "queries": queries,
    }


def _rss() -> dict[str, float]:
    """This process's resident memory now and at its peak, in MiB (Linux /proc)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _sep, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mib": fields.get("VmRSS", 0.0), "peak_rss_mib": fields.get("VmHWM", 0.0)}


def pages(company: Company) -> tuple[dict[str, str], dict[str, str]]:
    """The product's pages (name → path) and the admin changelist's counterparts of the list cases."""
    stage = SelectionStage.objects.get(company=company, name=STATUS)
    long_timeline = Applicant.objects.get(company=company, email_key=seed_scale.LONG_TIMELINE_EMAIL)
    big_event = Event.objects.select_related("selection_meeting").get(
        company=company, name=seed_scale.BIG_EVENT_NAME
    )
    meeting = big_event.selection_meeting_id
    slots = Slot.objects.filter(event=big_event).count()
    today = timezone.localdate()
    # Page 500 is rows 24,951-25,000 on both sides (a smaller data set has fewer pages).
    deep = min(DEEP_PAGE, max(1, Applicant.objects.filter(company=company).count() // 50))
    product = {
        "list_first_page": "/applicants/",
        "list_name_search": f"/applicants/?q={NAME_SEARCH}",
        "list_kana_search": f"/applicants/?q={KANA_SEARCH}",
        "list_status_filter": f"/applicants/?stage={stage.pk}",
        f"list_page_{deep}": f"/applicants/?page={deep}",
        "applicant_long_timeline": f"/applicants/{long_timeline.pk}/",
        "schedule": f"/selection/{meeting}/schedule/",
        # 日程設定 pages an event's slots behind its filter; a page number beyond the last shows the last.
        "schedule_event_last_page": (
            f"/selection/{meeting}/schedule/?event={big_event.pk}&past=1&page={slots}"
        ),
        "slot_list": "/selection/slots/",
        "dashboard": "/",
        "calendar_month": f"/interviews/calendar/?view=month&date={today:%Y-%m-%d}",
        "calendar_week": f"/interviews/calendar/?view=week&date={today:%Y-%m-%d}",
        "evaluations_overdue": "/interviews/evaluations/overdue/",
        "reports": "/reports/",
        "report_funnel_csv": "/reports/funnel.csv",
        "report_attendance_csv": "/reports/attendance.csv",
    }
    admin = {
        "list_first_page": "/admin/applicants/applicant/",
        "list_name_search": f"/admin/applicants/applicant/?q={NAME_SEARCH}",
        "list_kana_search": f"/admin/applicants/applicant/?q={KANA_SEARCH}",
        "list_status_filter": f"/admin/applicants/applicant/?stage__id__exact={stage.pk}",
        f"list_page_{deep}": f"/admin/applicants/applicant/?p={deep}",
    }
    return product, admin


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="the seed's scale (1.0: 1,000,000 applicants)"
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", default="", help="comma-separated page names (default: every page)")
    parser.add_argument(
        "--admin-repeat", type=int, default=10, help="requests per admin page (each takes seconds)"
    )
    parser.add_argument("--no-admin", action="store_true", help="skip the admin changelist side")
    args = parser.parse_args()
    seed_scale.ensure_database()
    data_set = seed_scale.seed(scale=args.scale, reuse=True)
    company = Company.objects.get(slug=seed_scale.BIG_SLUG)
    product_pages, admin_pages = pages(company)
    if args.only:
        wanted = set(args.only.split(","))
        product_pages = {k: v for k, v in product_pages.items() if k in wanted}
        admin_pages = {k: v for k, v in admin_pages.items() if k in wanted}
    recruiter, admin = Client(), Client()
    recruiter.force_login(User.objects.get(email=seed_scale.RECRUITER_EMAIL))
    admin.force_login(User.objects.get(email=seed_scale.OPERATOR_EMAIL))
    results: dict[str, dict] = {}
    probe_before = speed_probe()
    for name, path in product_pages.items():
        figures = measure(recruiter, path, args.repeat)
        target = LIST_TARGET_MS if name.startswith("list_") else PAGE_TARGET_MS
        results[name] = {**figures, "target_ms": target, "met": figures["median_ms"] <= target, "path": path}
        if name in admin_pages and not args.no_admin:
            results[name]["admin"] = measure(admin, admin_pages[name], args.admin_repeat)
        print(f"  measured {name}", flush=True)
    # A 面接官 of the big company: assigned to its interview events (10,000 past interviews, most evaluated).
    interviewer = Client()
    interviewer.force_login(
        User.objects.filter(company=company, role=Role.INTERVIEWER).order_by("pk").first()
    )
    for name, path in INTERVIEWER_PAGES.items():
        if args.only and name not in args.only.split(","):
            continue
        figures = measure(interviewer, path, args.repeat)
        results[name] = {
            **figures,
            "target_ms": PAGE_TARGET_MS,
            "met": figures["median_ms"] <= PAGE_TARGET_MS,
            "path": path,
        }
        print(f"  measured {name}", flush=True)
    footprint = _rss()
    probes = [probe_before, speed_probe()]
    print(
        f"\n{data_set['applicants']:,} applicants "
        f"({data_set['big_company_applicants']:,} in the measured company), "
        f"{data_set['slots']:,} slots, {data_set['bookings']:,} bookings; {args.repeat} requests per page"
    )
    print(
        f"{'page':<30}{'median':>10}{'p95':>10}{'queries':>9}{'target':>9}   {'admin median / p95 / queries'}"
    )
    for name, row in results.items():
        side = row.get("admin")
        admin_text = (
            f"{side['median_ms']:>8.1f} ms {side['p95_ms']:>8.1f} ms {side['queries']:>4}" if side else ""
        )
        mark = "ok" if row["met"] else "MISS"
        print(
            f"{name:<30}{row['median_ms']:>7.1f} ms{row['p95_ms']:>7.1f} ms{row['queries']:>9}"
            f"{row['target_ms']:>6.0f} {mark:<4}{admin_text}"
        )
    print(
        f"RSS of this process after the pages: {footprint['rss_mib']} MiB "
        f"(peak {footprint['peak_rss_mib']} MiB)"
    )
    print(f"Machine speed probe (benchmarks/machine.py) before and after: {probes} s")
    summary = {
        "database": connection.vendor,
        "applicants": data_set["applicants"],
        "company_applicants": data_set["big_company_applicants"],
        "slots": data_set["slots"],
        "bookings": data_set["bookings"],
        "repeat": args.repeat,
        "admin_repeat": args.admin_repeat,
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "speed_probe_s": probes,
        "pages": results,
        "list_target_met": all(r["met"] for n, r in results.items() if n.startswith("list_")),
        "all_targets_met": all(r["met"] for r in results.values()),
        "footprint": footprint,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
