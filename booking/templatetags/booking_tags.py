"""Template filters for booking pages: dates as the mails write them, in the company's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

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
