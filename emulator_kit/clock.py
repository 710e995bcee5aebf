"""A settable emulated clock: real time by default, settable and advanceable so tests can cross 00:00 UTC."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Emulated "now" in Unix seconds. ``set`` moves it (running on from there, or frozen); ``advance``
    adds to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen: float | None = None

    def now(self) -> float:
        with self._lock:
            return self._frozen if self._frozen is not None else time.time() + self._offset

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def set(self, when: datetime | float, *, frozen: bool = False) -> None:
        """Make ``when`` the current time. A naive datetime is taken as UTC."""
        target = _to_timestamp(when)
        with self._lock:
            if frozen:
                self._frozen = target
            else:
                self._frozen = None
                self._offset = target - time.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen = None

    @property
    def frozen(self) -> bool:
        return self._frozen is not None


def _to_timestamp(when: datetime | float) -> float:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    return float(when)
