"""A Celery worker with cProfile on CPU time (time.thread_time): each pool thread's tasks, and the main thread
(the consumer: messages, acks). ``issuance.py --profile DIR`` starts its workers through this; at the
worker's shutdown the profiles are written to DIR/worker<N>-tasks.prof and DIR/worker<N>-main.prof
(read them with ``python -m pstats``). cProfile's own overhead roughly doubles the CPU per task; compare
profiles with profiles, and the benchmark's figures with runs without --profile.

    python benchmarks/profiled_worker.py <prefix> -A e2rpro worker ...   (the celery command's arguments)
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time
from pathlib import Path

from celery import signals

PREFIX = sys.argv.pop(1)
_local = threading.local()
_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()
_main = cProfile.Profile(time.thread_time)


@signals.worker_init.connect
def _start_main(**_kwargs) -> None:
    _main.enable()


@signals.task_prerun.connect
def _start_task(**_kwargs) -> None:
    profile = getattr(_local, "profile", None)
    if profile is None:
        profile = _local.profile = cProfile.Profile(time.thread_time)
        with _lock:
            _profiles.append(profile)
    profile.enable()


@signals.task_postrun.connect
def _stop_task(**_kwargs) -> None:
    _local.profile.disable()


@signals.worker_shutdown.connect
def _write(**_kwargs) -> None:
    _main.disable()
    _main.dump_stats(f"{PREFIX}-main.prof")
    with _lock:
        profiles = list(_profiles)
    if profiles:
        merged = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            merged.add(profile)
        merged.dump_stats(f"{PREFIX}-tasks.prof")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from celery.__main__ import main

    sys.argv = ["celery", *sys.argv[1:]]
    main()
