"""The HTTP server: real sockets, 204 without a body, timeouts, hang-ups, concurrent refreshes, webhooks."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.emulator_kit.helpers import http_send
from zoom_emulator import Config, Emulator
from zoom_emulator.browser import approve
from zoom_emulator.oauth import pkce_challenge
from zoom_emulator.server import EmulatorServer
from zoom_emulator.webhooks import signature

from .helpers import CALLBACK, INTERVIEW, VERIFIER


@pytest.fixture
def server():
    emulator = Emulator(Config(timeout_seconds=30))
    running = EmulatorServer(emulator, port=0).start()
    for config in (emulator.config, emulator.initial_config):
        config.base_url = config.api_url = running.base_url
    yield running
    running.stop()


def link_over_http(server) -> dict:
    base = server.base_url
    url = (
        f"{base}/oauth/authorize?response_type=code&client_id=e2rpro-demo-client&state=s"
        f"&redirect_uri={CALLBACK}&code_challenge={pkce_challenge(VERIFIER)}&code_challenge_method=S256"
    )
    location = approve(http_send(base), url, email="zoom-admin@sample.example.com", password="zoom-pass")
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = requests.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
        },
        auth=("e2rpro-demo-client", "e2rpro-demo-secret"),
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()


def test_full_flow_over_a_real_socket(server):
    tokens = link_over_http(server)
    assert tokens["api_url"] == server.base_url
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    created = requests.post(
        f"{server.base_url}/v2/users/me/meetings", json=INTERVIEW, headers=auth, timeout=5
    )
    assert created.status_code == 201
    meeting = created.json()
    assert meeting["join_url"].startswith(f"{server.base_url}/j/{meeting['id']}?pwd=")
    patched = requests.patch(
        f"{server.base_url}/v2/meetings/{meeting['id']}", json={"duration": 30}, headers=auth, timeout=5
    )
    assert (patched.status_code, patched.content) == (204, b"")
    join = requests.get(meeting["join_url"], timeout=5)
    assert join.status_code == 200
    assert "text/html" in join.headers["Content-Type"]
    state = requests.get(f"{server.base_url}/_emulator/state", timeout=5).json()
    assert state["request_counts"]["update_meeting"] == 1


def test_timeout_fault_holds_the_connection_past_the_clients_timeout(server):
    server.emulator.configure(faults=[{"group": "api", "mode": "timeout"}])
    threads_before = threading.active_count()
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{server.base_url}/v2/users", timeout=0.5)
    assert time.monotonic() - started < 2
    # The server notices the client hung up and frees its thread instead of sleeping 30 seconds.
    deadline = time.monotonic() + 2
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= threads_before


def test_disconnect_fault_hangs_up_without_an_answer(server):
    server.emulator.configure(faults=[{"group": "api", "mode": "disconnect"}])
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{server.base_url}/v2/users", timeout=5)


def test_concurrent_refreshes_with_one_token_leave_exactly_one_winner(server):
    tokens = link_over_http(server)

    def refresh(_):
        return requests.post(
            f"{server.base_url}/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=("e2rpro-demo-client", "e2rpro-demo-secret"),
            timeout=5,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(refresh, range(8)))
    assert sorted(statuses) == [200] + [400] * 7


def test_concurrent_creates_get_distinct_ids(server):
    server.emulator.configure(rate_limits={"medium": 1000})
    tokens = link_over_http(server)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}

    def create(_):
        return requests.post(
            f"{server.base_url}/v2/users/me/meetings", json=INTERVIEW, headers=auth, timeout=5
        ).json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, range(24)))
    assert len(set(ids)) == 24


class _Hook(BaseHTTPRequestHandler):
    received: list

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_background_dispatcher_delivers_signed_webhooks_over_http(server):
    received: list = []
    hook = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Hook,), {"received": received}))
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        server.emulator.configure(webhook_url=f"http://127.0.0.1:{hook.server_address[1]}/zoom/webhook/")
        link_over_http(server)
        requests.post(f"{server.base_url}/_emulator/remove_app", timeout=5)
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        hook.shutdown()
        hook.server_close()
    body, headers = received[0]
    assert json.loads(body)["event"] == "app_deauthorized"
    assert headers["x-zm-signature"] == signature(
        "e2rpro-demo-webhook-token", headers["x-zm-request-timestamp"], body
    )
