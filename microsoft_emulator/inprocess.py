"""Serve the emulator inside the test process through ``responses`` callbacks (no sockets).

Sign-in and tokens answer at ``login_url`` (https://login.microsoftonline.com), Graph at ``graph_url``
(https://graph.microsoft.com/v1.0), the join pages at ``teams_url``. A "timeout" fault raises
requests.exceptions.ReadTimeout from the callback, "disconnect" a ConnectionError. (``responses`` patches
``requests`` only: msgraph-sdk, which speaks httpx, needs the HTTP server.)
"""

from __future__ import annotations

import responses

from emulator_kit import inprocess as kit
from emulator_kit.inprocess import LOOPBACK, METHODS

from .core import Emulator


def install(emulator: Emulator, mock: responses.RequestsMock) -> None:
    """Register callbacks for every Microsoft origin the emulator's config names; let loopback through."""
    config = emulator.config
    kit.install(
        emulator, mock, [config.login_url, config.graph_url, config.teams_url], name="microsoft_emulator"
    )


__all__ = ["LOOPBACK", "METHODS", "install"]
