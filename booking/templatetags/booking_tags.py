"""Template filters for booking pages: dates as the mails write them, in the company's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from notifications.rendering import format_datetime, format_when
from scheduling.models import Slot

register = template.Library()


@register.filter
def slot_when(slot: Slot) -> str:
    """2026年12月1日(火) 14:00〜15:00 in the slot's company zone."""
    return format_when(slot.starts_at, slot.ends_at, slot.company.tzinfo)


@register.filter
def company_datetime(value: datetime | None, company: Any) -> str:
    """2026年12月1日(火) 14:00 in ``company``'s zone."""
    return format_datetime(value, company.tzinfo) if value and company else ""


@register.filter
def slot_time(slot: Slot) -> str:
    """14:00〜15:00 in the slot's company zone (the date is the heading above it); a slot ending on another
    day reads in full, and a zone other than Japan time is named, as in ``slot_when``."""
    tz = slot.company.tzinfo
    start, end = timezone.localtime(slot.starts_at, tz), timezone.localtime(slot.ends_at, tz)
    if start.date() != end.date():
        return format_when(slot.starts_at, slot.ends_at, tz)
    text = f"{start:%H:%M}〜{end:%H:%M}"
    return text if tz.key == "Asia/Tokyo" else f"{text} ({tz.key})"
