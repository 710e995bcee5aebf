"""Scheduling's answers to what the web-meeting providers announce (web_meetings.signals; connected in
SchedulingConfig.ready())."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import Company
from scheduling import services


def on_link_usable(*, company: Company, provider: str, **_: Any) -> None:
    """Slots that waited for the link to ``provider`` go on now."""
    services.resume_issuance(company=company, provider=provider)


def on_meeting_changed(
    *,
    company: Company,
    provider: str,
    meeting_id: str,
    change: str,
    start: datetime | None = None,
    duration_minutes: int | None = None,
    changed_at: datetime | None = None,
    **_: Any,
) -> None:
    """A meeting of the company's linked account was changed or deleted at the service."""
    services.handle_meeting_change(
        company=company,
        provider=provider,
        meeting_id=meeting_id,
        change=change,
        start=start,
        duration_minutes=duration_minutes,
        changed_at=changed_at,
    )
