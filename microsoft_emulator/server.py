"""The HTTP transport: a ThreadingHTTPServer in front of Emulator.handle, plus the notification dispatcher."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests

from .config import Config
from .core import Emulator
from .subscriptions import NotificationSender


def http_sender(config: Callable[[], Config]) -> NotificationSender:
    """POST over HTTP as Graph does: the validation request may take ``validation_timeout`` (10 s), a change
    notification ``notification_timeout`` (Graph expects an answer within 3 s)."""

    def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        current = config()
        timeout = current.validation_timeout if "validationToken=" in url else current.notification_timeout
        response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        return response.status_code, dict(response.headers), response.content

    return send


class _Handler(BaseHTTPRequestHandler):
    server_version = "MicrosoftEmulator/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    emulator: Emulator
    stopping: threading.Event
    quiet = True

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.emulator.handle(
            self.command, parts.path, parts.query, dict(self.headers.items()), body
        )
        if response.fault == "timeout":
            # Sit on the request past the client's timeout, then hang up without an answer.
            self._hold(self.emulator.config.timeout_seconds)
            self.close_connection = True
            return
        if response.fault == "disconnect":
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 204 or response.body:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)

    def _hold(self, seconds: float) -> None:
        """Wait up to ``seconds``, returning early when the client gives up (closes) or the server stops."""
        deadline = time.monotonic() + seconds
        while not self.stopping.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.1)
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return  # the client closed the connection
                except OSError:
                    return

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    def log_message(self, format: str, *args: object) -> None:
        if not self.quiet:
            super().log_message(format, *args)


class EmulatorServer:
    """Serve an Emulator on host:port in background threads; deliver its notifications while running."""

    def __init__(
        self,
        emulator: Emulator,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        quiet: bool = True,
        dispatch_notifications: bool = True,
    ) -> None:
        self.emulator = emulator
        if emulator.notification_sender is None:
            emulator.notification_sender = http_sender(lambda: emulator.config)
        self.stopping = threading.Event()
        handler = type(
            "Handler", (_Handler,), {"emulator": emulator, "stopping": self.stopping, "quiet": quiet}
        )
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.host, self.port = self.httpd.server_address[:2]
        self.dispatch_notifications = dispatch_notifications
        self._threads: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        serve = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        serve.start()
        self._threads.append(serve)
        background = threading.Thread(target=self._background, daemon=True)
        background.start()
        self._threads.append(background)
        return self

    def _background(self) -> None:
        """Deliver due notifications and flush the state file."""
        while not self.stopping.wait(0.25):
            if self.dispatch_notifications:
                # Keep the dispatcher alive whatever the receiver does.
                with contextlib.suppress(Exception):
                    self.emulator.deliver_notifications()
            self.emulator.save()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.emulator.save()

    def serve_forever(self) -> None:
        self.start()
        try:
            while not self.stopping.wait(1):
                pass
        finally:
            self.stop()
