"""What each request of the booking rush costs in CPU, against the one-row page, in one process.

    .venv/bin/python benchmarks/request_costs.py [--refusals 5]

The booking rush (benchmarks/booking_rush.py) compares throughputs on a saturated 2-core machine, so its
ratio is what the requests cost in CPU; but the machine's speed moves within a minute, and one rush is one
sample. This script measures the costs themselves, each request type alternated with the one-row page so
that both see the same machine:
1. (re)creates its own PostgreSQL database (BENCH_DATABASE_URL, default e2rpro_bench_costs) and seeds it as
   the rush does (benchmarks.booking_rush.seed: 300 applicants with links, one slot with 100 free seats);
2. through Django's test client (the whole middleware, production settings, DEBUG off, mails queued to a
   Celery queue no worker reads), each applicant opens the confirmation page, then POSTs 予約を確定する:
   the first 100 book, the rest are refused 満席; each POST is followed by a GET of the one-row page;
3. the refusals are then repeated ``--refusals`` times over (a refusal changes nothing);
4. prints the median CPU (process time) of a booking, a refusal and the one-row page, their ratios to the
   one-row page, and the statements of a refusal; JSON on the last line. Drops the database and the queue.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import booking_rush  # noqa: E402  (after the path is set)

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/e2rpro_bench_costs"
ONE_ROW = "/bench/one-row/"


def cpu_ms(call) -> tuple[float, object]:
    started = time.process_time()
    result = call()
    return (time.process_time() - started) * 1000, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--applicants", type=int, default=300)
    parser.add_argument("--refusals", type=int, default=5, help="rounds of the refusals after the first")
    args = parser.parse_args()
    os.environ["BENCH_DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    env = booking_rush.environment(8000)
    booking_rush.reset_database(env["DATABASE_URL"])
    world = booking_rush.seed(
        argparse.Namespace(applicants=args.applicants, seats=100, booked=20, slots=1, rounds=1)
    ).rounds[0]
    try:
        report = measure(world, rounds=args.refusals)
    finally:
        from django.db import connections

        connections.close_all()
        booking_rush.drop_database(env["DATABASE_URL"])
        booking_rush.drop_queue(env["CELERY_BROKER_URL"])
    print(json.dumps(report, ensure_ascii=False))
    return 0


def measure(world: booking_rush.Round, *, rounds: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from e2rpro import warmup

    warmup.warm_up()
    client = Client(HTTP_ACCEPT_LANGUAGE="ja", HTTP_HOST="127.0.0.1")
    paths = [f"/b/{token}/slots/{world.slot_for(index)}/" for index, token in enumerate(world.tokens)]
    for path in paths:
        client.get(path)  # the applicant's confirmation page: the CSRF cookie, the prepared statements
    costs: dict[int, list[float]] = {302: [], 409: []}
    one_row: list[float] = []
    for round_number in range(rounds + 1):
        for path in paths if round_number == 0 else paths[100:]:
            client.cookies.pop("messages", None)  # each applicant's own browser: no earlier one's notices
            spent, response = cpu_ms(lambda path=path: client.post(path, {}))
            if response.status_code not in costs:
                raise RuntimeError(f"{path} answered {response.status_code}")
            costs[response.status_code].append(spent)
            one_row.append(cpu_ms(lambda: client.get(ONE_ROW))[0])
    with CaptureQueriesContext(connection) as captured:
        client.post(paths[-1], {})
    refusal_statements = len(captured)
    one = statistics.median(one_row)
    report = {
        "benchmark": "request_costs",
        "bookings": len(costs[302]),
        "refusals": len(costs[409]),
        "one_row_cpu_ms": round(one, 3),
        "booking_cpu_ms": round(statistics.median(costs[302]), 3),
        "refusal_cpu_ms": round(statistics.median(costs[409]), 3),
        "booking_over_one_row": round(statistics.median(costs[302]) / one, 2),
        "refusal_over_one_row": round(statistics.median(costs[409]) / one, 2),
        "refusal_statements": refusal_statements,
    }
    print(
        f"CPU per request (median): one-row page {report['one_row_cpu_ms']} ms, booking "
        f"{report['booking_cpu_ms']} ms ({report['booking_over_one_row']}×), refusal 満席 "
        f"{report['refusal_cpu_ms']} ms ({report['refusal_over_one_row']}×, {refusal_statements} statements)"
    )
    return report


if __name__ == "__main__":
    sys.exit(main())
