"""Helpers for mail tests: the booking-like context's slot times, and SMTP failures to raise on demand."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime

SLOT_START = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 14:00 in Tokyo
SLOT_END = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


class FlakySMTP:
    """Makes the test mail backend raise ``errors`` in turn, then deliver normally."""

    def __init__(self) -> None:
        self.errors: list[Exception] = []
        self.calls = 0


def disconnected() -> smtplib.SMTPServerDisconnected:
    return smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def mailbox_full() -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({"taro@example.com": (550, b"5.1.1 User unknown")})
