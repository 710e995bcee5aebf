"""出欠 (attendance): recorded per booking by staff, or by a 面接官 for the slots they interview.

Only an active booking of a slot that has started takes an attendance; ``""`` sets it back to 未記録. Each
change is written under the booking row's lock, with a line in the applicant's booking history (the
timeline) and an audit entry ``booking.attendance_recorded``. Who may record which booking is the views'
check (``booking.selectors.visible_bookings``); the rules below hold whoever calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from booking.history import audit_booking, log_booking
from booking.models import Attendance, Booking, BookingLogKind, BookingStatus
from booking.rules import BookingError, when

NOT_RECORDED = ""


def attendance_label(value: str) -> str:
    """出席 / 欠席 / 無断欠席 / 遅刻, or 未記録 for ``""``."""
    return str(Attendance(value).label) if value else _("未記録")


def check_attendance(booking: Booking, value: str, now: datetime) -> None:
    """Refuse what cannot take an attendance: an unknown value, a cancelled booking, a slot not started."""
    if value != NOT_RECORDED and value not in Attendance.values:
        raise BookingError(_("出欠の値が正しくありません。"), code="invalid")
    if booking.status != BookingStatus.ACTIVE:
        raise BookingError(_("キャンセルされた予約には出欠を記録できません。"), code="cancelled")
    if booking.slot.starts_at > now:
        raise BookingError(
            _("日程の開始前のため、出欠はまだ記録できません（開始: %(when)s）。")
            % {"when": when(booking.slot)},
            code="not_started",
        )


def _record(
    booking_id: int, value: str, *, actor: User | None, request: HttpRequest | None, now: datetime
) -> bool:
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("applicant", "company", "slot__company", "slot__event__selection_meeting")
        .get(pk=booking_id)
    )
    check_attendance(booking, value, now)
    if booking.attendance == value:
        return False
    previous = booking.attendance
    booking.attendance = value
    booking.attendance_recorded_at = now if value else None
    booking.attendance_recorded_by = actor if value and actor is not None and actor.pk else None
    booking.save(
        update_fields=["attendance", "attendance_recorded_at", "attendance_recorded_by", "updated_at"]
    )
    log_booking(
        booking,
        applicant=booking.applicant,
        kind=BookingLogKind.ATTENDANCE,
        slot=booking.slot,
        actor=actor,
        body=f"{attendance_label(previous)} → {attendance_label(value)}（{when(booking.slot)}）",
    )
    audit_booking(
        "booking.attendance_recorded",
        booking,
        actor=actor,
        request=request,
        attendance=value,
        previous=previous,
    )
    return True


def record_attendance(
    *,
    booking: Booking,
    attendance: str,
    actor: User | None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> bool:
    """出欠を記録: one booking (``""``: back to 未記録). Returns whether it changed; raises BookingError."""
    return record_attendances(marks={booking.pk: attendance}, actor=actor, request=request, now=now) == 1


def record_attendances(
    *,
    marks: Mapping[int, str],
    actor: User | None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> int:
    """出欠を一括で記録: ``marks`` maps booking ids to an attendance. All or nothing: one refused booking
    refuses the lot (BookingError) and nothing is written. Returns how many bookings changed."""
    now = now or timezone.now()
    changed = 0
    with transaction.atomic():
        for booking_id in sorted(marks):  # id order, so two recorders never deadlock
            changed += _record(booking_id, marks[booking_id], actor=actor, request=request, now=now)
    return changed
