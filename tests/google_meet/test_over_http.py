"""The provider over real HTTP against the emulator's server (no responses mock): the client's requests,
timeouts and JSON handling as in production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Company
from google_emulator import Config, Emulator
from google_emulator.server import EmulatorServer
from google_meet.models import GoogleGrant, GoogleMeetLink
from web_meetings.crypto import encrypt_token
from web_meetings.errors import NotFound, ReauthorizationRequired
from web_meetings.providers import MeetingSpec, provider_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(settings):
    emu = Emulator(Config(seed=7))
    running = EmulatorServer(emu, port=0).start().point_at_self()
    base = running.base_url.rstrip("/")
    settings.GOOGLE_CLIENT_ID = emu.config.client_id
    settings.GOOGLE_CLIENT_SECRET = emu.config.client_secret
    settings.GOOGLE_OAUTH_BASE_URL = base
    settings.GOOGLE_TOKEN_URL = f"{base}/token"
    settings.GOOGLE_CALENDAR_BASE_URL = f"{base}/calendar/v3"
    settings.GOOGLE_HTTP_TIMEOUT = 5
    yield emu
    running.stop()


def test_create_twice_get_patch_delete_and_revoke_over_http(server, world):
    company: Company = world.acme.company
    company.google_enabled = True
    company.save(update_fields=["google_enabled"])
    GoogleMeetLink.objects.create(company=company, status="linked")
    answer = server.link("interviewer@demo.example.com")
    grant = GoogleGrant.objects.create(
        company=company,
        user=world.acme.interviewer,
        google_email="interviewer@demo.example.com",
        refresh_token_encrypted=encrypt_token(answer["refresh_token"]),
        access_token_encrypted=encrypt_token("expired-access-token"),
        expires_at=timezone.now() - timedelta(minutes=1),  # refreshed at the first call
    )
    provider = provider_for("google")
    connection = provider.connection(company)
    start = datetime(2026, 12, 24, 1, 0, tzinfo=UTC)
    spec = MeetingSpec(
        topic="面接", start=start, duration_minutes=45, time_zone="Asia/Tokyo", agenda="x", marker="slot-http"
    )

    first = provider.create_meeting(connection, host_id=str(grant.pk), spec=spec)
    second = provider.create_meeting(connection, host_id=str(grant.pk), spec=spec)

    assert first.id == second.id and first.join_url == second.join_url and first.join_url
    assert len(server.events("interviewer@demo.example.com")) == 1
    provider.update_meeting(
        connection,
        host_id=str(grant.pk),
        meeting_id=first.id,
        spec=spec.__class__(**{**spec.__dict__, "duration_minutes": 30}),
    )
    assert provider.get_meeting(connection, host_id=str(grant.pk), meeting_id=first.id).duration_minutes == 30
    provider.delete_meeting(connection, host_id=str(grant.pk), meeting_id=first.id)
    with pytest.raises(NotFound):
        provider.get_meeting(connection, host_id=str(grant.pk), meeting_id=first.id)

    server.revoke("interviewer@demo.example.com")
    with pytest.raises(ReauthorizationRequired):
        provider.get_meeting(connection, host_id=str(grant.pk), meeting_id=first.id)
    grant.refresh_from_db()
    assert grant.status == "error"
