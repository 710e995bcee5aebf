"""Running the same code in many threads at once, for the race tests on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def run_in_threads(count: int, target: Callable[[int], object]) -> tuple[list, list]:
    """Start ``count`` threads that call ``target(index)`` at the same moment; return (results, errors)."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results.append(target(index))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors
