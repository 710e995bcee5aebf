"""Google's wire details on top of the shared request/response objects (``emulator_kit.wire``): the JSON
content type, the API error body, the OAuth error body and RFC 3339 times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulator_kit import wire as kit
from emulator_kit.wire import RecordedRequest, Request, Response

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def json_response(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Response:
    return kit.json_response(status, obj, headers, content_type=JSON_CONTENT_TYPE)


def api_error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    top_message: str | None = None,
    extra: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Google's JSON API error: {"error": {"code", "message", "errors": [{"domain", "reason", "message"}],
    "status"}} (https://cloud.google.com/apis/design/errors, Calendar's "Handle API errors")."""
    item: dict[str, Any] = {"domain": domain, "reason": reason, "message": message}
    item.update(extra or {})
    body = {
        "error": {
            "code": status,
            "message": top_message or message,
            "errors": [item],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return json_response(status, body, headers)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """The token / revoke endpoints' error: {"error", "error_description"}."""
    return json_response(status, {"error": error, "error_description": description})


def rfc3339_ms(ts: float) -> str:
    """Unix seconds → 2026-11-25T03:00:00.000Z (created / updated)."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_rfc3339(value: Any) -> float:
    """An RFC 3339 date-time with Z or an offset → Unix seconds (ValueError without a zone)."""
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"not a date-time: {value!r}")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("a time zone offset is required")
    return parsed.timestamp()


def format_offset(ts: float, zone_name: str) -> str:
    """Unix seconds → 2026-12-01T10:00:00+09:00 in ``zone_name`` (Z for UTC)."""
    tz = zone(zone_name) or UTC
    dt = datetime.fromtimestamp(ts, tz=tz)
    if dt.utcoffset() == timedelta(0):
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.isoformat(timespec="seconds")


def http_date(ts: float) -> str:
    """Unix seconds → Tue, 01 Dec 2026 01:00:00 GMT (X-Goog-Channel-Expiration)."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


__all__ = [
    "JSON_CONTENT_TYPE",
    "RecordedRequest",
    "Request",
    "Response",
    "api_error",
    "format_offset",
    "http_date",
    "json_response",
    "oauth_error",
    "parse_rfc3339",
    "rfc3339_ms",
    "zone",
]
