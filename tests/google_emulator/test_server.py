"""The HTTP server: faults acted out on the wire (a held request, a hang-up), latency, and the pages over a
real socket."""

from __future__ import annotations

import time

import pytest
import requests

from google_emulator import Config, Emulator
from google_emulator.server import EmulatorServer

from .helpers import HOST_EMAIL


@pytest.fixture
def served():
    emulator = Emulator(Config(seed=9, timeout_seconds=2))
    server = EmulatorServer(emulator, port=0, dispatch_notifications=False).start().point_at_self()
    tokens = emulator.link(HOST_EMAIL)
    yield server, {"Authorization": f"Bearer {tokens['access_token']}"}
    server.stop()


def test_timeout_and_disconnect_faults_on_the_wire(served):
    server, auth = served
    url = f"{server.base_url}/calendar/v3/calendars/primary/events"
    server.emulator.configure(faults=[{"group": "list_events", "mode": "timeout", "times": 1}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, headers=auth, timeout=0.5)
    server.emulator.configure(faults=[{"group": "list_events", "mode": "disconnect", "times": 1}])
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, headers=auth, timeout=2)
    assert requests.get(url, headers=auth, timeout=2).status_code == 200


def test_latency_and_quota_over_http(served):
    server, auth = served
    url = f"{server.base_url}/calendar/v3/calendars/primary/events"
    server.emulator.configure(latency=0.3, user_quota=1, user_quota_status=429)
    started = time.monotonic()
    assert requests.get(url, headers=auth, timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3
    limited = requests.get(url, headers=auth, timeout=5)
    assert limited.status_code == 429
    assert limited.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert limited.headers["Content-Type"] == "application/json; charset=UTF-8"


def test_pages_over_http(served):
    server, _ = served
    home = requests.get(f"{server.base_url}/", timeout=5)
    assert home.status_code == 200 and "Google エミュレーター" in home.text
    calendar = requests.get(f"{server.base_url}/calendar", timeout=5, allow_redirects=False)
    assert calendar.status_code == 302 and calendar.headers["Location"].startswith("/signin?next=")
    assert requests.get(f"{server.base_url}/_emulator", timeout=5).status_code == 200
