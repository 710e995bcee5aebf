"""The staff calendar (month), 日程設定 and the reports on a large company, timed in-process.

    createdb -h 127.0.0.1 -U postgres e2rpro_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/e2rpro_bench .venv/bin/python benchmarks/schedule_pages.py

Reuses list_pages.py's applicants (``--applicants``, default 100,000; the scale issue's seed goes to
1,000,000) and adds ``--slots`` slots (default 20,000) spread over a year across two 選考会, with bookings for
a share of the applicants. Requests each page ``--repeat`` times as a 採用担当 through django.test.Client
(server time without the network) and prints median, p95 and the query count per page, then the same figures
as one JSON object on the last line. Refuses SQLite unless ``--allow-sqlite``.
"""

# ruff: noqa: I001  (list_pages must be imported first: it sets up Django)
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import list_pages  # first: it sets up Django

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Company, User
from applicants.models import Applicant
from booking.models import Attendance, Booking, BookingSource, BookingStatus
from scheduling.models import Event, SelectionMeeting, Slot

BATCH = 5000


def _event(company: Company, meeting_name: str, event_name: str) -> Event:
    meeting, _ = SelectionMeeting.objects.get_or_create(company=company, name=meeting_name)
    event = Event.objects.filter(selection_meeting=meeting, name=event_name).first()
    return event or Event.objects.create(company=company, selection_meeting=meeting, name=event_name)


def _seed_slots(company: Company, count: int, rng: random.Random) -> list[Event]:
    events = [_event(company, "一次面接", "対面面接"), _event(company, "二次面接", "役員面接")]
    have = Slot.all_objects.filter(company=company).count()
    if have >= count:
        return events
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=120)
    rows = []
    for index in range(have, count):
        begins = start + timedelta(days=index * 365 // count, hours=9 + index % 8)
        rows.append(
            Slot(
                company=company,
                event=events[index % 2],
                starts_at=begins,
                ends_at=begins + timedelta(minutes=45),
                capacity=2,
                is_published=True,
            )
        )
    for offset in range(0, len(rows), BATCH):
        Slot.all_objects.bulk_create(rows[offset : offset + BATCH])
    _seed_bookings(company, rng)
    return events


def _seed_bookings(company: Company, rng: random.Random) -> None:
    """One booking for every tenth applicant, in a slot of each event in turn; past ones get an 出欠."""
    now = timezone.now()
    slots = list(Slot.all_objects.filter(company=company).values_list("pk", "event_id", "starts_at"))
    applicant_ids = Applicant.objects.filter(company=company).values_list("pk", flat=True)[::10]
    kinds = [Attendance.ATTENDED, Attendance.ATTENDED, Attendance.ATTENDED, Attendance.NO_SHOW, ""]
    rows = []
    for applicant_id in applicant_ids:
        slot_id, event_id, starts_at = rng.choice(slots)
        rows.append(
            Booking(
                company=company,
                applicant_id=applicant_id,
                event_id=event_id,
                slot_id=slot_id,
                status=BookingStatus.ACTIVE,
                source=BookingSource.STAFF,
                attendance=rng.choice(kinds) if starts_at < now else "",
            )
        )
    with transaction.atomic():
        Booking.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


def _measure(client: Client, path: str, repeat: int) -> dict:
    timings = []
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        queries = len(captured)  # read inside: request_finished clears the connection's query log
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=100_000)
    parser.add_argument("--slots", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--allow-sqlite", action="store_true")
    args = parser.parse_args()
    if connection.vendor == "sqlite" and not args.allow_sqlite:
        sys.exit("Point DATABASE_URL at PostgreSQL (or pass --allow-sqlite for a smoke run).")
    list_pages.seed(args.applicants, reseed=args.reseed)
    company = Company.objects.get(slug=list_pages.BENCH_SLUG)
    events = _seed_slots(company, args.slots, random.Random(15))
    recruiter = User.objects.get(email=list_pages.RECRUITER_EMAIL)
    client = Client()
    client.force_login(recruiter)
    today = timezone.localdate()
    pages = {
        "calendar_month": f"/interviews/calendar/?view=month&date={today:%Y-%m-%d}",
        "calendar_week": f"/interviews/calendar/?view=week&date={today:%Y-%m-%d}",
        "schedule": f"/selection/{events[0].selection_meeting_id}/schedule/",
        "reports": "/reports/",
    }
    figures = {name: _measure(client, path, args.repeat) for name, path in pages.items()}
    slots = Slot.all_objects.filter(company=company).count()
    applicants = Applicant.objects.filter(company=company).count()
    print(f"{applicants:,} applicants, {slots:,} slots ({connection.vendor})")
    for name, row in figures.items():
        timing = f"median {row['median_ms']:>7} ms  p95 {row['p95_ms']:>7} ms"
        print(f"  {name:<15} {timing}  {row['queries']} queries")
    print(json.dumps({"applicants": applicants, "slots": slots, "database": connection.vendor, **figures}))


if __name__ == "__main__":
    main()
