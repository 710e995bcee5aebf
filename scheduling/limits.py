"""A service's per-host daily budget of meeting creates + updates (Zoom: 100 a day, reset 00:00 UTC),
counted on our side.

The count lives in the database (HostDailyUsage, per service, host and UTC day) and is taken with one
conditional UPDATE before each call, so every worker on every machine shares it and none can go over.
A service without such a budget (``ProviderLimits.daily_host_limit`` None) is not counted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from scheduling.models import HostDailyUsage


def daily_limit() -> int:
    """Zoom's budget (``SCHEDULING_ZOOM_DAILY_LIMIT``, default 100)."""
    return getattr(settings, "SCHEDULING_ZOOM_DAILY_LIMIT", 100)


def utc_day(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(UTC).date()


def next_utc_midnight(now: datetime | None = None) -> datetime:
    return datetime.combine(utc_day(now) + timedelta(days=1), time.min, tzinfo=UTC)


def _usage(company_id: int, provider: str, host_id: str, day: date):
    return HostDailyUsage.objects.filter(company_id=company_id, provider=provider, host_id=host_id, day=day)


def consume_host_budget(
    *,
    company_id: int,
    host_id: str,
    provider: str = "zoom",
    limit: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Take one create/update from the host's budget for today (UTC). False when none is left."""
    limit = daily_limit() if limit is None else limit
    day = utc_day(now)
    # One UPDATE once the day's row exists (every call but the host's first of the day); the row is made
    # only when that UPDATE took nothing (missing row, or no budget left), and the UPDATE is tried once more.
    taken = _usage(company_id, provider, host_id, day).filter(used__lt=limit).update(used=F("used") + 1)
    if taken:
        return True
    HostDailyUsage.objects.get_or_create(company_id=company_id, provider=provider, host_id=host_id, day=day)
    taken = _usage(company_id, provider, host_id, day).filter(used__lt=limit).update(used=F("used") + 1)
    return taken == 1


def refund_host_budget(
    *, company_id: int, host_id: str, provider: str = "zoom", now: datetime | None = None
) -> None:
    """Give back a unit the service did not count (the request was refused before it did anything)."""
    _usage(company_id, provider, host_id, utc_day(now)).filter(used__gt=0).update(used=F("used") - 1)


def exhaust_host_budget(
    *,
    company_id: int,
    host_id: str,
    provider: str = "zoom",
    limit: int | None = None,
    now: datetime | None = None,
) -> None:
    """The service says the host is at its limit (other apps use it too): stop every worker for today."""
    limit = daily_limit() if limit is None else limit
    day = utc_day(now)
    HostDailyUsage.objects.get_or_create(company_id=company_id, provider=provider, host_id=host_id, day=day)
    _usage(company_id, provider, host_id, day).filter(used__lt=limit).update(used=limit)


def host_budget_left(
    *,
    company_id: int,
    host_id: str,
    provider: str = "zoom",
    limit: int | None = None,
    now: datetime | None = None,
) -> int:
    limit = daily_limit() if limit is None else limit
    used = _usage(company_id, provider, host_id, utc_day(now)).values_list("used", flat=True).first()
    return max(0, limit - (used or 0))
