"""Plain helpers for scheduling tests: times, slot specs, slots made through the service."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from scheduling import services
from scheduling.services import SlotSpec


def tomorrow_at(hour: int, minute: int = 0, *, tz=None) -> datetime:
    tz = tz or timezone.get_default_timezone()
    local = timezone.localtime(timezone.now(), tz) + timedelta(days=1)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def still_today(minutes: int = 30, *, tz=None) -> datetime:
    """A moment of today in ``tz``: ``minutes`` from now, or as long ago when that would be tomorrow (the
    tests of today's slots run at any hour, 23:45 included)."""
    tz = tz or timezone.get_default_timezone()
    now = timezone.localtime(timezone.now(), tz)
    later = now + timedelta(minutes=minutes)
    return later if later.date() == now.date() else now - timedelta(minutes=minutes)


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
