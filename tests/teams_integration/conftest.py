"""Fixtures for the Teams tests: the Microsoft emulator served in-process (responses), the product pointed
at it, Teams switched on for both companies of the shared world, and a linked connection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from microsoft_emulator import Config, Emulator, inprocess
from tests.teams_integration.helpers import GRAPH, LOGIN, django_sender, link_via_views


@pytest.fixture
def ms(settings) -> Iterator[Emulator]:
    """The Microsoft emulator at the real origins (through responses); notifications go to the Django test
    client when ``emu.deliver_notifications()`` is called (and the validation handshake at once)."""
    emu = Emulator(Config(seed=7))
    emu.notification_sender = django_sender
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        inprocess.install(emu, mock)
        settings.MICROSOFT_CLIENT_ID = emu.config.client_id
        settings.MICROSOFT_CLIENT_SECRET = emu.config.client_secret
        settings.MICROSOFT_LOGIN_BASE_URL = LOGIN
        settings.MICROSOFT_GRAPH_BASE_URL = GRAPH
        settings.MICROSOFT_HTTP_TIMEOUT = 7
        yield emu


@pytest.fixture
def teams_world(world):
    for tenant in (world.acme, world.other):
        tenant.company.teams_enabled = True
        tenant.company.save(update_fields=["teams_enabled"])
    return world


@pytest.fixture
def linked(teams_world, ms, django_capture_on_commit_callbacks):
    """world.acme linked to the emulator's 株式会社サンプル through the views (users synced)."""
    with django_capture_on_commit_callbacks(execute=True):
        link_via_views(ms, teams_world.acme.admin)
    from teams_integration.models import TeamsConnection

    return TeamsConnection.objects.get(company=teams_world.acme.company)
