"""Zoom's wire details on top of the shared request/response objects (``emulator_kit.wire``): its JSON
content type, error bodies and millisecond timestamps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from emulator_kit import wire as kit
from emulator_kit.wire import RecordedRequest, Request, Response

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


def json_response(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Response:
    return kit.json_response(status, obj, headers, content_type=JSON_CONTENT_TYPE)


def api_error(status: int, code: int, message: str, **extra: Any) -> Response:
    return json_response(status, {"code": code, "message": message, **extra})


def oauth_error(reason: str, error: str, status: int = 400) -> Response:
    return json_response(status, {"reason": reason, "error": error})


def iso_ms_z(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


__all__ = [
    "JSON_CONTENT_TYPE",
    "RecordedRequest",
    "Request",
    "Response",
    "api_error",
    "iso_ms_z",
    "json_response",
    "oauth_error",
]
