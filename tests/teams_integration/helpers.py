"""Helpers for the Teams tests: the origins, the browser walk through sign-in and consent, and the
notification sender that delivers Graph's POSTs to the Django test client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.test import Client
from django.urls import reverse

from microsoft_emulator import Emulator
from microsoft_emulator.browser import approve
from microsoft_emulator.seed import USER_PASSWORD
from tests.helpers import client_for

LOGIN = "https://login.microsoftonline.com"
GRAPH = "https://graph.microsoft.com/v1.0"
TEAMS = reverse("teams_integration:teams")
AUTHORIZE = reverse("teams_integration:authorize")
NOTIFY = reverse("teams_notifications:notifications")
LIFECYCLE = reverse("teams_notifications:lifecycle")
INTERVIEWER_ID = "7c1e0b5a-0003-4f3a-9a11-a0a0a0a00003"  # interviewer@demo.example.com in the emulator
SEEDED_USERS = 5


def browser(emu: Emulator):
    return lambda method, path, query, headers, body: tuple(emu.handle(method, path, query, headers, body))


def walk(emu: Emulator, url: str, *, email: str | None = None, deny: bool = False) -> str:
    """Sign in at the emulator and accept (or cancel) the prompt; the path + query back at the product."""
    location = approve(browser(emu), url, email=email or emu.admin_email, password=USER_PASSWORD, deny=deny)
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver", location
    return f"{parts.path}?{parts.query}"


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def link_via_views(emu: Emulator, admin, *, http: Client | None = None):
    """認可開始 → sign-in → callback → admin consent → back at the site; the final response."""
    http = http or client_for(admin)
    sign_in = http.post(AUTHORIZE)["Location"]
    to_consent = http.get(walk(emu, sign_in))
    assert to_consent.status_code == 302, to_consent.content.decode()[:500]
    return http.get(walk(emu, to_consent["Location"]), follow=True)


def django_sender(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Graph's POSTs (validation handshake and notifications) to the Django test client."""
    parts = urlsplit(url)
    assert parts.hostname == "testserver", url
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = Client().generic(
        "POST", path, data=body, content_type=headers.get("Content-Type", "application/json")
    )
    return response.status_code, {"Content-Type": response.get("Content-Type", "")}, response.content
