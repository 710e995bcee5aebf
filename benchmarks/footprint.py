"""The resident memory (RSS) of the processes a benchmark starts, read after its run, before they stop,
and the CPU time each component (gunicorn workers, PostgreSQL, Redis, the benchmark's client) used in a phase.

psutil when it is installed, else Linux's /proc/<pid>/status (VmRSS) and /proc/<pid>/task/*/children.
Figures in MiB; None where a process is gone or the platform has neither. CPU time from /proc/<pid>/stat
(Linux only).
"""

from __future__ import annotations

import os
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


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User plus system CPU the process has used so far (Linux /proc/<pid>/stat), 0.0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime and stime, fields 14 and 15 of stat


def pids_named(name: str) -> list[int]:
    """Every process whose command name is ``name`` (PostgreSQL's backends, redis-server)."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                pids.append(int(comm.parent.name))
        except OSError:
            continue
    return pids


def cpu_snapshot(master_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the gunicorn workers, PostgreSQL's processes, Redis and this process
    (the benchmark's client); the difference of two snapshots is what a phase cost each of them."""
    own = os.times()
    return {
        "gunicorn_workers": sum(cpu_seconds(pid) for pid in child_pids(master_pid)),
        "postgresql": sum(cpu_seconds(pid) for pid in pids_named("postgres")),
        "redis": sum(cpu_seconds(pid) for pid in pids_named("redis-server")),
        "client": own.user + own.system,
    }


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What each component used between two snapshots, in CPU seconds."""
    return {name: round(after[name] - before[name], 2) for name in before}
