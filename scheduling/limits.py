"""Zoom's per-host daily limit (100 meeting creates + updates, reset 00:00 UTC), counted on our side.

The count lives in the database (HostDailyUsage) and is taken with one conditional UPDATE before each
call, so every worker on every machine shares it and none can go over.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from scheduling.models import HostDailyUsage


def daily_limit() -> int:
    return getattr(settings, "SCHEDULING_ZOOM_DAILY_LIMIT", 100)


def utc_day(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(UTC).date()


def next_utc_midnight(now: datetime | None = None) -> datetime:
    return datetime.combine(utc_day(now) + timedelta(days=1), time.min, tzinfo=UTC)


def consume_host_budget(*, company_id: int, zoom_user_id: str, now: datetime | None = None) -> bool:
    """Take one create/update from the host's budget for today (UTC). False when none is left."""
    day = utc_day(now)
    HostDailyUsage.objects.get_or_create(company_id=company_id, zoom_user_id=zoom_user_id, day=day)
    taken = HostDailyUsage.objects.filter(
        company_id=company_id, zoom_user_id=zoom_user_id, day=day, used__lt=daily_limit()
    ).update(used=F("used") + 1)
    return taken == 1


def refund_host_budget(*, company_id: int, zoom_user_id: str, now: datetime | None = None) -> None:
    """Give back a unit Zoom did not count (the request was refused before it did anything)."""
    HostDailyUsage.objects.filter(
        company_id=company_id, zoom_user_id=zoom_user_id, day=utc_day(now), used__gt=0
    ).update(used=F("used") - 1)


def exhaust_host_budget(*, company_id: int, zoom_user_id: str, now: datetime | None = None) -> None:
    """Zoom says the host is at its limit (other apps use it too): stop every worker for today."""
    day = utc_day(now)
    HostDailyUsage.objects.get_or_create(company_id=company_id, zoom_user_id=zoom_user_id, day=day)
    HostDailyUsage.objects.filter(
        company_id=company_id, zoom_user_id=zoom_user_id, day=day, used__lt=daily_limit()
    ).update(used=daily_limit())


def host_budget_left(*, company_id: int, zoom_user_id: str, now: datetime | None = None) -> int:
    used = (
        HostDailyUsage.objects.filter(company_id=company_id, zoom_user_id=zoom_user_id, day=utc_day(now))
        .values_list("used", flat=True)
        .first()
    )
    return max(0, daily_limit() - (used or 0))
