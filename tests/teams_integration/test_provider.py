"""TeamsProvider against the emulator: meetings as calendar events with a Teams meeting, idempotent create by
transactionId, get/update/delete, lookup by marker, errors as web_meetings errors, hosts and link status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from teams_integration import client
from teams_integration.models import GraphSubscription
from teams_integration.provider import LIMITS, TeamsProvider
from tests.teams_integration.helpers import INTERVIEWER_ID
from web_meetings.errors import NotFound, PermanentError, TemporaryError
from web_meetings.providers import MeetingSpec, provider_for

pytestmark = pytest.mark.django_db

MARKER = "e2rpro-slot:6b7a0f0e-0000-4000-8000-000000000001"


def spec(**changes) -> MeetingSpec:
    start = (timezone.now() + timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0)
    values = {
        "topic": "一次面接（山田 太郎 様）",
        "start": start,
        "duration_minutes": 45,
        "time_zone": "Asia/Tokyo",
        "agenda": f"面接の案内 <b>&\n{MARKER}",
        "marker": MARKER,
        **changes,
    }
    return MeetingSpec(**values)


@pytest.fixture
def provider() -> TeamsProvider:
    return provider_for("teams")  # registered in ready()


def test_the_provider_is_registered_with_its_names(provider):
    assert isinstance(provider, TeamsProvider)
    assert (provider.key, provider.display_name) == ("teams", "Microsoft Teams")
    assert provider.settings_url() == "/web-interview/teams/"
    assert provider.limits() == LIMITS and LIMITS.daily_host_limit is None
    assert set(LIMITS.categories.values()) <= set(LIMITS.rates)


def test_create_sends_an_online_meeting_event_and_returns_its_join_url(linked, ms, provider):
    wanted = spec()
    ms.recorded.clear()

    meeting = provider.create_meeting(
        provider.connection(linked.company), host_id=INTERVIEWER_ID, spec=wanted
    )

    post = next(r for r in ms.recorded if r.method == "POST" and r.path.lower().endswith("/events"))
    body = post.json()
    assert post.path == f"/v1.0/users/{INTERVIEWER_ID}/events"
    assert body["subject"] == wanted.topic
    assert body["isOnlineMeeting"] is True and body["onlineMeetingProvider"] == "teamsForBusiness"
    assert body["transactionId"] == MARKER and body["allowNewTimeProposals"] is False
    local = wanted.start.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert body["start"] == {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "Asia/Tokyo"}
    assert body["body"]["contentType"] == "html"
    assert "&lt;b&gt;&amp;<br>" in body["body"]["content"]  # escaped, line break kept
    assert meeting.join_url.startswith("https://teams.microsoft.com/")
    assert meeting.start == wanted.start and meeting.duration_minutes == 45
    assert MARKER in meeting.agenda and meeting.topic == wanted.topic


def test_a_repeated_create_answers_the_same_event_and_the_calendar_holds_one(linked, ms, provider):
    connection = provider.connection(linked.company)

    first = provider.create_meeting(connection, host_id=INTERVIEWER_ID, spec=spec())
    second = provider.create_meeting(connection, host_id=INTERVIEWER_ID, spec=spec())

    assert first.id == second.id and first.join_url == second.join_url
    assert [e["transactionId"] for e in ms.events(INTERVIEWER_ID)] == [MARKER]


def test_get_update_delete_and_404_after_delete(linked, ms, provider):
    connection = provider.connection(linked.company)
    created = provider.create_meeting(connection, host_id=INTERVIEWER_ID, spec=spec())
    later = spec(start=spec().start + timedelta(hours=2), duration_minutes=30, topic="二次面接")

    provider.update_meeting(connection, host_id=INTERVIEWER_ID, meeting_id=created.id, spec=later)
    fetched = provider.get_meeting(connection, host_id=INTERVIEWER_ID, meeting_id=created.id)

    assert fetched.start == later.start and fetched.start.tzinfo is not None
    assert fetched.duration_minutes == 30 and fetched.topic == "二次面接"
    assert fetched.join_url == created.join_url
    get = [r for r in ms.recorded if r.method == "GET" and "/events/" in r.path][-1]
    assert get.headers["Prefer"] == 'outlook.timezone="UTC"'

    provider.delete_meeting(connection, host_id=INTERVIEWER_ID, meeting_id=created.id)

    assert ms.events(INTERVIEWER_ID) == []
    with pytest.raises(NotFound):
        provider.get_meeting(connection, host_id=INTERVIEWER_ID, meeting_id=created.id)
    with pytest.raises(NotFound):
        provider.delete_meeting(connection, host_id=INTERVIEWER_ID, meeting_id=created.id)


def test_list_host_meetings_finds_the_marker_across_pages(linked, ms, provider, monkeypatch):
    connection = provider.connection(linked.company)
    for n in range(3):
        provider.create_meeting(
            connection, host_id=INTERVIEWER_ID, spec=spec(marker=f"other-{n}", agenda=f"other-{n}")
        )
    created = provider.create_meeting(connection, host_id=INTERVIEWER_ID, spec=spec())
    monkeypatch.setattr("teams_integration.provider.PAGE_SIZE", "1")

    found = provider.list_host_meetings(connection, host_id=INTERVIEWER_ID, marker=MARKER)
    upcoming = provider.list_host_meetings(connection, host_id=INTERVIEWER_ID, marker="")

    assert [m.id for m in found] == [created.id] and MARKER in found[0].agenda
    assert len(upcoming) == 4  # one event a page: the nextLinks were followed
    listed = [r for r in ms.recorded if r.method == "GET" and r.path.lower().endswith("/events")]
    assert any(r.query.get("$filter") == f"transactionId eq '{MARKER}'" for r in listed)


def test_429_becomes_a_temporary_error_with_retry_after(linked, ms, provider):
    ms.configure(faults=[{"group": "create_event", "mode": "throttle", "retry_after": 7, "times": 1}])
    before = datetime.now(UTC)

    with pytest.raises(TemporaryError) as caught:
        provider.create_meeting(provider.connection(linked.company), host_id=INTERVIEWER_ID, spec=spec())

    assert caught.value.status == 429
    assert (
        before + timedelta(seconds=6) <= caught.value.retry_after <= datetime.now(UTC) + timedelta(seconds=8)
    )
    assert ms.events(INTERVIEWER_ID) == []


def test_5xx_and_timeouts_are_temporary(linked, ms, provider):
    connection = provider.connection(linked.company)
    ms.configure(faults=[{"group": "create_event", "mode": "status", "status": 503, "times": 1}])
    with pytest.raises(client.TeamsTemporaryError):
        provider.create_meeting(connection, host_id=INTERVIEWER_ID, spec=spec())
    ms.configure(faults=[{"group": "create_event", "mode": "timeout", "times": 1, "after": True}])
    with pytest.raises(client.TeamsTemporaryError):
        provider.create_meeting(connection, host_id=INTERVIEWER_ID, spec=spec())
    ms.configure(faults=[])

    again = provider.create_meeting(connection, host_id=INTERVIEWER_ID, spec=spec())  # the retry

    assert [e["id"] for e in ms.events(INTERVIEWER_ID)] == [again.id]  # the lost create was not doubled


def test_an_unknown_host_is_not_found_and_a_bad_zone_is_permanent(linked, ms, provider):
    connection = provider.connection(linked.company)
    with pytest.raises(NotFound):
        provider.get_meeting(connection, host_id="no-such-user@sample.example.com", meeting_id="x")
    with pytest.raises(PermanentError) as caught:
        provider.create_meeting(connection, host_id=INTERVIEWER_ID, spec=spec(time_zone="Mars/Olympus"))
    assert not isinstance(caught.value, NotFound)


def test_create_subscribes_the_hosts_calendar_after_commit(
    linked, ms, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        provider.create_meeting(provider.connection(linked.company), host_id=INTERVIEWER_ID, spec=spec())

    row = GraphSubscription.objects.get(company=linked.company, host_id=INTERVIEWER_ID)
    assert row.subscription_id and row.status == "active"
    [remote] = ms.subscriptions()
    assert remote["resource"].lower() == f"/users/{INTERVIEWER_ID}/events"
    assert remote["notificationUrl"] == "http://testserver/teams/notifications/"


def test_hosts_link_status_and_host_problem(linked, provider, teams_world):
    company = teams_world.acme.company

    hosts = {host.email: host for host in provider.hosts(company)}
    status = provider.link_status(company)

    assert hosts["interviewer@demo.example.com"].usable
    assert not hosts["former-user@sample.example.com"].usable
    assert (status.code, status.label, status.badge) == ("linked", "連携中", "success")
    assert provider.host_problem(company.pk, INTERVIEWER_ID) == ""
    former = hosts["former-user@sample.example.com"].id
    assert "former-user@sample.example.com" in provider.host_problem(company.pk, former)
    assert provider.link_status(teams_world.other.company).code == "awaiting"


def test_link_status_unused_and_unconfigured(world, settings, provider):
    assert provider.link_status(world.acme.company).code == "unused"
    world.acme.company.teams_enabled = True
    settings.MICROSOFT_CLIENT_ID = ""
    assert provider.link_status(world.acme.company).code == "unconfigured"
