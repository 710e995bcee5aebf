"""Helpers for the Google Meet tests: the browser walk through Google's sign-in and consent pages, and the
push sender that delivers Google's messages to the Django test client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.test import Client
from django.urls import reverse

from google_emulator import Emulator
from google_emulator.browser import approve
from google_emulator.seed import USER_PASSWORD

OAUTH = "https://accounts.google.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"
CALENDAR = "https://www.googleapis.com/calendar/v3"
PAGE = reverse("google_meet:google")
CONNECT = reverse("google_meet:connect")
AUTHORIZE = reverse("google_meet:authorize")
ENABLE = reverse("google_meet:enable")
NOTIFY = reverse("google_notifications:notifications")
HOST_EMAIL = "interviewer@demo.example.com"
RECRUITER_EMAIL = "recruiter@demo.example.com"


def browser(emu: Emulator):
    return lambda method, path, query, headers, body: tuple(emu.handle(method, path, query, headers, body))


def walk(emu: Emulator, url: str, *, email: str = HOST_EMAIL, deny: bool = False) -> str:
    """Sign in at the emulator and allow (or cancel); the path + query back at the product."""
    location = approve(browser(emu), url, email=email, password=USER_PASSWORD, deny=deny)
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver", location
    return f"{parts.path}?{parts.query}"


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def connect_via_views(emu: Emulator, http: Client, *, email: str = HOST_EMAIL, deny: bool = False):
    """Googleアカウントを連携 → sign-in → consent → callback; the callback's response."""
    location = http.post(AUTHORIZE)["Location"]
    return http.get(walk(emu, location, email=email, deny=deny))


def django_sender(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Google's push messages to the Django test client."""
    parts = urlsplit(url)
    assert parts.hostname == "testserver", url
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    response = Client().generic("POST", parts.path, data=body, content_type="application/json", **extra)
    return response.status_code, {}, response.content
