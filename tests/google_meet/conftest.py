"""Fixtures for the Google Meet tests: the Google emulator served in-process (responses), the product
pointed at it, Google Meet switched on for both companies, enabled for world.acme, and a connected host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from google_emulator import Config, Emulator, inprocess
from tests.google_meet.helpers import CALENDAR, ENABLE, OAUTH, TOKEN_URL, connect_via_views, django_sender
from tests.helpers import client_for


@pytest.fixture
def google(settings) -> Iterator[Emulator]:
    emu = Emulator(Config(seed=7))
    emu.notification_sender = django_sender
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        inprocess.install(emu, mock)
        settings.GOOGLE_CLIENT_ID = emu.config.client_id
        settings.GOOGLE_CLIENT_SECRET = emu.config.client_secret
        settings.GOOGLE_OAUTH_BASE_URL = OAUTH
        settings.GOOGLE_TOKEN_URL = TOKEN_URL
        settings.GOOGLE_CALENDAR_BASE_URL = CALENDAR
        settings.GOOGLE_HTTP_TIMEOUT = 7
        yield emu


@pytest.fixture
def google_world(world):
    for tenant in (world.acme, world.other):
        tenant.company.google_enabled = True
        tenant.company.save(update_fields=["google_enabled"])
    return world


@pytest.fixture
def enabled(google_world, google, django_capture_on_commit_callbacks):
    """world.acme's admin pressed 利用開始."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(google_world.acme.admin).post(ENABLE)
    assert response.status_code == 302
    return google_world


@pytest.fixture
def host_grant(enabled, google, django_capture_on_commit_callbacks):
    """world.acme's interviewer connected interviewer@demo.example.com (the watch channel opened)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = connect_via_views(google, client_for(enabled.acme.interviewer))
    assert response.status_code == 302, response.content.decode()[:500]
    from google_meet.models import GoogleGrant

    return GoogleGrant.objects.get(user=enabled.acme.interviewer)
