"""予約 (bookings), キャンセル待ち (waitlist), 日程選択案内 (personal links) and the booking history.

The tables keep their original names (``scheduling_*``): the models moved between apps without moving data.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Company
from scheduling.models import Event, Slot


def _invitation_key() -> str:
    return secrets.token_urlsafe(24)


class BookingInvitation(models.Model):
    """日程選択案内: the events one applicant is invited to book, behind a signed personal link.

    The link (booking.links) signs this row's id and its random ``key``; the row says until when it
    works (``expires_at``, extended to cover a booking made through it) and whether staff revoked it.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    applicant = models.ForeignKey(
        "applicants.Applicant", on_delete=models.CASCADE, related_name="booking_invitations"
    )
    events = models.ManyToManyField(Event, related_name="invitations", verbose_name=_("案内するイベント"))
    key = models.CharField(max_length=64, default=_invitation_key, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    expires_at = models.DateTimeField(_("有効期限"))
    revoked_at = models.DateTimeField(_("無効にした日時"), null=True, blank=True)

    class Meta:
        db_table = "scheduling_bookinginvitation"
        verbose_name = _("日程選択案内")
        verbose_name_plural = _("日程選択案内")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["applicant", "-created_at"], name="invitation_applicant")]

    def __str__(self) -> str:
        return f"{self.applicant_id} ({self.created_at:%Y-%m-%d})"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and now < self.expires_at


class BookingStatus(models.TextChoices):
    ACTIVE = "active", _("予約中")
    CANCELLED = "cancelled", pgettext_lazy("booking status", "キャンセル")


class BookingSource(models.TextChoices):
    APPLICANT = "applicant", pgettext_lazy("booked by", "応募者")
    STAFF = "staff", _("代行予約")
    WAITLIST = "waitlist", _("キャンセル待ちから繰り上げ")


class Attendance(models.TextChoices):
    """出欠 of a booking, recorded after the slot starts (empty: not recorded yet)."""

    ATTENDED = "attended", _("出席")
    ABSENT = "absent", _("欠席")
    NO_SHOW = "no_show", _("無断欠席")
    LATE = "late", _("遅刻")


class Booking(models.Model):
    """予約: one applicant in one slot. One active booking per applicant and event; moving it to another
    slot of the event keeps the row, so its calendar invite keeps one UID (``ics_sequence`` counts the
    changes the applicant was sent)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="bookings")
    applicant = models.ForeignKey(
        "applicants.Applicant", on_delete=models.CASCADE, related_name="bookings", verbose_name=_("応募者")
    )
    # The slot's event, kept here for the one-active-booking-per-event constraint.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="bookings")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("日程"))
    status = models.CharField(
        _("状態"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.ACTIVE
    )
    source = models.CharField(_("予約方法"), max_length=16, choices=BookingSource.choices)
    invitation = models.ForeignKey(
        BookingInvitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    ics_sequence = models.PositiveIntegerField(default=0)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("予約日時"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    cancelled_at = models.DateTimeField(_("キャンセル日時"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attendance = models.CharField(
        _("出欠"), max_length=16, choices=Attendance.choices, blank=True, default="", db_default=""
    )
    attendance_recorded_at = models.DateTimeField(_("出欠の記録日時"), null=True, blank=True)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "scheduling_booking"
        verbose_name = _("予約")
        verbose_name_plural = _("予約")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "event"],
                condition=Q(status="active"),
                name="one_active_booking_per_event",
            )
        ]
        indexes = [
            models.Index(fields=["slot", "status"], name="booking_slot_status"),
            models.Index(fields=["company", "applicant"], name="booking_company_applicant"),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id} → {self.slot_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == BookingStatus.ACTIVE


ACTIVE_BOOKING = Q(status=BookingStatus.ACTIVE)


class WaitStatus(models.TextChoices):
    WAITING = "waiting", _("キャンセル待ち")
    PROMOTED = "promoted", _("繰り上げ予約済み")
    WITHDRAWN = "withdrawn", _("取り消し")
    CLOSED = "closed", pgettext_lazy("waitlist status", "終了")


class WaitlistEntry(models.Model):
    """キャンセル待ち: an applicant waiting for a seat in a full slot, booked first come first served."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    applicant = models.ForeignKey(
        "applicants.Applicant", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="waitlist_entries")
    status = models.CharField(
        _("状態"), max_length=16, choices=WaitStatus.choices, default=WaitStatus.WAITING
    )
    invitation = models.ForeignKey(
        BookingInvitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("登録日時"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "scheduling_waitlistentry"
        verbose_name = _("キャンセル待ち")
        verbose_name_plural = _("キャンセル待ち")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "slot"], condition=Q(status="waiting"), name="one_wait_per_slot"
            )
        ]
        indexes = [models.Index(fields=["slot", "status", "created_at"], name="waitlist_queue")]

    def __str__(self) -> str:
        return f"{self.applicant_id} waits for {self.slot_id} ({self.status})"


class BookingLogKind(models.TextChoices):
    INVITED = "invited", _("日程選択案内")
    BOOKED = "booked", _("予約")
    MOVED = "moved", _("予約変更")
    CANCELLED = "cancelled", pgettext_lazy("booking log", "キャンセル")
    WAITING = "waiting", _("キャンセル待ち登録")
    WAIT_WITHDRAWN = "wait_withdrawn", _("キャンセル待ち取り消し")
    PROMOTED = "promoted", _("キャンセル待ちから予約")
    SLOT_MOVED = "slot_moved", _("日程の日時変更")
    URL_ISSUED = "url_issued", _("Web面接URL発行")
    URL_CHANGED = "url_changed", _("Web面接URL変更")
    ATTENDANCE = "attendance", _("出欠")


class BookingLog(models.Model):
    """What happened to an applicant's bookings, as the applicant timeline shows it (text kept as written,
    so the history still reads correctly after the slot moves or the event is renamed)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    applicant = models.ForeignKey(
        "applicants.Applicant", on_delete=models.CASCADE, related_name="booking_logs"
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="logs"
    )
    kind = models.CharField(max_length=20, choices=BookingLogKind.choices)
    title = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "scheduling_bookinglog"
        verbose_name = _("予約履歴")
        verbose_name_plural = _("予約履歴")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["applicant", "created_at"], name="bookinglog_applicant")]

    def __str__(self) -> str:
        return self.title
