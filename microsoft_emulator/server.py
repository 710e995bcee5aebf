"""The HTTP transport (``emulator_kit.server``) in front of Emulator.handle, plus the notification
dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from emulator_kit.server import BaseEmulatorServer

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


class EmulatorServer(BaseEmulatorServer):
    """Serve an Emulator on host:port in background threads; deliver its notifications while running."""

    server_version = "MicrosoftEmulator/1.0"
    emulator: Emulator

    def __init__(self, emulator: Emulator, *, dispatch_notifications: bool = True, **options: Any) -> None:
        """``options``: host (127.0.0.1), port (0: any free one), quiet (True)."""
        if emulator.notification_sender is None:
            emulator.notification_sender = http_sender(lambda: emulator.config)
        super().__init__(emulator, **options)
        self.dispatch_notifications = dispatch_notifications

    def deliver(self) -> None:
        """Deliver due notifications."""
        if self.dispatch_notifications:
            self.emulator.deliver_notifications()
