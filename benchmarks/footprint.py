"""The resident memory (RSS) of the processes a benchmark starts, read after its run, before they stop.

psutil when it is installed, else Linux's /proc/<pid>/status (VmRSS) and /proc/<pid>/task/*/children.
Figures in MiB; None where a process is gone or the platform has neither.
"""

from __future__ import annotations

from pathlib import Path

try:
    import psutil
except ImportError:  # not a dependency: /proc does the same on Linux
    psutil = None


def rss_mib(pid: int) -> float | None:
    """The process's resident set size in MiB."""
    if psutil is not None:
        try:
            return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
        except psutil.Error:
            return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)  # kB
    return None


def child_pids(pid: int) -> list[int]:
    """The process's direct children (a gunicorn master's workers, a prefork Celery's pool)."""
    if psutil is not None:
        try:
            return [child.pid for child in psutil.Process(pid).children()]
        except psutil.Error:
            return []
    pids: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids.extend(int(value) for value in children.read_text().split())
        except OSError:
            continue
    return pids


def gunicorn_footprint(master_pid: int) -> dict:
    """RSS of each gunicorn worker (the master's children) and the largest, plus the master's."""
    workers = [size for size in (rss_mib(pid) for pid in child_pids(master_pid)) if size is not None]
    return {
        "gunicorn_worker_rss_mib": max(workers) if workers else None,
        "gunicorn_workers_rss_mib": sorted(workers),
        "gunicorn_master_rss_mib": rss_mib(master_pid),
    }


def celery_footprint(worker_pid: int) -> dict:
    """RSS of a Celery worker: the process itself (a threads pool runs in it) and its largest child (a
    prefork pool's process, or the embedded beat's)."""
    children = [size for size in (rss_mib(pid) for pid in child_pids(worker_pid)) if size is not None]
    return {
        "celery_worker_rss_mib": rss_mib(worker_pid),
        "celery_child_rss_mib": max(children) if children else None,
    }
