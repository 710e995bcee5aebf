"""Reading a vendor's HTTP answers, shared by the service clients (each ``client.py`` still makes its own
calls): the JSON object of a body, Retry-After as a moment, and the claims of a token the token endpoint
handed us over TLS (identification only; nothing is authorized on them alone)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol


class Answer(Protocol):
    headers: Any

    def json(self) -> Any: ...


def json_object(response: Answer) -> dict[str, Any]:
    """The body's JSON object, or {} when it is not one."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def retry_after(response: Answer, *, now: datetime | None = None) -> datetime | None:
    """Retry-After as an aware UTC datetime: seconds or an HTTP date; None when absent or unreadable."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    now = now or datetime.now(UTC)
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT (unverified: it came straight from the vendor's token endpoint)."""
    parts = token.split(".")
    if len(parts) < 2:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}
