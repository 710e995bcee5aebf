"""Serve the emulator inside the test process through ``responses`` callbacks (no sockets).

OAuth and pages answer at ``base_url`` (https://zoom.us), the API at ``api_url`` (https://api.zoom.us/v2).
A "timeout" fault raises requests.exceptions.ReadTimeout from the callback, "disconnect" a ConnectionError.
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
    """Register callbacks for every Zoom origin the emulator's config names, and let loopback through."""
    origins = {_origin(emulator.config.base_url), _origin(emulator.config.api_url)}
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
            raise requests.exceptions.ReadTimeout("Read timed out. (zoom_emulator fault)", request=request)
        if response.fault == "disconnect":
            raise requests.exceptions.ConnectionError(
                "Connection aborted: RemoteDisconnected (zoom_emulator fault)", request=request
            )
        return response.status, dict(response.headers), response.body

    return callback
