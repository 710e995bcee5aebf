"""The applicant list at 100,000 applicants, next to Django's admin changelist on the same data.

    createdb -h 127.0.0.1 -U postgres e2rpro_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/e2rpro_bench .venv/bin/python benchmarks/list_pages.py

Seeds (once; ``--reseed`` to start again) a company with ``--rows`` applicants plus a small second tenant,
then requests each page ``--repeat`` times in-process (the WSGI handler through django.test.Client: server
time without the network) as a 採用担当 on /applicants/ and as an operator on /admin/applicants/applicant/,
both with 50 rows a page. Prints median and p95 per page, side by side, and the same figures as one JSON
object on the last line. Migrates the database it is pointed at; refuses SQLite unless ``--allow-sqlite``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "e2rpro.settings")
os.environ["E2RPRO_TESTING"] = "1"  # local secret key, plain static files, no HTTPS redirect
os.environ["DEBUG"] = "0"  # DEBUG would record every query and slow both sides
os.environ["ALLOWED_HOSTS"] = "testserver"

import warnings

import django

warnings.filterwarnings("ignore", message="No directory at")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Company, Role, User  # noqa: E402
from applicants.demo import generate_applicants  # noqa: E402
from applicants.models import Applicant, Position, SelectionStage, Source, Tag  # noqa: E402
from applicants.selectors import company_stages  # noqa: E402
from applicants.services import ensure_company_defaults  # noqa: E402

BENCH_SLUG = "bench-applicants"
OTHER_SLUG = "bench-applicants-other"
RECRUITER_EMAIL = "bench-recruiter@bench.example.com"
OPERATOR_EMAIL = "bench-operator@bench.example.com"
BATCH = 5000
SEARCH = "佐藤"
STATUS = "一次面接"
TARGET_MS = 50.0


def _company(slug: str, name: str) -> Company:
    company, _created = Company.objects.get_or_create(slug=slug, defaults={"name": name})
    ensure_company_defaults(company=company)
    return company


def _lists(company: Company) -> tuple[list, list]:
    positions = [
        Position.objects.get_or_create(company=company, name=name, defaults={"sort_order": i})[0]
        for i, name in enumerate(
            ["総合職（営業）", "エンジニア", "企画・マーケティング", "事務・管理部門", "デザイナー"]
        )
    ]
    sources = list(Source.objects.filter(company=company))
    return positions, sources


def _delete_applicants(company: Company) -> None:
    with connection.cursor() as cursor:
        for sql in (
            "DELETE FROM applicants_applicant_tags WHERE applicant_id IN "
            "(SELECT id FROM applicants_applicant WHERE company_id = %s)",
            "DELETE FROM applicants_statuschange WHERE applicant_id IN "
            "(SELECT id FROM applicants_applicant WHERE company_id = %s)",
            "DELETE FROM applicants_applicant WHERE company_id = %s",
        ):
            cursor.execute(sql, [company.pk])


def _seed_company(company: Company, rows: int, rng: random.Random, prefix: str) -> float:
    started = time.perf_counter()
    stages = company_stages(company)
    positions, sources = _lists(company)
    tags = [
        Tag.objects.get_or_create(company=company, name=name)[0]
        for name in ("要フォロー", "英語可", "地方在住")
    ]
    generated = generate_applicants(
        company=company,
        count=rows,
        rng=rng,
        stages=stages,
        positions=positions,
        sources=sources,
        email_prefix=prefix,
    )
    link_model = Applicant.tags.through
    while True:
        batch = [applicant for _, applicant in zip(range(BATCH), generated, strict=False)]
        if not batch:
            break
        with transaction.atomic():
            Applicant.objects.bulk_create(batch)
            link_model.objects.bulk_create(
                link_model(applicant_id=a.pk, tag_id=rng.choice(tags).pk) for a in batch if rng.random() < 0.3
            )
        print(
            f"  seeded {Applicant.objects.filter(company=company).count():,} / {rows:,}", end="\r", flush=True
        )
    print()
    return time.perf_counter() - started


def seed(rows: int, *, reseed: bool) -> dict:
    call_command("migrate", verbosity=0)
    company = _company(BENCH_SLUG, "ベンチマーク株式会社")
    other = _company(OTHER_SLUG, "ベンチマーク他社株式会社")
    recruiter, _ = User.objects.get_or_create(
        email=RECRUITER_EMAIL, defaults={"company": company, "role": Role.RECRUITER, "name": "ベンチ 採用"}
    )
    if not User.objects.filter(email=OPERATOR_EMAIL).exists():
        User.objects.create_superuser(email=OPERATOR_EMAIL, password=None, name="ベンチ 運用者")
    operator = User.objects.get(email=OPERATOR_EMAIL)
    seconds = 0.0
    current = Applicant.objects.filter(company=company).count()
    if reseed or current != rows:
        print(f"Seeding {rows:,} applicants (found {current:,}) ...")
        _delete_applicants(company)
        _delete_applicants(other)
        rng = random.Random(6)
        seconds = _seed_company(company, rows, rng, "b")
        _seed_company(other, max(rows // 100, 10), rng, "o")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in ("applicants_applicant", "applicants_applicant_tags"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
    return {"company": company, "recruiter": recruiter, "operator": operator, "seed_seconds": seconds}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def _check(client: Client, url: str, expect_rows: str) -> int:
    """Warm up, check the page shows rows, and count its queries."""
    for _ in range(3):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert expect_rows in response.content.decode(), (url, "page did not show the expected rows")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)  # read now: the list is taken from the connection's log


def _timed(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200
    return elapsed


def measure(sides: dict[str, tuple[Client, str, str]], repeat: int) -> dict[str, dict]:
    """Time each side's page ``repeat`` times, alternating sides so both see the same machine load."""
    queries = {side: _check(client, url, expect) for side, (client, url, expect) in sides.items()}
    timings: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(repeat):
        for side, (client, url, _expect) in sides.items():
            timings[side].append(_timed(client, url))
    return {
        side: {
            "median_ms": round(statistics.median(values), 2),
            "p95_ms": round(_percentile(values, 0.95), 2),
            "queries": queries[side],
        }
        for side, values in timings.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--allow-sqlite", action="store_true", help="for a quick smoke run with few rows")
    args = parser.parse_args()
    if connection.vendor != "postgresql" and not args.allow_sqlite:
        sys.exit(
            "Point DATABASE_URL at PostgreSQL (see the docstring), or pass --allow-sqlite for a smoke run."
        )
    started = time.perf_counter()
    world = seed(args.rows, reseed=args.reseed)
    stage = SelectionStage.objects.get(company=world["company"], name=STATUS)
    product, admin = Client(), Client()
    product.force_login(world["recruiter"])
    admin.force_login(world["operator"])
    # Both lists show 50 rows; page 500 is rows 24,951-25,000 on both sides (a smaller page on a smoke run).
    deep = min(500, max(1, args.rows // 100))
    cases = {
        "first_page": ("/applicants/", "/admin/applicants/applicant/"),
        "name_search": (f"/applicants/?q={SEARCH}", f"/admin/applicants/applicant/?q={SEARCH}"),
        "status_filter": (
            f"/applicants/?stage={stage.pk}",
            f"/admin/applicants/applicant/?stage__id__exact={stage.pk}",
        ),
        f"page_{deep}": (f"/applicants/?page={deep}", f"/admin/applicants/applicant/?p={deep}"),
    }
    results: dict[str, dict] = {"product": {}, "admin": {}}
    for name, (product_url, admin_url) in cases.items():
        measured = measure(
            {
                "product": (product, product_url, 'name="ids" value='),
                "admin": (admin, admin_url, 'name="_selected_action"'),
            },
            args.repeat,
        )
        for side, figures in measured.items():
            results[side][name] = figures
    print(f"\nApplicant list, {args.rows:,} applicants, {connection.vendor}, {args.repeat} requests per page")
    header = f"{'median':>16}{'p95':>9}{'queries':>9}"
    print(f"{'':<15}{'product /applicants/':^34}   {'Django admin changelist':^34}")
    print(f"{'page':<15}{header}   {header}")
    for name in cases:
        p, a = results["product"][name], results["admin"][name]
        print(
            f"{name:<15}{p['median_ms']:>13.1f} ms{p['p95_ms']:>6.1f} ms{p['queries']:>9}"
            f"   {a['median_ms']:>13.1f} ms{a['p95_ms']:>6.1f} ms{a['queries']:>9}"
        )
    summary = {
        "rows": args.rows,
        "database": connection.vendor,
        "repeat": args.repeat,
        "seed_seconds": round(world["seed_seconds"], 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        **results,
        "product_under_50ms": all(r["median_ms"] < TARGET_MS for r in results["product"].values()),
        "product_faster_than_admin": all(
            results["product"][name]["median_ms"] < results["admin"][name]["median_ms"] for name in cases
        ),
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
