"""Fixtures for the Google emulator's own tests: a bare core with a frozen clock, a linked user and a push
receiver. Plain helpers live in tests/google_emulator/helpers.py."""

from __future__ import annotations

import pytest

from google_emulator import Config, Emulator
from tests.emulator_kit.helpers import frozen
from tests.google_emulator.helpers import Link, Receiver, link


@pytest.fixture
def emu() -> Emulator:
    """A fresh in-memory emulator whose clock stands still at 2026-11-25 03:00 UTC (tests move it)."""
    return frozen(Emulator(Config(seed=7)))


@pytest.fixture
def receiver(emu: Emulator) -> Receiver:
    hook = Receiver()
    emu.notification_sender = hook
    return hook


@pytest.fixture
def host(emu: Emulator) -> Link:
    """interviewer@demo.example.com, linked through the sign-in and consent pages with offline access."""
    return link(emu)
