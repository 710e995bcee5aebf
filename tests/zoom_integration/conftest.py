"""Fixtures for the Zoom link tests: Zoom settings, a `responses` mock of Zoom, a linked connection.

Canned Zoom answers and the settings' values live in tests/zoom_integration/helpers.py.
"""

from __future__ import annotations

import pytest
import responses

from tests.zoom_integration.factories import ZoomConnectionFactory
from tests.zoom_integration.helpers import API, CLIENT_ID, CLIENT_SECRET, OAUTH, WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def zoom_settings(settings):
    settings.ZOOM_CLIENT_ID = CLIENT_ID
    settings.ZOOM_CLIENT_SECRET = CLIENT_SECRET
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = WEBHOOK_SECRET
    settings.ZOOM_OAUTH_BASE_URL = OAUTH
    settings.ZOOM_API_BASE_URL = API
    settings.ZOOM_HTTP_TIMEOUT = 7
    return settings


@pytest.fixture
def zoom_http():
    """Zoom mocked with `responses`: an unregistered request fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def connection(world):
    """world.acme's linked connection (access token "at-initial", refresh token "rt-initial")."""
    return ZoomConnectionFactory(company=world.acme.company, zoom_account_id="AcmeAcct01")
