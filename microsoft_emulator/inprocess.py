"""Serve the emulator inside the test process through ``responses`` callbacks (no sockets).

Sign-in and tokens answer at ``login_url`` (https://login.microsoftonline.com), Graph at ``graph_url``
(https://graph.microsoft.com/v1.0), the join pages at ``teams_url``. A "timeout" fault raises
requests.exceptions.ReadTimeout from the callback, "disconnect" a ConnectionError. (``responses`` patches
``requests`` only: msgraph-sdk, which speaks httpx, needs the HTTP server.)
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
import responses

from .core import Emulator

LOOPBACK = re.compile(r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)")
METHODS = ("GET", "POST", "PATCH", "DELETE", "PUT")


def install(emulator: Emulator, mock: responses.RequestsMock) -> None:
    """Register callbacks for every Microsoft origin the emulator's config names; let loopback through."""
    origins = {
        _origin(emulator.config.login_url),
        _origin(emulator.config.graph_url),
        _origin(emulator.config.teams_url),
    }
    for origin in sorted(origins):
        pattern = re.compile("^" + re.escape(origin) + r"(/.*)?$")
        for method in METHODS:
            mock.add_callback(method, pattern, callback=_callback(emulator), content_type=None)
    mock.add_passthru(LOOPBACK)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _callback(emulator: Emulator):
    def callback(request: requests.PreparedRequest):
        parts = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        response = emulator.handle(request.method, parts.path, parts.query, dict(request.headers), body)
        if response.fault == "timeout":
            raise requests.exceptions.ReadTimeout(
                "Read timed out. (microsoft_emulator fault)", request=request
            )
        if response.fault == "disconnect":
            raise requests.exceptions.ConnectionError(
                "Connection aborted: RemoteDisconnected (microsoft_emulator fault)", request=request
            )
        return response.status, dict(response.headers), response.body

    return callback
