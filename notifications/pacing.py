"""Pacing of outgoing mail to the SMTP relay's rate (``MAIL_SEND_RATE_PER_SECOND``), shared by every worker.

Each send first reserves a send time with GCRA (``accounts.gcra``: 1/rate apart, so mails leave evenly
spaced and never faster than the rate in any second, whichever worker sends them). The reservation lives in
Redis when ``REDIS_URL`` or a Redis broker is configured, otherwise in this process (enough for one worker
or the in-process development mode).

Pacing never loses mail: when Redis cannot be reached the mail is sent at once (unpaced) and a warning is
logged; the delivery itself stays once-only (``notifications.services.deliver_mail`` claims the row).
A send time further away than ``MAIL_PACING_HORIZON_SECONDS`` is not reserved (``PacingBusy``): the task
comes back later and reserves then, so a huge job does not book the relay hours ahead.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

from accounts import gcra

logger = logging.getLogger(__name__)


class PacingBusy(Exception):
    """The next free send time is further away than the horizon: try again after ``retry_in`` seconds."""

    def __init__(self, wait: float, retry_in: float) -> None:
        super().__init__(f"mail pacing: next send time in {wait:.1f}s")
        self.wait = wait
        self.retry_in = retry_in


def rate() -> float:
    """Mails per second the relay accepts; 0 or less sends unpaced."""
    return float(getattr(settings, "MAIL_SEND_RATE_PER_SECOND", 10.0))


def horizon() -> float:
    return float(getattr(settings, "MAIL_PACING_HORIZON_SECONDS", 600.0))


def redis_url() -> str:
    return gcra.redis_url("MAIL_PACING_REDIS_URL")


def backend() -> str:
    """``redis`` (shared by every worker) or ``local`` (this process only)."""
    return "redis" if redis_url() else "local"


class _LocalPacer:
    """GCRA in this process, for installations without Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat = 0.0

    def reserve(self, interval: float, max_wait: float) -> tuple[bool, float]:
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat, now)
            wait = tat - now
            if wait > max_wait:
                return False, wait
            self._tat = tat + interval
            return True, wait

    def reset(self) -> None:
        with self._lock:
            self._tat = 0.0


_local = _LocalPacer()


def reset_local() -> None:
    """Forget this process' reservations (tests)."""
    _local.reset()


def reserve(*, max_wait: float | None = None) -> float:
    """Reserve the next send time; returns the seconds to wait for it (0: send now).

    Raises PacingBusy when it is more than ``max_wait`` (default: the horizon) away. Unpaced (rate 0) and
    Redis unreachable both return 0.
    """
    per_second = rate()
    if per_second <= 0:
        return 0.0
    interval = 1.0 / per_second
    limit = horizon() if max_wait is None else max_wait
    url = redis_url()
    if url:
        try:
            reserved, wait = gcra.reserve(url, gcra.key("mail-pace"), interval=interval, max_wait=limit)
        except Exception:  # noqa: BLE001 - Redis down: send unpaced rather than hold mail back
            logger.warning("mail pacing: Redis unavailable, sending unpaced")
            return 0.0
    else:
        reserved, wait = _local.reserve(interval, limit)
    if not reserved:
        # Come back when the queue ahead has shrunk to half the horizon (spread over a few seconds).
        raise PacingBusy(wait, retry_in=max(1.0, wait - limit / 2))
    return wait
