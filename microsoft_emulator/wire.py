"""Graph's wire details on top of the shared request/response objects (``emulator_kit.wire``): its JSON
content type, error body and 7-digit ISO timestamps."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from emulator_kit import wire as kit
from emulator_kit.wire import RecordedRequest, Request, Response

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def json_response(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Response:
    return kit.json_response(status, obj, headers, content_type=JSON_CONTENT_TYPE)


def graph_error(
    status: int,
    code: str,
    message: str,
    *,
    now: float,
    client_request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Graph's error body: {"error": {"code", "message", "innerError": {"date", "request-id", ...}}}.
    https://learn.microsoft.com/graph/errors"""
    request_id = str(uuid.uuid4())
    inner = {
        "date": iso_seconds(now),
        "request-id": request_id,
        "client-request-id": client_request_id or request_id,
    }
    out = {"request-id": request_id, "client-request-id": inner["client-request-id"]}
    out.update(headers or {})
    return json_response(status, {"error": {"code": code, "message": message, "innerError": inner}}, out)


def iso_seconds(ts: float) -> str:
    """2026-12-01T01:00:00 (no zone: Graph's innerError.date)."""
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def iso_7z(ts: float) -> str:
    """Unix seconds → 2026-12-01T01:00:00.0000000Z (Graph's createdDateTime, subscription expiry)."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0Z"


def parse_iso(value: Any) -> float:
    """An ISO 8601 date-time with Z or an offset (up to 7 fractional digits, as Graph writes) → Unix
    seconds."""
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"not a date-time: {value!r}")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    text = _trim_fraction(text)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _trim_fraction(text: str) -> str:
    """Python reads at most 6 fractional digits; Graph writes 7."""
    if "." not in text:
        return text
    head, _, rest = text.partition(".")
    digits = ""
    for char in rest:
        if not char.isdigit():
            break
        digits += char
    return f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"


__all__ = [
    "JSON_CONTENT_TYPE",
    "RecordedRequest",
    "Request",
    "Response",
    "graph_error",
    "iso_7z",
    "iso_seconds",
    "json_response",
    "parse_iso",
]
