"""営業日: which days a company works. A day is closed on a national holiday (祝日, from ``jpholiday``:
振替休日 and 国民の休日 included) or within one of the company's 休業日 (``ClosedDay``); weekends are not
business days either, but are not "closed" (bulk slot creation chooses weekdays itself).

For a range of days, ``closed_reasons`` answers with one query for the company's 休業日.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import jpholiday
from django.utils.translation import gettext as _

from accounts.models import ClosedDay, Company

HOLIDAYS_UNTIL = date(9999, 12, 30)
MAX_LOOKAHEAD_DAYS = 400  # next_business_day gives up looking past this (a year closed is a mistake)


def holiday_name(day: date) -> str | None:
    """The national holiday's name (e.g. 「憲法記念日 振替休日」), or None."""
    return jpholiday.is_holiday_name(day)


def closed_reasons(company: Company | None, first: date, last: date) -> dict[date, str]:
    """Every closed day from ``first`` to ``last`` (both included) with its reason: 「祝日: 名前」 or
    「休業日: 名称」 (the company's own 休業日 wins when both apply). One query."""
    if last < first:
        return {}
    reasons: dict[date, str] = {}
    holidays_last = min(last, HOLIDAYS_UNTIL)  # jpholiday steps past its last day: date.max overflows
    if first <= holidays_last:
        for day, name in jpholiday.between(first, holidays_last):
            reasons[day] = _("祝日: %(name)s") % {"name": name}
    if company is not None:
        closed = ClosedDay.objects.filter(company=company, start_date__lte=last, end_date__gte=first)
        for row in closed.only("start_date", "end_date", "label"):
            label = _("休業日: %(label)s") % {"label": row.label}
            for day in _days(max(row.start_date, first), min(row.end_date, last)):
                reasons[day] = label
    return reasons


def _days(first: date, last: date) -> Iterator[date]:
    """Every day from ``first`` to ``last``, both included, without stepping past ``date.max``."""
    day = first
    while day <= last:
        yield day
        if day == last:
            return
        day += timedelta(days=1)


def closed_reason(company: Company | None, day: date) -> str | None:
    """Why ``day`` is closed (祝日 or the company's 休業日), or None when it is not."""
    return closed_reasons(company, day, day).get(day)


def is_business_day(company: Company | None, day: date) -> bool:
    """Monday to Friday and neither a 祝日 nor one of the company's 休業日."""
    return day.weekday() < 5 and closed_reason(company, day) is None


def next_business_day(company: Company | None, after: date) -> date:
    """The first business day after ``after``. Reads 休業日 in one query (a window of days ahead)."""
    if after >= date.max - timedelta(days=1):
        return date.max
    first = after + timedelta(days=1)
    last = after + min(timedelta(days=MAX_LOOKAHEAD_DAYS), date.max - after)
    reasons = closed_reasons(company, first, last)
    for day in _days(first, last):
        if day.weekday() < 5 and day not in reasons:
            return day
    return first  # everything closed for over a year: a data mistake; fall back to tomorrow
