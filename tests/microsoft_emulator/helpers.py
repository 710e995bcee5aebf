"""Helpers for the emulator's own tests: OAuth clients talking to a bare core, and a notification receiver."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from microsoft_emulator import Emulator
from microsoft_emulator.browser import approve
from microsoft_emulator.identity import pkce_challenge
from microsoft_emulator.seed import TENANT_ID, USER_PASSWORD
from microsoft_emulator.wire import Response
from tests.emulator_kit.helpers import VERIFIER, TokenLink, api_under, code_grant, refresh_grant, send

CALLBACK = "http://testserver/web-interview/teams/callback/"
CONSENT_CALLBACK = "http://testserver/web-interview/teams/admin-consent/"
SCOPES = "openid profile offline_access User.Read Calendars.ReadWrite OnlineMeetings.ReadWrite"
RECRUITER = "7c1e0b5a-0002-4f3a-9a11-a0a0a0a00002"
INTERVIEWER = "7c1e0b5a-0003-4f3a-9a11-a0a0a0a00003"
HOOK = "http://127.0.0.1:9/teams/notifications/"
LIFECYCLE_HOOK = "http://127.0.0.1:9/teams/lifecycle/"


def authorize_url(
    emu: Emulator,
    *,
    tenant: str = "organizations",
    redirect_uri: str = CALLBACK,
    state: str = "st4te",
    verifier: str | None = VERIFIER,
    method: str | None = "S256",
    scope: str = SCOPES,
    client_id: str | None = None,
    prompt: str | None = None,
) -> str:
    params = {
        "client_id": client_id or emu.config.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
    }
    if verifier is not None:
        params["code_challenge"] = pkce_challenge(verifier, method or "plain")
        if method:
            params["code_challenge_method"] = method
    if prompt:
        params["prompt"] = prompt
    return f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize?" + urlencode(params)


def admin_consent_url(emu: Emulator, *, tenant: str = "organizations", state: str = "c0nsent") -> str:
    params = {
        "client_id": emu.config.client_id,
        "scope": "https://graph.microsoft.com/.default",
        "redirect_uri": CONSENT_CALLBACK,
        "state": state,
    }
    return f"https://login.microsoftonline.com/{tenant}/v2.0/adminconsent?" + urlencode(params)


def browse(emu: Emulator, url: str, *, email: str | None = None, deny: bool = False) -> dict[str, list[str]]:
    """Approve (or deny) ``url`` as ``email`` (default: the Global Administrator); the redirect's query."""
    location = approve(send(emu), url, email=email or emu.admin_email, password=USER_PASSWORD, deny=deny)
    return parse_qs(urlsplit(location).query)


def get_code(emu: Emulator, **kwargs: Any) -> str:
    email = kwargs.pop("email", None)
    return browse(emu, authorize_url(emu, **kwargs), email=email)["code"][0]


def token_request(emu: Emulator, params: dict[str, str], *, tenant: str = "organizations") -> Response:
    body = {"client_id": emu.config.client_id, "client_secret": emu.config.client_secret, **params}
    return emu.handle(
        "POST",
        f"/{tenant}/oauth2/v2.0/token",
        "",
        {"Content-Type": "application/x-www-form-urlencoded"},
        urlencode(body),
    )


def exchange(emu: Emulator, code: str, *, verifier: str = VERIFIER, redirect_uri: str = CALLBACK) -> Response:
    return token_request(emu, code_grant(code, verifier=verifier, redirect_uri=redirect_uri))


def refresh(emu: Emulator, refresh_token: str) -> Response:
    return token_request(emu, refresh_grant(refresh_token))


def client_credentials(emu: Emulator, *, tenant: str = TENANT_ID, scope: str | None = None) -> Response:
    return token_request(
        emu,
        {"grant_type": "client_credentials", "scope": scope or "https://graph.microsoft.com/.default"},
        tenant=tenant,
    )


class Link(TokenLink):
    API_PREFIX = "/v1.0"


api = api_under("/v1.0")  # api(emu, method, path, token, body=, query=, headers=)


def link_delegated(emu: Emulator) -> Link:
    return Link.from_answer(emu, exchange(emu, get_code(emu)))


def link_app(emu: Emulator) -> Link:
    """Admin consent through the prompt, then a client-credentials token."""
    assert browse(emu, admin_consent_url(emu))["admin_consent"] == ["True"]
    return Link.from_answer(emu, client_credentials(emu))


INTERVIEW = {
    "subject": "一次面接（山田 太郎 様）",
    "body": {"contentType": "html", "content": "<p>e2rpro-slot:6b7a0f0e</p>"},
    "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "Tokyo Standard Time"},
    "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "Tokyo Standard Time"},
    "location": {"displayName": "オンライン"},
    "attendees": [
        {"emailAddress": {"address": "yamada@example.com", "name": "山田 太郎"}, "type": "required"}
    ],
    "isOnlineMeeting": True,
    "onlineMeetingProvider": "teamsForBusiness",
    "transactionId": "e2rpro-slot-6b7a0f0e-0000-4000-8000-000000000001",
}


def subscription_body(user: str = INTERVIEWER, **extra: Any) -> dict[str, Any]:
    return {
        "changeType": "created,updated,deleted",
        "notificationUrl": HOOK,
        "lifecycleNotificationUrl": LIFECYCLE_HOOK,
        "resource": f"/users/{user}/events",
        "expirationDateTime": "2026-11-27T03:00:00Z",
        "clientState": "s3cr3t-client-state",
        **extra,
    }


class Receiver:
    """The product's notification endpoint as Graph sees it: echoes validationToken (text/plain) unless told
    otherwise, answers notifications with ``status`` (202 by default)."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.validation: str = "echo"  # "echo" | "wrong" | "json" | "500" | "timeout"
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []
        self.validations: list[str] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        query = parse_qs(urlsplit(url).query)
        if "validationToken" in query:
            self.validations.append(url)
            token = query["validationToken"][0]
            if self.validation == "timeout":
                raise TimeoutError("Read timed out.")
            if self.validation == "500":
                return 500, {}, b""
            if self.validation == "json":
                return 200, {"Content-Type": "application/json"}, json.dumps(token).encode()
            answer = token if self.validation == "echo" else token[:-1]
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, answer.encode()
        self.calls.append((url, body, headers))
        return self.status, {}, b""

    def items(self, url: str | None = None) -> list[dict[str, Any]]:
        return [
            item for u, body, _ in self.calls if url is None or u == url for item in json.loads(body)["value"]
        ]
