"""The background export of a whole applicant list on the scale data set (300,000 applicants).

    .venv/bin/python benchmarks/seed_scale.py            # once: a few minutes, then --reuse keeps it
    .venv/bin/python benchmarks/export_job.py [--formats csv,sjis,xlsx] [--stage 一次面接]

Uses benchmarks/seed_scale.py's data set in its database (DATABASE_URL, default e2rpro_scale). For each
format, starts an export of the big company's list as its 採用担当 (``applicants.export_jobs.start_export``,
the list's filter: everything, or ``--stage``), runs the job (``run_export``, what the Celery task runs) in a
process of its own, and prints the seconds, rows per second, the file's size and parts, and the job
process's peak RSS (VmHWM); then it deletes the export. The last line is one JSON object with the figures,
the load average and benchmarks/machine.py's speed probe before and after.
"""

# ruff: noqa: I001  (seed_scale must be imported first: it sets up Django)
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import seed_scale  # first: it sets up Django
from benchmarks.machine import speed_probe

from django.db import connections

from accounts.models import Company, User
from applicants import csv_export, export_jobs
from applicants.models import Applicant, ApplicantExport, ApplicantExportPart, FileKind, SelectionStage

FORMATS = {
    "csv": (FileKind.CSV, csv_export.UTF8),
    "sjis": (FileKind.CSV, csv_export.SJIS),
    "xlsx": (FileKind.XLSX, ""),
}


def _peak_rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _child(export_id: str, results: multiprocessing.Queue) -> None:
    """Runs in a spawned process: the job as the worker runs it."""
    connections.close_all()
    started = time.perf_counter()
    written = export_jobs.run_export(export_id=export_id)
    results.put(
        {"written": written, "seconds": time.perf_counter() - started, "peak_rss_mib": _peak_rss_mib()}
    )


def measure(company: Company, recruiter: User, name: str, filter_query: str) -> dict:
    file_kind, encoding = FORMATS[name]
    export_jobs.enqueue = lambda export_id: None  # type: ignore[assignment]  # the child runs it, not eager Celery
    count = Applicant.objects.filter(company=company).count() if not filter_query else 0
    export = export_jobs.start_export(
        company=company,
        actor=recruiter,
        file_kind=file_kind,
        encoding=encoding,
        filter_query=filter_query,
        count=count,
    )
    connections.close_all()
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    process = context.Process(target=_child, args=(str(export.pk), results))
    process.start()
    outcome = results.get(timeout=3600)
    process.join()
    export.refresh_from_db()
    parts = ApplicantExportPart.objects.filter(export=export).count()
    figures = {
        "format": name,
        "state": export.state,
        "rows": export.row_count,
        "seconds": round(outcome["seconds"], 1),
        "rows_per_s": round(export.row_count / outcome["seconds"]) if outcome["seconds"] else 0,
        "bytes": export.size_bytes,
        "parts": parts,
        "replaced_cells": export.replaced_cells,
        "peak_rss_mib": outcome["peak_rss_mib"],
    }
    export.delete()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--formats", default="csv,sjis,xlsx", help=f"comma-separated: {', '.join(FORMATS)}")
    parser.add_argument("--stage", default="", help="export the list filtered by this 選考ステータス")
    args = parser.parse_args()
    seed_scale.ensure_database()
    seed_scale.seed(scale=1.0, reuse=True)
    company = Company.objects.get(slug=seed_scale.BIG_SLUG)
    recruiter = User.objects.get(email=seed_scale.RECRUITER_EMAIL)
    filter_query = ""
    if args.stage:
        filter_query = urlencode({"stage": SelectionStage.objects.get(company=company, name=args.stage).pk})
    ApplicantExport.objects.filter(company=company, created_by=recruiter).delete()
    probe_before = speed_probe()
    results = []
    for name in args.formats.split(","):
        figures = measure(company, recruiter, name.strip(), filter_query)
        results.append(figures)
        print(
            f"{figures['format']:5} {figures['rows']:>8,} rows in {figures['seconds']:7.1f} s "
            f"({figures['rows_per_s']:,} rows/s), {figures['bytes']:,} bytes in {figures['parts']} parts, "
            f"peak RSS {figures['peak_rss_mib']} MiB, state {figures['state']}",
            flush=True,
        )
    probes = [probe_before, speed_probe()]
    print(f"Machine speed probe (benchmarks/machine.py) before and after: {probes} s")
    summary = {
        "benchmark": "export_job",
        "filter": filter_query,
        "exports": results,
        "all_done": all(figures["state"] == "done" for figures in results),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "speed_probe_s": probes,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
