"""The HTTP server: real sockets, the validation handshake over HTTP (the subscriber may call back into the
emulator while it answers), the background notification dispatcher, timeouts and hang-ups."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from microsoft_emulator import Config, Emulator
from microsoft_emulator.browser import approve
from microsoft_emulator.seed import TENANT_ID, USER_PASSWORD
from microsoft_emulator.server import EmulatorServer
from tests.emulator_kit.helpers import http_send

from .helpers import CONSENT_CALLBACK, INTERVIEW, INTERVIEWER


@pytest.fixture
def server():
    emulator = Emulator(Config(timeout_seconds=30, notification_retry_schedule=[0.1]))
    running = EmulatorServer(emulator, port=0).start()
    for config in (emulator.config, emulator.initial_config):
        config.login_url = config.graph_url = config.teams_url = running.base_url
    yield running
    running.stop()


class _Hook(BaseHTTPRequestHandler):
    received: list
    emulator_base: str
    delay: float = 0.0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        query = parse_qs(urlsplit(self.path).query)
        if "validationToken" in query:
            # A subscriber may look something up in Graph before it answers: the emulator must not block.
            requests.get(f"{self.emulator_base}/_emulator/state", timeout=5)
            time.sleep(self.delay)
            answer = query["validationToken"][0].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        self.received.append((self.path, json.loads(body)))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook(server):
    received: list = []
    handler = type("H", (_Hook,), {"received": received, "emulator_base": server.base_url})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.received = received
    httpd.handler = handler
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/teams/notifications/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def app_token(server) -> str:
    base = server.base_url
    url = (
        f"{base}/organizations/v2.0/adminconsent?client_id={server.emulator.config.client_id}"
        f"&scope=https://graph.microsoft.com/.default&redirect_uri={CONSENT_CALLBACK}&state=s"
    )
    location = approve(http_send(base), url, email=server.emulator.admin_email, password=USER_PASSWORD)
    assert parse_qs(urlsplit(location).query)["admin_consent"] == ["True"]
    answer = requests.post(
        f"{base}/{TENANT_ID}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": server.emulator.config.client_id,
            "client_secret": server.emulator.config.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=5,
    )
    assert answer.status_code == 200
    return answer.json()["access_token"]


def test_subscribe_over_http_then_a_move_is_delivered_in_the_background(server, hook):
    auth = {"Authorization": f"Bearer {app_token(server)}"}
    base = server.base_url
    created = requests.post(
        f"{base}/v1.0/subscriptions",
        json={
            "changeType": "updated,deleted",
            "notificationUrl": hook.url,
            "resource": f"/users/{INTERVIEWER}/events",
            "expirationDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)),
            "clientState": "cs-1",
        },
        headers=auth,
        timeout=15,
    )
    assert created.status_code == 201, created.text
    event = requests.post(
        f"{base}/v1.0/users/{INTERVIEWER}/events", json=INTERVIEW, headers=auth, timeout=5
    ).json()
    moved = requests.post(
        f"{base}/_emulator/events/{event['id']}/move", json={"start": "2026-12-01T06:00:00Z"}, timeout=5
    )
    assert moved.status_code == 200
    deadline = time.monotonic() + 5
    while not hook.received and time.monotonic() < deadline:
        time.sleep(0.05)
    [(_path, body)] = hook.received
    item = body["value"][0]
    assert (item["changeType"], item["clientState"], item["resourceData"]["id"]) == (
        "updated",
        "cs-1",
        event["id"],
    )
    deleted = requests.delete(
        f"{base}/v1.0/users/{INTERVIEWER}/events/{event['id']}", headers=auth, timeout=5
    )
    assert (deleted.status_code, deleted.content) == (204, b"")


def test_a_validation_answer_slower_than_the_timeout_fails_the_create(server, hook):
    server.emulator.configure(validation_timeout=0.3)
    hook.handler.delay = 1.0
    response = requests.post(
        f"{server.base_url}/v1.0/subscriptions",
        json={
            "changeType": "updated",
            "notificationUrl": hook.url,
            "resource": f"/users/{INTERVIEWER}/events",
            "expirationDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)),
        },
        headers={"Authorization": f"Bearer {app_token(server)}"},
        timeout=15,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ValidationError"


def test_timeout_fault_holds_the_connection_and_disconnect_hangs_up(server):
    server.emulator.configure(faults=[{"group": "list_users", "mode": "timeout"}])
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{server.base_url}/v1.0/users", timeout=0.5)
    assert time.monotonic() - started < 2
    server.emulator.configure(faults=[{"group": "list_users", "mode": "disconnect"}])
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{server.base_url}/v1.0/users", timeout=5)
