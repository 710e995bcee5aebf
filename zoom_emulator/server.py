"""The HTTP transport (``emulator_kit.server``) in front of Emulator.handle, plus the webhook dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from emulator_kit.server import BaseEmulatorServer

from .core import Emulator


def http_sender(timeout: float) -> Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]:
    """Deliver a webhook over HTTP (what Zoom does); answers slower than ``timeout`` count as failures."""

    def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        return response.status_code, response.content

    return send


class EmulatorServer(BaseEmulatorServer):
    """Serve an Emulator on host:port in background threads; deliver its webhooks while running."""

    server_version = "ZoomEmulator/1.0"
    emulator: Emulator

    def __init__(self, emulator: Emulator, *, dispatch_webhooks: bool = True, **options: Any) -> None:
        """``options``: host (127.0.0.1), port (0: any free one), quiet (True)."""
        super().__init__(emulator, **options)
        self.dispatch_webhooks = dispatch_webhooks

    def deliver(self) -> None:
        """Deliver due webhooks when a real URL is configured."""
        if self.dispatch_webhooks and _deliverable(self.emulator.config.webhook_url):
            self.emulator.deliver_webhooks(http_sender(self.emulator.config.webhook_timeout))


def _deliverable(url: str | None) -> bool:
    """Only real HTTP receivers: http://testserver/ is the Django test client's, which the fixtures use."""
    return bool(url) and urlsplit(url).hostname not in (None, "testserver")
