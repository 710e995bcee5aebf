"""Helpers for the emulator's own tests: an OAuth client speaking to a bare core, and a webhook receiver."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.emulator_kit.helpers import VERIFIER, TokenLink, api_under, code_grant, refresh_grant, send
from zoom_emulator import Emulator
from zoom_emulator.browser import approve
from zoom_emulator.oauth import pkce_challenge
from zoom_emulator.wire import Response

CALLBACK = "http://testserver/web-interview/zoom/callback/"


def basic(emu: Emulator, secret: str | None = None) -> dict[str, str]:
    raw = f"{emu.config.client_id}:{secret or emu.config.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def authorize_url(
    emu: Emulator,
    *,
    redirect_uri: str | None = CALLBACK,
    state: str = "st4te",
    verifier: str | None = VERIFIER,
    method: str | None = "S256",
    client_id: str | None = None,
) -> str:
    params = {"response_type": "code", "client_id": client_id or emu.config.client_id, "state": state}
    if redirect_uri:
        params["redirect_uri"] = redirect_uri
    if verifier is not None:
        params["code_challenge"] = pkce_challenge(verifier, method or "plain")
        if method:
            params["code_challenge_method"] = method
    return "https://zoom.us/oauth/authorize?" + urlencode(params)


def get_code(emu: Emulator, **kwargs: Any) -> str:
    email = kwargs.pop("email", emu.admin_email)
    location = approve(send(emu), authorize_url(emu, **kwargs), email=email, password="zoom-pass")
    return parse_qs(urlsplit(location).query)["code"][0]


def token_request(
    emu: Emulator, params: dict[str, str], *, headers: dict[str, str] | None = None
) -> Response:
    return emu.handle(
        "POST",
        "/oauth/token",
        "",
        {**basic(emu), "Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        urlencode(params),
    )


def exchange(emu: Emulator, code: str, *, verifier: str = VERIFIER, redirect_uri: str = CALLBACK) -> Response:
    return token_request(emu, code_grant(code, verifier=verifier, redirect_uri=redirect_uri))


def refresh(emu: Emulator, refresh_token: str) -> Response:
    return token_request(emu, refresh_grant(refresh_token))


class Link(TokenLink):
    API_PREFIX = "/v2"


api = api_under("/v2")  # api(emu, method, path, token, body=, query=, headers=)


def link(emu: Emulator) -> Link:
    return Link.from_answer(emu, exchange(emu, get_code(emu)))


INTERVIEW = {
    "topic": "一次面接（山田 太郎 様）",
    "type": 2,
    "start_time": "2026-12-01T01:00:00Z",
    "duration": 60,
    "timezone": "Asia/Tokyo",
    "agenda": "e2rpro-slot:6b7a0f0e-0000-4000-8000-000000000001",
    "default_password": True,
    "settings": {
        "join_before_host": False,
        "waiting_room": True,
        "host_video": True,
        "participant_video": True,
        "mute_upon_entry": False,
        "approval_type": 2,
        "audio": "both",
        "auto_recording": "none",
        "use_pmi": False,
    },
}


class Receiver:
    """Collects webhooks like the product's endpoint would receive them; answers with ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        self.calls.append((url, body, headers))
        return self.status, b""

    def events(self) -> list[str]:
        return [json.loads(body)["event"] for _, body, _ in self.calls]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, _ in self.calls]
