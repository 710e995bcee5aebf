"""gunicorn hooks for ``booking_rush.py --profile``: each worker runs the POSTs (the bookings) under cProfile
and writes its statistics to BOOKING_RUSH_PROFILE_DIR when it exits; the benchmark merges and prints them."""

from __future__ import annotations

import cProfile
import os
from typing import Any


def post_worker_init(worker: Any) -> None:
    app = worker.wsgi
    profiler = cProfile.Profile()

    def profiled(environ: dict, start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        profiler.enable()
        try:
            return app(environ, start_response)
        finally:
            profiler.disable()

    worker.wsgi = profiled
    worker.booking_rush_profiler = profiler


def worker_exit(server: Any, worker: Any) -> None:
    profiler = getattr(worker, "booking_rush_profiler", None)
    if profiler is not None:
        profiler.dump_stats(os.path.join(os.environ["BOOKING_RUSH_PROFILE_DIR"], f"worker-{worker.pid}.prof"))
