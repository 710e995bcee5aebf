"""Test helpers both emulators' suites use: the frozen start time, transports for the scripted browser
(in-process and over HTTP), JSON API calls against a bare core, the OAuth grant bodies, and starting
``python -m <emulator>`` as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import urlencode

import requests

from emulator_kit.wire import Response

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
START = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def frozen(emulator: Any) -> Any:
    """The emulator with its clock standing still at START (2026-11-25 03:00 UTC; tests move it)."""
    emulator.set_clock(START, frozen=True)
    return emulator


def send(emu: Any):
    """The browser transport of a bare core: (method, path, query, headers, body) → (status, headers,
    body)."""
    return lambda method, path, query, headers, body: tuple(emu.handle(method, path, query, headers, body))


def http_send(base: str):
    """The browser transport over HTTP to a running server at ``base``."""

    def send(method, path, query, headers, body):
        r = requests.request(
            method,
            f"{base}{path}?{query}",
            headers=dict(headers),
            data=body,
            allow_redirects=False,
            timeout=5,
        )
        return r.status_code, dict(r.headers), r.content

    return send


def code_grant(code: str, *, verifier: str, redirect_uri: str) -> dict[str, str]:
    """The token request body of the authorization-code grant (with its PKCE verifier)."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }


def refresh_grant(refresh_token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token}


def api_call(
    emu: Any,
    method: str,
    path: str,
    token: str,
    *,
    body: Any = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A bearer-authenticated call with a JSON body (when given) to the full ``path``."""
    sent = {"Authorization": f"Bearer {token}", **(headers or {})}
    raw = b""
    if body is not None:
        sent["Content-Type"] = "application/json"
        raw = json.dumps(body, ensure_ascii=False).encode()
    return emu.handle(method, path, urlencode(query or {}), sent, raw)


def api_under(prefix: str) -> Callable[..., Response]:
    """``api(emu, method, path, token, **options)`` for paths below ``prefix`` (/v2, /v1.0)."""

    def api(emu: Any, method: str, path: str, token: str, **options: Any) -> Response:
        return api_call(emu, method, f"{prefix}{path}", token, **options)

    return api


@dataclass
class TokenLink:
    """An app linked to the emulator: the token answer it holds; ``api`` calls below ``API_PREFIX``."""

    API_PREFIX: ClassVar[str] = ""
    emu: Any
    tokens: dict[str, Any]

    @property
    def access_token(self) -> str:
        return self.tokens["access_token"]

    @classmethod
    def from_answer(cls, emu: Any, response: Response) -> Self:
        """The link a successful token answer makes (asserting it succeeded)."""
        assert response.status == 200, response.body
        return cls(emu, response.json())

    def api(self, method: str, path: str, **options: Any) -> Response:
        """``options``: body (sent as JSON), query, headers."""
        return api_call(self.emu, method, f"{self.API_PREFIX}{path}", self.access_token, **options)


# ---- python -m <emulator> -----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_cli(module: str, *args: str) -> tuple[subprocess.Popen, str, str]:
    """Run ``python -m module --port <free> *args``; return the process, its base URL and the first two
    banner lines, once it answers (or after 10 s)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    banner = process.stdout.readline() + process.stdout.readline()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/_emulator/config", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    return process, base, banner


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)


def run_cli(module: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``python -m module *args`` to completion (for flags it refuses)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=20
    )
