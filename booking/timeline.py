"""The applicant timeline's booking items (registered in BookingConfig.ready())."""

from __future__ import annotations

from django.urls import reverse

from applicants.models import Applicant
from applicants.timeline import TimelineItem
from booking.models import BookingLog


def booking_items(applicant: Applicant) -> list[TimelineItem]:
    """One item per booking event: 案内, 予約, 変更, キャンセル, キャンセル待ち ... (one query)."""
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
