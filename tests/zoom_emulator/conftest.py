"""Fixtures for the emulator's own tests: a bare core with a frozen clock, an OAuth-linked client, and a
webhook receiver. Plain helpers live in tests/zoom_emulator/helpers.py."""

from __future__ import annotations

import pytest

from tests.emulator_kit.helpers import frozen
from tests.zoom_emulator.helpers import Link, Receiver, link
from zoom_emulator import Config, Emulator


@pytest.fixture
def emu() -> Emulator:
    """A fresh in-memory emulator whose clock stands still at 2026-11-25 03:00 UTC (tests move it)."""
    return frozen(Emulator(Config(seed=7)))


@pytest.fixture
def linked(emu: Emulator) -> Link:
    return link(emu)


@pytest.fixture
def receiver(emu: Emulator) -> Receiver:
    hook = Receiver()
    emu.configure(webhook_url="http://127.0.0.1:9/zoom/webhook/")
    emu.webhook_sender = hook
    return hook
