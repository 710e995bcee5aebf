"""pytest plugin: the local Zoom emulator (zoom_emulator/) for the product's tests.

Registered in tests/conftest.py (``pytest_plugins = ["tests.plugins.zoom_emulator"]``).
Two fixtures, one handle:

``zoom_emulator``
    The real emulator logic served in-process through ``responses`` callbacks: OAuth at
    https://zoom.us/oauth/..., the API at https://api.zoom.us/v2/... (loopback URLs pass through).
    Sets ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, ZOOM_WEBHOOK_SECRET_TOKEN, ZOOM_OAUTH_BASE_URL=https://zoom.us,
    ZOOM_API_BASE_URL=https://api.zoom.us/v2. A "timeout" fault raises requests.exceptions.ReadTimeout from
    the callback; "disconnect" a requests.exceptions.ConnectionError.
    ``emu.mock`` is the active responses.RequestsMock (add other mocked URLs to it; do not nest another one).

``zoom_emulator_server``
    The same emulator as a real HTTP server on a free loopback port in a thread (for thread/race tests on
    PostgreSQL and e2e tests). Sets ZOOM_OAUTH_BASE_URL=http://127.0.0.1:<port> and
    ZOOM_API_BASE_URL=http://127.0.0.1:<port>/v2; ``emu.base_url`` is that origin. A "timeout" fault holds the
    connection for ``timeout_seconds`` (default 30; configure it above your client timeout) then hangs up.

Handle API (both fixtures):
    emu.client_id / emu.client_secret / emu.webhook_secret_token / emu.account_id / emu.admin_email
    emu.approve(authorize_url, *, email=None, deny=False, password="zoom-pass") -> str
        Opens authorize_url, signs in as ``email`` (default: the Zoom admin) and clicks Allow (or Deny).
        Returns the redirect URL: redirect_uri?code=...&state=... or
        redirect_uri?error=access_denied&state=...
        Raises zoom_emulator.browser.ApprovalError when Zoom would show an error page instead (unknown
        client_id, redirect_uri not allowed, a non-admin or inactive user, wrong password).
    emu.remove_app() -> None
        Marketplace → Manage → Added Apps → Remove: revokes every token and sends app_deauthorized (delivered
        before this returns).
    emu.delete_meeting_in_zoom(meeting_id) -> None
    emu.move_meeting_in_zoom(meeting_id, start_time: datetime, *, timezone=None, duration=None) -> None
        Changes behind the product's back; meeting.deleted / meeting.updated are delivered before returning.
    emu.set_user_status(email_or_id, "inactive" | "active") -> None     deactivate a Zoom user behind our back
    emu.state() -> dict            same JSON as GET /_emulator/state (meetings, installations, request_counts,
                                   rate_limited_counts, fault_counts, daily_counts, webhooks, config, ...)
    emu.configure(**options) -> dict   same options as POST /_emulator/config (zoom_emulator.config.Config):
        latency, plan ("pro" | "business" | "free"), rate_limits={"light":..,"medium":..,"heavy":..},
        daily_limit, daily_limit_retry_after, scopes (granted at the next authorization),
        access_token_lifetime, refresh_token_lifetime, code_lifetime, refresh_revokes_old_access_token,
        api_change_webhooks, webhook_url, webhook_retry_schedule, timeout_seconds, seed, redirect_uris,
        faults=[{"group": "api" | "oauth" | "token" | "refresh" | "meeting_writes" | "create_meeting" | ...,
                 "mode": "status" | "html" | "timeout" | "disconnect" | "latency",
                 "status": 503 or [500, 502, 503], "rate": 1.0, "times": None, "after": False, "seconds": 0}],
        error_rate / timeout_rate / html_error_rate (shortcuts: that share of API calls fails).
        "after": True makes the action take effect before the answer is lost (a created meeting whose answer
        times out; a refresh that rotates the token but never answers).
    emu.set_clock(datetime, *, frozen=False) / emu.advance(seconds)
        The emulator's "now" (token/code/ZAK expiry, the daily limit's 00:00 UTC reset, per-second windows,
        webhook timestamps and retries). frozen=True stops it (deterministic per-second tests).
    emu.meetings() -> list[dict]   all meetings in the account (API shape, no start_url, agenda included)
    emu.requests -> list[RecordedRequest(method, path, query: dict, headers, body: bytes)]: the OAuth token /
        revoke and API calls the product made (.json() / .form() parse the body); emu.clear_requests().
    emu.webhook_responses -> list of (event, status code or None) of every delivery attempt
    emu.deliver_webhooks() -> list[(event, status)]
        Deliver queued webhooks now. Events the product triggers itself (app_deauthorized after /oauth/revoke,
        meeting events when api_change_webhooks=True, retries after emu.advance()) wait for this call, because
        delivering them inside the product's own outgoing request would re-enter the product mid-transaction.
    emu.pending_webhooks() -> list[dict]
    emu.validate_webhook_url() -> bool     send endpoint.url_validation now; a failure stops deliveries
    emu.reset()                    seeded account, start-up config, real-time clock
    emu.core                       the zoom_emulator.core.Emulator itself

Webhooks go, signed exactly as Zoom signs them, to ``webhook_url`` (default http://testserver/zoom/webhook/):
through django.test.Client (exact raw body and headers) for http://testserver/..., over HTTP otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
from django.test import Client

from zoom_emulator import inprocess
from zoom_emulator.browser import approve as browser_approve
from zoom_emulator.config import Config
from zoom_emulator.core import Emulator
from zoom_emulator.seed import USER_PASSWORD
from zoom_emulator.server import EmulatorServer, http_sender
from zoom_emulator.wire import RecordedRequest

TEST_WEBHOOK_URL = "http://testserver/zoom/webhook/"


def webhook_sender(timeout: float):
    """Deliver to the Django test client for http://testserver/..., over HTTP for anything else."""
    over_http = http_sender(timeout)

    def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        parts = urlsplit(url)
        if parts.hostname != "testserver":
            return over_http(url, body, headers)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        response = Client().generic(
            "POST", path, data=body, content_type=headers["Content-Type"], headers=extra
        )
        return response.status_code, response.content

    return send


