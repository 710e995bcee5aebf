"""Push notifications: events.watch, the sync message, exists messages with X-Goog-* headers on every
change, retries with backoff, channels.stop, expiry, and delivery over real HTTP."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from google_emulator import Config, Emulator
from google_emulator.server import EmulatorServer
from tests.emulator_kit.helpers import START

from .helpers import EVENT_ID, HOOK, HOST_EMAIL, Receiver, google_error, insert, link

CHANNEL = "e2rpro-channel-1"


def watch(host, channel_id: str = CHANNEL, **extra):
    body = {"id": channel_id, "type": "web_hook", "address": HOOK, "token": "host=3&secret=s3cr3t", **extra}
    return host.api("POST", "/calendars/primary/events/watch", body=body)


def test_watch_answers_a_channel_and_sends_sync_first(emu, host, receiver):
    answer = watch(host)
    assert answer.status == 200
    channel = answer.json()
    assert channel["kind"] == "api#channel" and channel["id"] == CHANNEL
    assert channel["token"] == "host=3&secret=s3cr3t"
    assert (
        channel["resourceUri"] == "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json"
    )
    expected_expiry = int((START.timestamp() + 7 * 86400) * 1000)
    assert channel["expiration"] == str(expected_expiry)
    assert emu.deliver_notifications() == [("sync", 200)]
    url, body, headers = receiver.calls[0]
    assert url == HOOK and body == b""
    assert headers["X-Goog-Channel-ID"] == CHANNEL
    assert headers["X-Goog-Channel-Token"] == "host=3&secret=s3cr3t"
    assert headers["X-Goog-Resource-ID"] == channel["resourceId"]
    assert headers["X-Goog-Resource-URI"] == channel["resourceUri"]
    assert headers["X-Goog-Resource-State"] == "sync"
    assert headers["X-Goog-Message-Number"] == "1"
    assert headers["X-Goog-Channel-Expiration"].endswith(" GMT")


def test_every_change_sends_exists_with_increasing_message_numbers(emu, host, receiver):
    watch(host)
    insert(host)  # the app's own change: Google notifies it too
    emu.move_event(EVENT_ID, START.timestamp() + 86400)  # behind the app's back
    emu.delete_event(EVENT_ID)
    emu.deliver_notifications()
    assert receiver.states() == ["sync", "exists", "exists", "exists"]
    assert [h["X-Goog-Message-Number"] for _, _, h in receiver.calls] == ["1", "2", "3", "4"]


def test_a_channel_on_another_calendar_hears_nothing(emu, host, receiver):
    watch(host)
    emu.deliver_notifications()
    recruiter = link(emu, "recruiter@demo.example.com")
    insert(recruiter)
    assert emu.deliver_notifications() == []


def test_failed_deliveries_are_retried_with_backoff_and_4xx_is_not(emu, host):
    flaky = Receiver(503, 500, 200)
    emu.notification_sender = flaky
    watch(host)
    assert emu.deliver_notifications() == [("sync", 503)]
    assert emu.deliver_notifications() == []  # not due yet
    emu.advance(1)
    assert emu.deliver_notifications() == [("sync", 500)]
    emu.advance(1)
    assert emu.deliver_notifications() == []  # the second retry waits 2 s
    emu.advance(1)
    assert emu.deliver_notifications() == [("sync", 200)]
    assert emu.snapshot()["notifications"][0]["status"] == "delivered"

    refused = Receiver(404)
    emu.notification_sender = refused
    insert(host)
    assert emu.deliver_notifications() == [("exists", 404)]
    emu.advance(60)
    assert emu.deliver_notifications() == []
    assert emu.snapshot()["notifications"][-1]["status"] == "failed"


def test_unreachable_addresses_are_retried(emu, host):
    def down(url, body, headers):
        raise ConnectionError("refused")

    emu.notification_sender = down
    watch(host)
    assert emu.deliver_notifications() == [("sync", None)]
    assert emu.pending_notifications()[0]["attempts"][0]["error"].startswith("ConnectionError")


def test_stop_closes_the_channel(emu, host, receiver):
    channel = watch(host).json()
    emu.deliver_notifications()
    stopped = host.api("POST", "/channels/stop", body={"id": CHANNEL, "resourceId": channel["resourceId"]})
    assert stopped.status == 204
    insert(host)
    assert emu.deliver_notifications() == []
    again = host.api("POST", "/channels/stop", body={"id": CHANNEL, "resourceId": channel["resourceId"]})
    assert google_error(again)[:2] == (404, "notFound")


def test_channels_expire(emu, host, receiver):
    expiration = int((START.timestamp() + 1800) * 1000)
    channel = watch(host, expiration=str(expiration)).json()
    assert channel["expiration"] == str(expiration)
    emu.deliver_notifications()
    emu.advance(1801)
    assert insert(host).status == 200
    assert emu.deliver_notifications() == []
    assert watch(host).status == 200  # an expired channel's id may be used again


def test_watch_validation(emu, host, receiver):
    assert watch(host).status == 200
    duplicate = watch(host)
    assert google_error(duplicate)[:2] == (400, "channelIdNotUnique")
    assert google_error(watch(host, "other", type="email"))[:2] == (400, "invalid")
    assert google_error(watch(host, "other", address="not a url"))[:2] == (400, "invalid")
    emu.configure(require_https_notification_url=True)
    insecure = watch(host, "other", address="http://127.0.0.1:9/hook")
    assert google_error(insecure)[:2] == (400, "push.webhookUrlNotHttps")
    capped = watch(host, "later", expiration=str(int((START.timestamp() + 400 * 86400) * 1000))).json()
    assert int(capped["expiration"]) == int((START.timestamp() + 30 * 86400) * 1000)


def test_revoking_the_grant_stops_the_apps_channels(emu, host, receiver):
    watch(host)
    emu.deliver_notifications()
    emu.revoke(HOST_EMAIL)
    assert emu.channels() == []


def test_not_exists_on_demand(emu, host, receiver):
    watch(host)
    emu.notify_channel(CHANNEL, "not_exists")
    emu.deliver_notifications()
    assert receiver.states() == ["sync", "not_exists"]


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.received.append(dict(self.headers.items()) | {"_path": self.path, "_length": str(length)})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_server_posts_to_a_real_receiver():
    _Hook.received = []
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    emulator = Emulator(Config(seed=3))
    server = EmulatorServer(emulator, port=0).start().point_at_self()
    try:
        tokens = emulator.link(HOST_EMAIL)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        address = f"http://127.0.0.1:{hook.server_address[1]}/web-interview/google/notifications/"
        watched = requests.post(
            f"{server.base_url}/calendar/v3/calendars/primary/events/watch",
            json={"id": "live-1", "type": "web_hook", "address": address, "token": "t0k"},
            headers=auth,
            timeout=5,
        )
        assert watched.status_code == 200
        deadline = time.monotonic() + 5
        while len(_Hook.received) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        event = requests.post(
            f"{server.base_url}/calendar/v3/calendars/primary/events",
            json={"start": {"dateTime": "2026-12-01T10:00:00Z"}, "end": {"dateTime": "2026-12-01T11:00:00Z"}},
            headers=auth,
            timeout=5,
        ).json()
        page = requests.get(f"{server.base_url}/calendar", timeout=5)
        assert page.status_code == 200  # the sign-in page
        emulator.delete_event(event["id"])
        while len(_Hook.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
        hook.shutdown()
        hook.server_close()
    states = [h["X-Goog-Resource-State"] for h in _Hook.received]
    assert states == ["sync", "exists", "exists"]
    assert all(h["X-Goog-Channel-Token"] == "t0k" for h in _Hook.received)
    assert _Hook.received[0]["_path"] == "/web-interview/google/notifications/"
    assert _Hook.received[0]["_length"] == "0"
