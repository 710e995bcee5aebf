"""The HTTP transport (``emulator_kit.server``) in front of Emulator.handle, plus the push-notification
dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from emulator_kit.server import BaseEmulatorServer

from .channels import NotificationSender
from .config import Config
from .core import Emulator


def http_sender(config: Callable[[], Config]) -> NotificationSender:
    """POST over HTTP as Google does (an empty body; the message is in the X-Goog-* headers)."""

    def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        response = requests.post(
            url, data=body, headers=headers, timeout=config().notification_timeout, allow_redirects=False
        )
        return response.status_code, dict(response.headers), response.content

    return send


class EmulatorServer(BaseEmulatorServer):
    """Serve an Emulator on host:port in background threads; deliver its push notifications while running."""

    server_version = "GoogleEmulator/1.0"
    emulator: Emulator

    def __init__(self, emulator: Emulator, *, dispatch_notifications: bool = True, **options: Any) -> None:
        """``options``: host (127.0.0.1), port (0: any free one), quiet (True)."""
        if emulator.notification_sender is None:
            emulator.notification_sender = http_sender(lambda: emulator.config)
        super().__init__(emulator, **options)
        self.dispatch_notifications = dispatch_notifications

    def point_at_self(self) -> EmulatorServer:
        """Make every origin the emulator names (sign-in, token, API, Meet) this server's base URL."""
        for config in (self.emulator.config, self.emulator.initial_config):
            config.accounts_url = config.oauth2_url = config.api_url = config.meet_url = self.base_url
        return self

    def deliver(self) -> None:
        if self.dispatch_notifications:
            self.emulator.deliver_notifications()
