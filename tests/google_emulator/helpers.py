"""Helpers for the Google emulator's tests: the OAuth dance against a bare core, Calendar calls and a push
receiver."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from emulator_kit.oauth import pkce_challenge
from google_emulator import Emulator
from google_emulator.browser import approve
from google_emulator.seed import USER_PASSWORD
from google_emulator.wire import Response
from tests.emulator_kit.helpers import VERIFIER, TokenLink, code_grant, refresh_grant, send

CALLBACK = "http://testserver/web-interview/google/callback/"
SCOPES = "openid email profile https://www.googleapis.com/auth/calendar.events"
HOST_EMAIL = "interviewer@demo.example.com"
HOOK = "https://e2rpro.example.com/web-interview/google/notifications/"
EVENT_ID = "e2rpro0slot0000000000000001"


def authorize_url(
    emu: Emulator,
    *,
    redirect_uri: str = CALLBACK,
    state: str = "st4te",
    verifier: str | None = VERIFIER,
    scope: str = SCOPES,
    client_id: str | None = None,
    prompt: str | None = "consent",
    access_type: str | None = "offline",
    login_hint: str | None = None,
    **extra: str,
) -> str:
    params = {
        "client_id": client_id or emu.config.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": scope,
        "state": state,
    }
    if verifier is not None:
        params.update(code_challenge=pkce_challenge(verifier), code_challenge_method="S256")
    for key, value in (("prompt", prompt), ("access_type", access_type), ("login_hint", login_hint)):
        if value:
            params[key] = value
    params.update(extra)
    return "https://accounts.google.com/o/oauth2/v2/auth?" + urlencode(params)


def browse(emu: Emulator, url: str, *, email: str = HOST_EMAIL, deny: bool = False) -> dict[str, list[str]]:
    location = approve(send(emu), url, email=email, password=USER_PASSWORD, deny=deny)
    return parse_qs(urlsplit(location).query)


def get_code(emu: Emulator, *, email: str = HOST_EMAIL, **kwargs: Any) -> str:
    return browse(emu, authorize_url(emu, **kwargs), email=email)["code"][0]


def token_request(emu: Emulator, params: dict[str, str]) -> Response:
    body = {"client_id": emu.config.client_id, "client_secret": emu.config.client_secret, **params}
    return emu.handle(
        "POST", "/token", "", {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(body)
    )


def exchange(emu: Emulator, code: str, *, verifier: str = VERIFIER, redirect_uri: str = CALLBACK) -> Response:
    return token_request(emu, code_grant(code, verifier=verifier, redirect_uri=redirect_uri))


def refresh(emu: Emulator, refresh_token: str) -> Response:
    return token_request(emu, refresh_grant(refresh_token))


class Link(TokenLink):
    API_PREFIX = "/calendar/v3"


def link(emu: Emulator, email: str = HOST_EMAIL) -> Link:
    return Link.from_answer(emu, exchange(emu, get_code(emu, email=email)))


def interview(event_id: str | None = EVENT_ID, *, request_id: str = "slot-1-meet", **extra: Any) -> dict:
    body: dict[str, Any] = {
        "summary": "一次面接（山田 太郎 様）",
        "description": "e2rpro-slot:1",
        "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "Asia/Tokyo"},
        "attendees": [{"email": "yamada@example.com", "displayName": "山田 太郎"}],
        "conferenceData": {
            "createRequest": {"requestId": request_id, "conferenceSolutionKey": {"type": "hangoutsMeet"}}
        },
        **extra,
    }
    if event_id:
        body["id"] = event_id
    return body


def insert(host: Link, body: dict | None = None, **query: str) -> Response:
    return host.api(
        "POST",
        "/calendars/primary/events",
        body=body if body is not None else interview(),
        query={"conferenceDataVersion": "1", **query},
    )


def google_error(response: Response) -> tuple[int, str, str]:
    """(code, reason, domain) of a Google API error answer, checking its shape."""
    error = response.json()["error"]
    assert set(error) == {"code", "message", "errors", "status"}, error
    assert error["code"] == response.status
    item = error["errors"][0]
    return error["code"], item["reason"], item["domain"]


class Receiver:
    """The product's push endpoint as Google sees it: answers ``statuses`` in turn (then the last one)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses) or [200]
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.calls.append((url, body, headers))
        status = self.statuses[min(len(self.calls) - 1, len(self.statuses) - 1)]
        return status, {}, b""

    def states(self) -> list[str]:
        return [h["X-Goog-Resource-State"] for _, _, h in self.calls]
