"""Serve the emulator inside the test process through ``responses`` callbacks (no sockets).

Sign-in answers at ``accounts_url`` (https://accounts.google.com), the token and revoke endpoints at
``oauth2_url`` (https://oauth2.googleapis.com), the Calendar API and userinfo at ``api_url``
(https://www.googleapis.com), the join pages at ``meet_url``. A "timeout" fault raises
requests.exceptions.ReadTimeout from the callback, "disconnect" a ConnectionError. (``responses`` patches
``requests`` only: google-api-python-client, which speaks httplib2, needs the HTTP server.)
"""

from __future__ import annotations

import responses

from emulator_kit import inprocess as kit
from emulator_kit.inprocess import LOOPBACK, METHODS

from .core import Emulator


def install(emulator: Emulator, mock: responses.RequestsMock) -> None:
    """Register callbacks for every Google origin the emulator's config names; let loopback through."""
    config = emulator.config
    kit.install(
        emulator,
        mock,
        [config.accounts_url, config.oauth2_url, config.api_url, config.meet_url],
        name="google_emulator",
    )


__all__ = ["LOOPBACK", "METHODS", "install"]
