"""Applicant import (CSV and .xlsx, through the background jobs) and export (CSV and .xlsx) at size.

    createdb -h 127.0.0.1 -U postgres e2rpro_bench_imports
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/e2rpro_bench_imports \\
        .venv/bin/python benchmarks/import_export.py       # 50,000 rows in; 100,000 and 200,000 out
    ... benchmarks/import_export.py --rows 5000 --export-rows 10000,20000 --no-mail  # a quick run

Import: a file of ``--rows`` applicants (CSV in Shift_JIS as Excel writes it, and .xlsx) is uploaded through
``import_jobs.create_import`` as the upload view does; this script then plays the broker: each job (the
check, then the import after ``request_import``) runs in a fresh child process (spawned, as a worker would
run it) calling the Celery task's function. Per job: seconds, rows per second and the child's peak RSS
(VmHWM), next to the child's RSS before the job (Django loaded, nothing read).

Export: ``--export-rows`` applicants (seeded once into their own company; ``--reseed`` to start again) are
written as CSV (consumed as the streamed response would be) and as .xlsx (the write-only workbook to its
temporary file), each in a fresh child process: seconds and peak RSS. Memory stays flat when the peak does
not grow with the rows.

When ``benchmarks/bulk_mail.py`` provides ``run(...)``, its figures are added under "mail" (run in its own
process with ``--mail-recipients``; ``--no-mail`` skips it). Prints a table, then one JSON object on the last
line. Migrates the database it is pointed at; refuses SQLite unless ``--allow-sqlite``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "e2rpro.settings")
os.environ["E2RPRO_TESTING"] = "1"  # local secret key, plain static files, no HTTPS redirect
os.environ["DEBUG"] = "0"  # DEBUG would record every query
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["CELERY_BROKER_URL"] = ""  # this script is the broker: no task leaves the process

import warnings

import django

warnings.filterwarnings("ignore", message="No directory at")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from accounts.models import Company, Role, User  # noqa: E402
from applicants import csv_export, import_jobs, tasks  # noqa: E402
from applicants.demo import generate_applicants  # noqa: E402
from applicants.models import (  # noqa: E402
    Applicant,
    ApplicantImport,
    ImportMode,
    ImportPhase,
    Position,
    Source,
    StatusChange,
)
from applicants.selectors import company_stages  # noqa: E402
from applicants.services import ensure_company_defaults  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMPORT_SLUG = "bench-import"
EXPORT_SLUG = "bench-export"
RECRUITER_EMAIL = "bench-import-recruiter@bench.example.com"
SEED_BATCH = 5000
HEADER = [
    "氏名",
    "フリガナ",
    "メールアドレス",
    "電話番号",
    "区分",
    "学校名",
    "卒業年",
    "応募経路",
    "応募日",
    "タグ",
]


# --- measuring in a child process ----------------------------------------------------------------------


def _status_mib(field: str) -> float:
    """A figure of /proc/self/status in MiB: VmRSS now, VmHWM the peak of this process's own memory.

    Not ``ru_maxrss``: it survives exec, so a spawned child would report its parent's peak as its own.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)  # kB
    return 0.0


def _child(job: str, argument: str, results) -> None:
    """Runs in a spawned process (this module imported afresh: Django set up, no data read yet)."""
    connections.close_all()
    before = _status_mib("VmRSS")
    started = time.perf_counter()
    detail: dict = {}
    if job == "check":
        tasks.check_import(argument)
    elif job == "import":
        tasks.run_import(argument)
    elif job in ("export_csv", "export_xlsx"):
        company_id, rows = argument.split(":")
        queryset = Applicant.objects.filter(company_id=company_id).order_by("id")[: int(rows)]
        tz = Company.objects.get(pk=company_id).tzinfo
        if job == "export_csv":
            size = 0
            for chunk in csv_export.stream_csv(
                csv_export.export_rows(queryset, tz), encoding=csv_export.UTF8
            ):
                size += len(chunk)
        else:
            with csv_export.export_xlsx(queryset, tz) as target:
                size = target.seek(0, os.SEEK_END)
        detail["bytes"] = size
    seconds = time.perf_counter() - started
    results.put(
        {
            "seconds": round(seconds, 2),
            "rss_before_mib": before,
            "peak_rss_mib": _status_mib("VmHWM"),
            **detail,
        }
    )


def run_in_child(job: str, argument: str) -> dict:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_child, args=(job, argument, results))
    process.start()
    figures = results.get(timeout=3600)
    process.join()
    if process.exitcode:
        raise SystemExit(f"the {job} job failed (exit {process.exitcode})")
    return figures


