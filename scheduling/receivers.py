"""Scheduling's answers to what zoom_integration announces (connected in SchedulingConfig.ready())."""

from __future__ import annotations

from typing import Any

from accounts.models import Company
from scheduling import services


def on_link_usable(*, company: Company, **_: Any) -> None:
    """Slots that waited for the Zoom link go on now."""
    services.resume_zoom_issuance(company=company)


def on_meeting_event(
    *, company: Company, event: str, meeting_id: int, payload: dict[str, Any], **_: Any
) -> None:
    """meeting.updated / meeting.deleted in Zoom for a meeting of the company's account."""
    services.handle_zoom_meeting_event(company=company, event=event, meeting_id=meeting_id, payload=payload)
