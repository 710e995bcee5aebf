"""Serve the emulator inside the test process through ``responses`` callbacks (no sockets).

OAuth and pages answer at ``base_url`` (https://zoom.us), the API at ``api_url`` (https://api.zoom.us/v2).
A "timeout" fault raises requests.exceptions.ReadTimeout from the callback, "disconnect" a ConnectionError.
"""

from __future__ import annotations

import responses

from emulator_kit import inprocess as kit
from emulator_kit.inprocess import LOOPBACK, METHODS

from .core import Emulator


def install(emulator: Emulator, mock: responses.RequestsMock) -> None:
    """Register callbacks for every Zoom origin the emulator's config names, and let loopback through."""
    kit.install(emulator, mock, [emulator.config.base_url, emulator.config.api_url], name="zoom_emulator")


__all__ = ["LOOPBACK", "METHODS", "install"]