# --- data ----------------------------------------------------------------------------------------------


def _company(slug: str, name: str) -> tuple[Company, User]:
    company, _created = Company.objects.get_or_create(slug=slug, defaults={"name": name})
    ensure_company_defaults(company=company)
    user, _created = User.objects.get_or_create(
        email=RECRUITER_EMAIL if slug == IMPORT_SLUG else f"{slug}@bench.example.com",
        defaults={"company": company, "role": Role.RECRUITER, "name": "ベンチ 採用"},
    )
    return company, user


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
    ApplicantImport.objects.filter(company=company).delete()


def _records(rows: int, rng: random.Random):
    families = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
    kana = [
        "サトウ",
        "スズキ",
        "タカハシ",
        "タナカ",
        "イトウ",
        "ワタナベ",
        "ヤマモト",
        "ナカムラ",
        "コバヤシ",
        "カトウ",
    ]
    start = date(2026, 4, 1)
    for index in range(rows):
        family = rng.randrange(len(families))
        yield [
            f"{families[family]} 太郎{index}",
            f"{kana[family]} タロウ",
            f"bench{index}@example.jp",
            f"090{index:08d}",
            "新卒" if index % 3 else "中途",
            "東京大学",
            2027,
            rng.choice(["マイナビ", "リクナビ", "自社サイト"]),
            start - timedelta(days=index % 365),
            "要フォロー" if index % 10 == 0 else "",
        ]


