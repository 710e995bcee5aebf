"""Transport-neutral request and response objects, and the small helpers every emulator handler uses.

The vendor-shaped pieces (error bodies, the JSON content type, date formats) stay in each emulator's
``wire`` module, which re-exports these.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode

from requests.structures import CaseInsensitiveDict


class RecordedRequest(NamedTuple):
    """One request the product sent (for asserting the outgoing request in tests)."""

    method: str
    path: str
    query: dict[str, str]
    headers: CaseInsensitiveDict
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: CaseInsensitiveDict
    body: bytes = b""

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        query: str | Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        body: bytes | str | None,
    ) -> Request:
        if isinstance(query, str):
            parsed = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        else:
            parsed = {k: str(v) for k, v in (query or {}).items()}
        if isinstance(body, str):
            body = body.encode()
        return cls(method.upper(), path or "/", parsed, CaseInsensitiveDict(headers or {}), body or b"")

    def form(self) -> dict[str, str]:
        """Body parameters of an application/x-www-form-urlencoded request."""
        if not self.body or "json" in self.headers.get("content-type", ""):
            return {}
        try:
            text = self.body.decode()
        except UnicodeDecodeError:
            return {}
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}

    def json(self) -> Any:
        """The JSON body, or None when it is not JSON."""
        try:
            return json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header is just no cookie
            return {}
        return {key: morsel.value for key, morsel in jar.items()}


@dataclass
class Response:
    """An answer. ``fault`` tells the transport to time out or hang up instead of answering.
    ``then`` is work to finish outside the emulator's lock (Graph's subscription validation handshake); the
    transport-neutral ``Emulator.handle`` runs it and answers with what it returns."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None  # "timeout" | "disconnect"
    then: Callable[[], Response] | None = None

    def __iter__(self) -> Iterator[Any]:
        yield self.status
        yield self.headers
        yield self.body

    def json(self) -> Any:
        return json.loads(self.body)


def dumps(obj: Any) -> str:
    """Compact JSON with non-ASCII kept as UTF-8, the way both vendors serialize."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def json_response(
    status: int, obj: Any, headers: Mapping[str, str] | None = None, *, content_type: str
) -> Response:
    """A JSON answer with the vendor's exact ``content_type`` (each emulator's ``wire`` fixes it)."""
    out = {"Content-Type": content_type}
    out.update(headers or {})
    return Response(status, out, dumps(obj).encode())


def empty(status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, dict(headers or {}), b"")


def html_response(status: int, html: str, headers: Mapping[str, str] | None = None) -> Response:
    out = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
    out.update(headers or {})
    return Response(status, out, html.encode())


def redirect(location: str, headers: Mapping[str, str] | None = None) -> Response:
    out = {"Location": location, "Cache-Control": "no-store"}
    out.update(headers or {})
    return Response(302, out, b"")


def with_query(url: str, params: Mapping[str, str | None]) -> str:
    clean = {k: v for k, v in params.items() if v is not None}
    return f"{url}{'&' if '?' in url else '?'}{urlencode(clean)}" if clean else url


def iso_z(ts: float) -> str:
    """Unix seconds → 2026-12-01T01:00:00Z (how both vendors write times in their answers)."""
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_hash(token: str) -> str:
    """Tokens are kept by their SHA-256 only (the state file never holds a usable token)."""
    return hashlib.sha256(token.encode()).hexdigest()
