"""The HTTP transport: a ThreadingHTTPServer in front of an emulator's ``handle``, with a background loop
for the vendor's outgoing deliveries (webhooks, change notifications) and the state file.

An emulator served here provides ``handle(method, path, query, headers, body) -> Response``,
``config.timeout_seconds`` (how long a "timeout" fault sits on the request) and ``save()``.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit


class EmulatorHandler(BaseHTTPRequestHandler):
    """One request: hand it to ``emulator.handle`` and write the answer, or act out its fault."""

    server_version = "Emulator/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    emulator: Any
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


class BaseEmulatorServer:
    """Serve an emulator on host:port in background threads. Every 0.25 s the background loop calls
    ``deliver()`` (the vendor's outgoing requests; subclasses override it) and flushes the state file."""

    server_version = "Emulator/1.0"

    def __init__(self, emulator: Any, *, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> None:
        self.emulator = emulator
        self.stopping = threading.Event()
        handler = type(
            "Handler",
            (EmulatorHandler,),
            {
                "emulator": emulator,
                "stopping": self.stopping,
                "quiet": quiet,
                "server_version": self.server_version,
            },
        )
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.host, self.port = self.httpd.server_address[:2]
        self._threads: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        serve = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        serve.start()
        self._threads.append(serve)
        background = threading.Thread(target=self._background, daemon=True)
        background.start()
        self._threads.append(background)
        return self

    def deliver(self) -> None:
        """Send what the emulator has due (webhooks, notifications). Exceptions are swallowed by the loop."""

    def _background(self) -> None:
        while not self.stopping.wait(0.25):
            with contextlib.suppress(Exception):  # keep the dispatcher alive whatever the receiver does
                self.deliver()
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