def csv_file(rows: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for record in _records(rows, random.Random(7)):
        writer.writerow(
            [value.strftime("%Y/%m/%d") if isinstance(value, date) else value for value in record]
        )
    return buffer.getvalue().encode("cp932")


def xlsx_file(rows: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("応募者")
    sheet.append(HEADER)
    for record in _records(rows, random.Random(7)):
        sheet.append(record)  # phone numbers as text, dates as dates, the year as a number
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def seed_export(rows: int, *, reseed: bool) -> Company:
    company, _user = _company(EXPORT_SLUG, "ベンチマーク出力株式会社")
    current = Applicant.objects.filter(company=company).count()
    if current == rows and not reseed:
        return company
    print(f"Seeding {rows:,} applicants to export (found {current:,}) ...", flush=True)
    _delete_applicants(company)
    rng = random.Random(8)
    generated = generate_applicants(
        company=company,
        count=rows,
        rng=rng,
        stages=company_stages(company),
        positions=list(Position.objects.filter(company=company)),
        sources=list(Source.objects.filter(company=company)),
        email_prefix="x",
    )
    while batch := [applicant for _, applicant in zip(range(SEED_BATCH), generated, strict=False)]:
        with transaction.atomic():
            Applicant.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE applicants_applicant")
    return company


# --- the runs ------------------------------------------------------------------------------------------


def measure_import(kind: str, content: bytes, rows: int) -> dict:
    company, user = _company(IMPORT_SLUG, "ベンチマーク取り込み株式会社")
    _delete_applicants(company)
    draft = import_jobs.create_import(company=company, actor=user, file_name=f"bench.{kind}", content=content)
    check = run_in_child("check", str(draft.pk))
    draft.refresh_from_db()
    if draft.phase != ImportPhase.READY:
        raise SystemExit(f"the check of the {kind} file ended in {draft.phase}: {draft.failure}")
    if not import_jobs.request_import(draft=draft, mode=ImportMode.ALL_OR_NOTHING):
        raise SystemExit(f"the {kind} file could not be queued for import")
    imported = run_in_child("import", str(draft.pk))
    draft.refresh_from_db()
    count = Applicant.objects.filter(company=company).count()
    if draft.imported_count != rows or count != rows:
        raise SystemExit(f"{kind}: imported {draft.imported_count} ({count} rows), expected {rows}")
    assert StatusChange.objects.filter(applicant__company=company).count() == rows
    total = check["seconds"] + imported["seconds"]
    return {
        "rows": rows,
        "file_bytes": len(content),
        "check": {**check, "rows_per_second": round(rows / check["seconds"])},
        "import": {**imported, "rows_per_second": round(rows / imported["seconds"])},
        "seconds": round(total, 2),
        "rows_per_second": round(rows / total),
        "peak_rss_mib": max(check["peak_rss_mib"], imported["peak_rss_mib"]),
    }


def measure_export(company: Company, rows: int) -> dict:
    return {
        kind: {"rows": rows, **run_in_child(f"export_{kind}", f"{company.pk}:{rows}")}
        for kind in ("csv", "xlsx")
    }


def measure_mail(recipients: int) -> dict | None:
    """The bulk mail benchmark's own ``run(...)``, in its own process (it recreates its own database)."""
    path = ROOT / "benchmarks" / "bulk_mail.py"
    if not path.exists() or "def run(" not in path.read_text(encoding="utf-8"):
        return None
    code = (
        "import json, sys; sys.path.insert(0, '.'); from benchmarks.bulk_mail import run; "
        f"print(json.dumps(run(recipients={recipients}), ensure_ascii=False, default=str))"
    )
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"error": (done.stderr or done.stdout)[-500:]}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=50_000, help="rows of each imported file")
    parser.add_argument("--export-rows", default="100000,200000", help="comma-separated export sizes")
    parser.add_argument("--reseed", action="store_true", help="seed the export's applicants again")
    parser.add_argument("--no-mail", action="store_true", help="skip the bulk mail figures")
    parser.add_argument("--parts", default="import,export,mail", help="which of import,export,mail to run")
    parser.add_argument("--mail-recipients", type=int, default=1000)
    parser.add_argument("--allow-sqlite", action="store_true", help="for a quick smoke run with few rows")
    args = parser.parse_args()
    if connection.vendor != "postgresql" and not args.allow_sqlite:
        raise SystemExit(
            "Point DATABASE_URL at PostgreSQL (see the docstring), or pass --allow-sqlite for a smoke run."
        )
    call_command("migrate", verbosity=0)
    # This process queues nothing: the jobs run in the children below, as a worker would run them.
    tasks.check_import.delay = lambda *args, **kwargs: None  # type: ignore[method-assign]
    tasks.run_import.delay = lambda *args, **kwargs: None  # type: ignore[method-assign]

    parts = set(args.parts.split(","))
    results: dict = {"database": connection.vendor, "rows": args.rows, "import": {}, "export": {}}
    for kind, make in (("csv", csv_file), ("xlsx", xlsx_file)) if "import" in parts else ():
        print(f"Importing {args.rows:,} rows from .{kind} ...", flush=True)
        results["import"][kind] = measure_import(kind, make(args.rows), args.rows)
    sizes = (
        sorted(int(size) for size in args.export_rows.split(",") if size.strip()) if "export" in parts else []
    )
    if sizes:
        company = seed_export(max(sizes), reseed=args.reseed)
    for size in sizes:
        print(f"Exporting {size:,} rows ...", flush=True)
        results["export"][str(size)] = measure_export(company, size)
    if "mail" in parts and not args.no_mail:
        print(f"Bulk mail to {args.mail_recipients:,} recipients ...", flush=True)
        mail = measure_mail(args.mail_recipients)
        if mail is not None:
            results["mail"] = mail

    if results["import"]:
        print(f"\nImport of {args.rows:,} rows ({connection.vendor}), each job in its own process")
        print(f"{'file':<6}{'job':<8}{'seconds':>9}{'rows/s':>9}{'RSS before':>12}{'peak RSS':>10}")
    for kind, figures in results["import"].items():
        for job in ("check", "import"):
            row = figures[job]
            print(
                f"{kind:<6}{job:<8}{row['seconds']:>9.2f}{row['rows_per_second']:>9,}"
                f"{row['rss_before_mib']:>9.1f} MiB{row['peak_rss_mib']:>6.1f} MiB"
            )
    if results["export"]:
        print(f"\nExport ({connection.vendor}), each in its own process")
        print(f"{'rows':>8} {'format':<6}{'seconds':>9}{'MiB out':>9}{'RSS before':>12}{'peak RSS':>10}")
    for size, formats in results["export"].items():
        for kind, row in formats.items():
            print(
                f"{int(size):>8,} {kind:<6}{row['seconds']:>9.2f}{row['bytes'] / 2**20:>9.1f}"
                f"{row['rss_before_mib']:>9.1f} MiB{row['peak_rss_mib']:>6.1f} MiB"
            )
    if len(sizes) > 1:
        small, large = results["export"][str(sizes[0])], results["export"][str(sizes[-1])]
        results["export_peak_growth_mib"] = {
            kind: round(large[kind]["peak_rss_mib"] - small[kind]["peak_rss_mib"], 1)
            for kind in ("csv", "xlsx")
        }
        print(f"peak RSS growth from {sizes[0]:,} to {sizes[-1]:,} rows: {results['export_peak_growth_mib']}")
    if "mail" in results:
        print(f"\nBulk mail: {json.dumps(results['mail'], ensure_ascii=False)[:300]}")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
