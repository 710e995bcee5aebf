"""Fixtures for the emulator's own tests: a bare core with a frozen clock, linked clients and a receiver.
Plain helpers live in tests/microsoft_emulator/helpers.py."""

from __future__ import annotations

import pytest

from microsoft_emulator import Config, Emulator
from tests.emulator_kit.helpers import frozen
from tests.microsoft_emulator.helpers import Link, Receiver, link_app, link_delegated


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
def delegated(emu: Emulator) -> Link:
    return link_delegated(emu)


@pytest.fixture
def app(emu: Emulator) -> Link:
    return link_app(emu)
