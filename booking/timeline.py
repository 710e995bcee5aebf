"""The applicant timeline's booking items (registered in SchedulingConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from booking.models import BookingLog


def booking_items(applicant: Any) -> list:
    """One item per booking event: 案内, 予約, 変更, キャンセル, キャンセル待ち ... (one query)."""
    from applicants.timeline import TimelineItem

    logs = BookingLog.objects.filter(applicant_id=applicant.pk).only(
        "kind", "title", "body", "actor_label", "booking_id", "created_at"
    )
    return [
        TimelineItem(
            at=log.created_at,
            kind="booking",
            title=log.title,
            body=log.body,
            actor=log.actor_label,
            url=reverse("booking_staff:booking_detail", args=[log.booking_id]) if log.booking_id else "",
        )
        for log in logs
    ]
