"""Scheduling tests pace Zoom calls at a rate that never makes them wait.

The shared fixtures (fake_zoom, linked, zoom_event, fast_pacing) are in tests/plugins/scheduling.py."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_pacing(fast_pacing):
    return fast_pacing
