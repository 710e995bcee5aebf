"""Fixtures for scheduling: a linked Zoom company with hosts, and a fake Zoom behind scheduling.zoom."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from scheduling import services, zoom
from scheduling.services import SlotSpec
from tests.scheduling.factories import SelectionMeetingFactory, ZoomEventFactory
from tests.zoom_integration.factories import ZoomConnectionFactory, ZoomUserFactory
from zoom_integration.client import ZoomNotFound, ZoomNotLinked


@pytest.fixture(autouse=True)
def fast_pacing(settings):
    """Unit tests pace through the database at a rate that never makes them wait."""
    settings.SCHEDULING_PACING_BACKEND = "database"
    settings.SCHEDULING_ZOOM_RATE_LIMITS = {"light": 10000, "medium": 10000, "heavy": 10000}
    return settings


@dataclass
class FakeZoom:
    """Zoom as scheduling sees it, in memory. ``fail`` queues exceptions for the next calls by name."""

    meetings: dict[int, dict] = field(default_factory=dict)
    calls: list[tuple[str, dict]] = field(default_factory=list)
    fail: dict[str, list[Exception]] = field(default_factory=dict)
    linked: bool = True
    ids: Any = field(default_factory=lambda: itertools.count(81000000001))

    def _maybe_fail(self, name: str) -> None:
        queue = self.fail.get(name) or []
        if queue:
            raise queue.pop(0)

    def usable_connection(self, company):
        if not self.linked:
            raise ZoomNotLinked("Zoom連携が解除されています。管理者が再度「認可開始」を行ってください。")
        return type("Connection", (), {"zoom_account_id": f"acct-{company.pk}", "company": company})()

    def create_meeting(self, connection, *, host_id: str, body: dict) -> dict:
        """``fail["create"]`` raises before anything is made; ``fail["create_lost"]`` after (answer lost)."""
        self.calls.append(("create", {"host_id": host_id, "body": body}))
        self._maybe_fail("create")
        meeting_id = next(self.ids)
        self.meetings[meeting_id] = {
            "id": meeting_id,
            "host_id": host_id,
            "topic": body["topic"],
            "agenda": body.get("agenda", ""),
            "start_time": body["start_time"],
            "duration": body["duration"],
            "timezone": body.get("timezone"),
            "join_url": f"https://zoom.us/j/{meeting_id}?pwd=abc",
            "start_url": f"https://zoom.us/s/{meeting_id}?zak=secret-zak",
            "password": "Ab12Cd",
        }
        self._maybe_fail("create_lost")
        return dict(self.meetings[meeting_id])

    def get_meeting(self, connection, *, meeting_id: int) -> dict:
        self.calls.append(("get", {"meeting_id": meeting_id}))
        self._maybe_fail("get")
        if meeting_id not in self.meetings:
            raise ZoomNotFound("Meeting does not exist", status=404, code=3001)
        return dict(self.meetings[meeting_id])

    def update_meeting(self, connection, *, meeting_id: int, body: dict) -> None:
        self.calls.append(("update", {"meeting_id": meeting_id, "body": body}))
        self._maybe_fail("update")
        if meeting_id not in self.meetings:
            raise ZoomNotFound("Meeting does not exist", status=404, code=3001)
        self.meetings[meeting_id].update(body)

    def delete_meeting(self, connection, *, meeting_id: int) -> None:
        self.calls.append(("delete", {"meeting_id": meeting_id}))
        self._maybe_fail("delete")
        if meeting_id not in self.meetings:
            raise ZoomNotFound("Meeting does not exist", status=404, code=3001)
        del self.meetings[meeting_id]

    def list_user_meetings(self, connection, *, host_id: str) -> list[dict]:
        self.calls.append(("list", {"host_id": host_id}))
        self._maybe_fail("list")
        return [dict(m) for m in self.meetings.values() if m["host_id"] == host_id]

    def count(self, name: str) -> int:
        return sum(1 for call, _ in self.calls if call == name)


@pytest.fixture
def fake_zoom(monkeypatch) -> FakeZoom:
    fake = FakeZoom()
    for name in ("usable_connection", "create_meeting", "get_meeting", "update_meeting", "delete_meeting"):
        monkeypatch.setattr(zoom, name, getattr(fake, name))
    monkeypatch.setattr(zoom, "list_user_meetings", fake.list_user_meetings)
    return fake


@pytest.fixture
def linked(world):
    """world.acme linked to Zoom, with two hosts (zhost0001, zhost0002) and a left/inactive user."""
    company = world.acme.company
    connection = ZoomConnectionFactory(company=company, zoom_account_id="AcmeAcct01")
    hosts = [
        ZoomUserFactory(company=company, zoom_user_id="zhost0001", email="host@zoom.example.com"),
        ZoomUserFactory(company=company, zoom_user_id="zhost0002", email="interviewer@acme.example.com"),
        ZoomUserFactory(
            company=company, zoom_user_id="zgone0003", email="gone@zoom.example.com", in_account=False
        ),
        ZoomUserFactory(
            company=company, zoom_user_id="zoff0004", email="off@zoom.example.com", zoom_status="inactive"
        ),
    ]
    return type("Linked", (), {"company": company, "connection": connection, "hosts": hosts})


@pytest.fixture
def zoom_event(world):
    meeting = SelectionMeetingFactory(company=world.acme.company, name="一次面接")
    return ZoomEventFactory(selection_meeting=meeting, name="Web面接")


def tomorrow_at(hour: int, minute: int = 0, *, tz=None) -> datetime:
    tz = tz or timezone.get_default_timezone()
    local = timezone.localtime(timezone.now(), tz) + timedelta(days=1)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def spec(starts_at: datetime, *, minutes: int = 60, published: bool = True, capacity: int = 1) -> SlotSpec:
    return SlotSpec(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        capacity=capacity,
        is_published=published,
    )


def make_slot(event, starts_at: datetime | None = None, *, actor=None, **kwargs):
    """Create a slot through the service (after-commit callbacks run: issuance happens in-process)."""
    return services.create_slot(event=event, actor=actor, spec=spec(starts_at or tomorrow_at(10), **kwargs))


def zoom_time(meeting: dict) -> datetime:
    return parse_datetime(meeting["start_time"])
