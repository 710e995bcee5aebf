"""How fast this machine's CPU is right now, for reading a benchmark's figures beside other runs'.

The development machine is a shared virtual machine: the same code measured minutes apart differed by up
to 1.8x (the applicant list at 23 and at 41 ms), with nothing else running in it. ``speed_probe`` times a
fixed pure-Python workload on one core; benchmarks print it before and after their run, and the JSON
carries it, so a slow run can be told from a slower program.
"""

from __future__ import annotations

import time

PROBE_ITERATIONS = 3_000_000


def speed_probe() -> float:
    """Seconds of a fixed arithmetic loop (about 0.2 s on an idle core of the development machine)."""
    started = time.perf_counter()
    total = 0
    for number in range(PROBE_ITERATIONS):
        total += number * number % 7
    elapsed = time.perf_counter() - started
    assert total > 0  # keeps the loop's work observable
    return round(elapsed, 3)
