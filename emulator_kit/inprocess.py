"""Serve an emulator inside the test process through ``responses`` callbacks (no sockets).

A "timeout" fault raises requests.exceptions.ReadTimeout from the callback, "disconnect" a ConnectionError.
(``responses`` patches ``requests`` only: clients that speak httpx need the HTTP server.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
import responses

LOOPBACK = re.compile(r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)")
METHODS = ("GET", "POST", "PATCH", "DELETE", "PUT")


def install(emulator: Any, mock: responses.RequestsMock, urls: Iterable[str], *, name: str) -> None:
    """Register callbacks for every origin of ``urls`` (the vendor origins the emulator's config names) and
    let loopback through. ``name`` labels the exceptions a fault raises."""
    origins = {origin(url) for url in urls}
    for found in sorted(origins):
        pattern = re.compile("^" + re.escape(found) + r"(/.*)?$")
        for method in METHODS:
            mock.add_callback(method, pattern, callback=_callback(emulator, name), content_type=None)
    mock.add_passthru(LOOPBACK)


def origin(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _callback(emulator: Any, name: str) -> Callable[[requests.PreparedRequest], tuple[int, dict, bytes]]:
    def callback(request: requests.PreparedRequest) -> tuple[int, dict, bytes]:
        parts = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        response = emulator.handle(request.method, parts.path, parts.query, dict(request.headers), body)
        if response.fault == "timeout":
            raise requests.exceptions.ReadTimeout(f"Read timed out. ({name} fault)", request=request)
        if response.fault == "disconnect":
            raise requests.exceptions.ConnectionError(
                f"Connection aborted: RemoteDisconnected ({name} fault)", request=request
            )
        return response.status, dict(response.headers), response.body

    return callback