class ZoomEmulatorHandle:
    """What the fixtures yield. See the module docstring for the API."""

    def __init__(self, core: Emulator, *, send: Any, base_url: str | None = None, mock: Any = None) -> None:
        self.core = core
        self._send = send
        self.base_url = base_url
        self.mock = mock
        self._deliver_lock = threading.Lock()

    # identities
    @property
    def client_id(self) -> str:
        return self.core.config.client_id

    @property
    def client_secret(self) -> str:
        return self.core.config.client_secret

    @property
    def webhook_secret_token(self) -> str:
        return self.core.config.webhook_secret_token

    @property
    def account_id(self) -> str:
        return self.core.account_id

    @property
    def admin_email(self) -> str:
        return self.core.admin_email

    # the browser side
    def approve(
        self,
        authorize_url: str,
        *,
        email: str | None = None,
        deny: bool = False,
        password: str = USER_PASSWORD,
    ) -> str:
        return browser_approve(
            self._send, authorize_url, email=email or self.admin_email, password=password, deny=deny
        )

    # behind the product's back
    def remove_app(self) -> None:
        self.core.remove_app()
        self.deliver_webhooks()

    def delete_meeting_in_zoom(self, meeting_id: int | str) -> None:
        self.core.delete_meeting(meeting_id)
        self.deliver_webhooks()

    def move_meeting_in_zoom(
        self,
        meeting_id: int | str,
        start_time: datetime,
        *,
        timezone: str | None = None,
        duration: int | None = None,
    ) -> None:
        self.core.move_meeting(meeting_id, start_time, timezone=timezone, duration=duration)
        self.deliver_webhooks()

    def set_user_status(self, user: str, status: str) -> None:
        self.core.set_user_status(user, status)

    # inspection and control
    def state(self) -> dict[str, Any]:
        return self.core.snapshot()

    def configure(self, **options: Any) -> dict[str, Any]:
        return self.core.configure(**options)

    def set_clock(self, when: datetime, *, frozen: bool = False) -> None:
        self.core.set_clock(when, frozen=frozen)

    def advance(self, seconds: float) -> None:
        self.core.advance(seconds)

    def meetings(self) -> list[dict[str, Any]]:
        return self.core.meetings()

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.core.recorded

    def clear_requests(self) -> None:
        self.core.recorded.clear()

    @property
    def webhook_responses(self) -> list[tuple[str, int | None]]:
        return self.core.webhook_log

    def deliver_webhooks(self) -> list[tuple[str, int | None]]:
        with self._deliver_lock:
            return self.core.deliver_webhooks(raise_errors=True)

    def pending_webhooks(self) -> list[dict[str, Any]]:
        return self.core.pending_webhooks()

    def validate_webhook_url(self) -> bool:
        return self.core.validate_webhook_endpoint()

    def reset(self) -> None:
        self.core.reset()


def _core_send(core: Emulator):
    def send(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes):
        return tuple(core.handle(method, path, query, headers, body))

    return send


def _http_send(base_url: str):
    def send(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes):
        url = f"{base_url}{path}" + (f"?{query}" if query else "")
        response = requests.request(
            method, url, headers=dict(headers), data=body, allow_redirects=False, timeout=10
        )
        return response.status_code, dict(response.headers), response.content

    return send


def _point_product_at(settings: Any, core: Emulator, *, oauth_base: str, api_base: str) -> None:
    settings.ZOOM_CLIENT_ID = core.config.client_id
    settings.ZOOM_CLIENT_SECRET = core.config.client_secret
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = core.config.webhook_secret_token
    settings.ZOOM_OAUTH_BASE_URL = oauth_base
    settings.ZOOM_API_BASE_URL = api_base


@pytest.fixture
def zoom_emulator(settings) -> Iterator[ZoomEmulatorHandle]:
    """The emulator in-process, through responses (see the module docstring)."""
    config = Config(base_url="https://zoom.us", api_url="https://api.zoom.us", webhook_url=TEST_WEBHOOK_URL)
    core = Emulator(config, webhook_sender=webhook_sender(config.webhook_timeout))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        inprocess.install(core, mock)
        _point_product_at(settings, core, oauth_base="https://zoom.us", api_base="https://api.zoom.us/v2")
        yield ZoomEmulatorHandle(core, send=_core_send(core), mock=mock)


@pytest.fixture
def zoom_emulator_server(settings) -> Iterator[ZoomEmulatorHandle]:
    """The emulator as a real HTTP server on a free loopback port (see the module docstring)."""
    config = Config(webhook_url=TEST_WEBHOOK_URL)
    core = Emulator(config, webhook_sender=webhook_sender(config.webhook_timeout))
    server = EmulatorServer(core, host="127.0.0.1", port=0)
    for target in (core.config, core.initial_config):
        target.base_url = server.base_url
        target.api_url = server.base_url
    server.start()
    try:
        _point_product_at(settings, core, oauth_base=server.base_url, api_base=f"{server.base_url}/v2")
        yield ZoomEmulatorHandle(core, send=_http_send(server.base_url), base_url=server.base_url)
    finally:
        server.stop()
