"""The outbox of an emulator's outgoing deliveries (Zoom webhooks, Graph change notifications): queueing,
picking what is due, the delivery loop, and the retry bookkeeping. Items are plain dicts in
``state["outbox"]`` so they persist with the state file; each has at least ``id``, ``event`` and ``body``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

KEEP_FINISHED = 200  # delivered / failed items kept for the dashboard and the tests


def queue(outbox: list[dict[str, Any]], item: dict[str, Any], now: float) -> dict[str, Any]:
    """Append ``item`` as pending (due now), dropping the oldest finished items beyond KEEP_FINISHED."""
    item.update(created_at=now, attempts=[], status="pending", next_attempt_at=now, in_flight=False)
    outbox.append(item)
    done = [w for w in outbox if w["status"] != "pending"]
    for old in done[: max(len(done) - KEEP_FINISHED, 0)]:
        outbox.remove(old)
    return item


def take_due(outbox: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    """The pending items whose next attempt is due, marked in flight (call under the emulator's lock)."""
    due = [
        w for w in outbox if w["status"] == "pending" and not w["in_flight"] and w["next_attempt_at"] <= now
    ]
    for item in due:
        item["in_flight"] = True
    return due


def deliver_each(
    items: list[dict[str, Any]],
    send: Callable[[dict[str, Any]], int | None],
    finish: Callable[[dict[str, Any], int | None, str | None], None],
    *,
    raise_errors: bool = False,
) -> list[tuple[str, int | None]]:
    """Send each item once (outside the lock) and ``finish(item, status, error)`` it; returns (event, status
    or None) per attempt. With ``raise_errors`` the first exception from ``send`` is re-raised after the
    batch (tests: a crash in the receiving view)."""
    results = []
    first_error: Exception | None = None
    for item in items:
        status: int | None = None
        error = None
        try:
            status = send(item)
        except Exception as exc:  # noqa: BLE001 - any failure to deliver is a failed attempt
            error = f"{type(exc).__name__}: {exc}"
            first_error = first_error or exc
        finish(item, status, error)
        results.append((item["event"], status))
    if raise_errors and first_error is not None:
        raise first_error
    return results


def record_attempt(
    item: dict[str, Any],
    status: int | None,
    error: str | None,
    *,
    now: float,
    delivered: bool,
    retries: Sequence[float],
) -> None:
    """Note one attempt: ``delivered``, or retried after ``retries[n-1]`` seconds, or failed once the
    schedule is spent."""
    item["in_flight"] = False
    item["attempts"].append({"at": now, "status": status, "error": error})
    if delivered:
        item["status"] = "delivered"
        return
    attempt = len(item["attempts"])
    if attempt > len(retries):
        item["status"] = "failed"
    else:
        item["next_attempt_at"] = now + float(retries[attempt - 1])


def attempts_view(item: dict[str, Any], fmt: Callable[[float], str]) -> list[dict[str, Any]]:
    """The attempts of an item for /_emulator/state, times written with ``fmt``."""
    return [{"at": fmt(a["at"]), "status": a["status"], "error": a["error"]} for a in item["attempts"]]
