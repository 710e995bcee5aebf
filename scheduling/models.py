"""選考会 (selection meetings), イベント (events with 予約動作設定) and 日程 (slots) with their Zoom meetings.

A slot's Zoom meeting is reconciled by a Celery task (scheduling.issuance): the slot row says what the
meeting should be (time, host through its event, wanted or not) and records what Zoom has; the task
claims the row, brings Zoom in line one call at a time, and stores each result. The row is the source of
truth, so nothing is lost when a task or the broker is.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Company


class SelectionMeeting(models.Model):
    """選考会: e.g. 会社説明会, 一次面接. Holds events."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="selection_meetings")
    name = models.CharField(_("選考会名"), max_length=100)
    description = models.TextField(_("説明"), blank=True)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("選考会")
        verbose_name_plural = _("選考会")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class WebMeeting(models.TextChoices):
    NONE = "none", _("なし")
    ZOOM = "zoom", _("Zoom")
    TEAMS = "teams", _("Microsoft Teams")
    GOOGLE = "google", _("Google Meet")


class Event(models.Model):
    """イベント of a selection meeting with its 予約動作設定 (booking behaviour and Web面接連携):
    capacity, the booking window, the cancellation deadline, the reminder and its web-meeting host."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="events")
    selection_meeting = models.ForeignKey(
        SelectionMeeting, on_delete=models.CASCADE, related_name="events", verbose_name=_("選考会")
    )
    name = models.CharField(_("イベント名"), max_length=100)
    web_meeting = models.CharField(
        _("Web面接連携"), max_length=10, choices=WebMeeting.choices, default=WebMeeting.NONE
    )
    # The host is kept by its id at the chosen service (and a copy of its name and email), not by a foreign
    # key: a service's user rows are deleted when the link is released and come back as new rows after a
    # relink.
    meeting_host_id = models.CharField(_("ホストのユーザーID"), max_length=64, blank=True)
    meeting_host_email = models.EmailField(_("ホストのメールアドレス"), blank=True)
    meeting_host_name = models.CharField(_("ホスト名"), max_length=255, blank=True)
    duration_minutes = models.PositiveIntegerField(_("所要時間（分）"), default=60)
    default_capacity = models.PositiveIntegerField(_("定員（初期値）"), default=1)
    # Booking window: open from N hours before the start (empty: as soon as the slot is shown) until
    # M hours before the start.
    booking_opens_hours_before = models.PositiveIntegerField(
        _("予約受付開始（開始の何時間前）"), null=True, blank=True
    )
    booking_closes_hours_before = models.PositiveIntegerField(_("予約受付終了（開始の何時間前）"), default=24)
    cancel_deadline_hours_before = models.PositiveIntegerField(
        _("キャンセル・変更期限（開始の何時間前）"), default=24
    )
    reminder_hours_before = models.PositiveIntegerField(
        _("リマインド（開始の何時間前）"), null=True, blank=True
    )
    # 予約時の選考ステータス: booking a slot of this event moves the applicant forward to this stage.
    booking_stage = models.ForeignKey(
        "applicants.SelectionStage",
        verbose_name=_("予約時の選考ステータス"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    place = models.CharField(_("会場"), max_length=255, blank=True)
    notes = models.TextField(_("備考"), blank=True)
    # Meeting options (Zoom's; other services apply the ones they have): for meetings issued from now on.
    waiting_room = models.BooleanField(_("待機室を有効にする"), default=True)
    join_before_host = models.BooleanField(_("ホストより前の参加を許可する"), default=False)
    use_passcode = models.BooleanField(_("パスコードを設定する"), default=True)
    use_pmi = models.BooleanField(_("パーソナルミーティングID（PMI）を使う"), default=False)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    # Not a column: why the web-meeting host cannot host ("" when it can), set by scheduling.views.schedule.
    host_problem: str
    # Not columns: the event's slots shown on 日程設定 (grouped by local day) and how many it has there.
    slot_days: list[tuple[date, list[Slot]]]
    slot_count: int

    class Meta:
        verbose_name = _("イベント")
        verbose_name_plural = _("イベント")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(web_meeting="none") | ~Q(meeting_host_id=""), name="web_meeting_event_has_host"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.selection_meeting.name} / {self.name}"

    @property
    def is_zoom(self) -> bool:
        return self.web_meeting == WebMeeting.ZOOM

    @property
    def has_web_meeting(self) -> bool:
        """Web面接連携 is on (Zoom, Teams, ...): its shown slots get a meeting from the service."""
        return self.web_meeting != WebMeeting.NONE

    @property
    def meeting_host_label(self) -> str:
        if not self.meeting_host_id:
            return ""
        if self.meeting_host_name and self.meeting_host_email:
            return f"{self.meeting_host_name} <{self.meeting_host_email}>"
        return self.meeting_host_email or self.meeting_host_id


class MeetingState(models.TextChoices):
    NONE = "none", _("未発行")
    PENDING = "pending", _("発行待ち")
    ISSUED = "issued", _("発行済み")
    FAILED = "failed", _("失敗")
    DELETED = "deleted", _("削除済み")


class WaitReason(models.TextChoices):
    """Why a pending slot is waiting (shown under 発行待ち)."""

    NONE = "", _("—")
    TEMPORARY = "temporary", _("一時的なエラー")
    DAILY_LIMIT = "daily_limit", _("1日の発行上限")
    LINK = "link", _("Zoom連携")
    RATE = "rate", _("アクセス集中")


class SlotQuerySet(models.QuerySet):
    def live(self) -> SlotQuerySet:
        return self.filter(deleted_at__isnull=True)


_LiveSlotManagerBase = models.Manager.from_queryset(SlotQuerySet)


class LiveSlotManager(_LiveSlotManagerBase):
    """Slots that have not been deleted. Deleted slots are kept until Zoom has dropped their meeting."""

    def get_queryset(self) -> SlotQuerySet:
        # django-stubs types the generated base's get_queryset as QuerySet[_T]; it returns a SlotQuerySet.
        return cast(SlotQuerySet, super().get_queryset()).filter(deleted_at__isnull=True)


AllSlotManager = models.Manager.from_queryset(SlotQuerySet)

# The longest a slot may last (a constraint: the forms allow a day, a 25-hour day where clocks change).
# Bounding starts_at too lets a read of the slots that end after a moment use the (company, starts_at)
# index, instead of filtering every slot of the company that starts after the earliest of them.
MAX_SLOT_LENGTH = timedelta(days=2)


def ends_from_q(moment: datetime) -> Q:
    """A Q on Slot: the slots that end at or after ``moment``."""
    return Q(ends_at__gte=moment, starts_at__gte=moment - MAX_SLOT_LENGTH)


class Slot(models.Model):
    """日程: one time slot of an event, and the Zoom meeting issued for it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="slots")
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="slots", verbose_name=_("イベント")
    )
    starts_at = models.DateTimeField(_("開始日時"), db_index=True)
    ends_at = models.DateTimeField(_("終了日時"))
    capacity = models.PositiveIntegerField(_("定員"), default=1)
    # Seats taken by active bookings. Written only by the booking app, under this row's lock (SELECT … FOR
    # UPDATE) in the transaction that books, moves or cancels, so it is exact; scheduling reads it.
    booked_count = models.PositiveIntegerField(_("予約数"), default=0)
    is_published = models.BooleanField(_("日程を表示する"), default=True)
    note = models.CharField(_("メモ"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # --- the web meeting: what we want ---------------------------------------------------------
    meeting_wanted = models.BooleanField(default=False)
    meeting_state = models.CharField(
        _("発行状況"), max_length=10, choices=MeetingState.choices, default=MeetingState.NONE
    )
    # Raised by every change that the issuance task must look at; its "done" write is guarded by it.
    meeting_version = models.PositiveIntegerField(default=0)
    meeting_error = models.TextField(_("エラー内容"), blank=True)
    wait_reason = models.CharField(max_length=20, choices=WaitReason.choices, default="", blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    # --- the web meeting: what the service has ------------------------------------------------------
    # The service the meeting (or the last create) is at: the event's choice may change meanwhile.
    meeting_provider = models.CharField(_("Web面接連携サービス"), max_length=10, blank=True)
    # The service's id of the meeting (Zoom's number, Graph's event id) as text.
    meeting_id = models.CharField(_("ミーティングID"), max_length=255, null=True, blank=True, db_index=True)
    join_url = models.URLField(_("ミーティングURL"), max_length=1000, blank=True)
    meeting_passcode = models.CharField(_("パスコード"), max_length=50, blank=True)
    # The host the meeting lives on (or the last create was attempted on).
    meeting_host_id = models.CharField(max_length=64, blank=True)
    meeting_start = models.DateTimeField(null=True, blank=True)
    meeting_duration = models.PositiveIntegerField(null=True, blank=True)
    # meeting_start + meeting_duration, so lists can compare with the slot's end in SQL.
    meeting_end = models.DateTimeField(null=True, blank=True)
    meeting_synced_at = models.DateTimeField(null=True, blank=True)
    # --- the issuance task's bookkeeping -----------------------------------------------------------
    # A create was sent whose outcome we do not know (timeout, killed worker): look before creating.
    create_in_doubt = models.BooleanField(default=False)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = LiveSlotManager()
    all_objects = AllSlotManager()

    class Meta:
        verbose_name = _("日程")
        verbose_name_plural = _("日程")
        ordering = ["starts_at", "id"]
        base_manager_name = "all_objects"
        indexes = [
            models.Index(fields=["company", "starts_at"]),
            # The interviews that ended in a period, latest first (マイ面接's recent interviews read it
            # backwards); it holds the start and deletion time for reads that need nothing else.
            models.Index(
                fields=["company", "ends_at"], include=["starts_at", "deleted_at"], name="slot_company_ends"
            ),
            models.Index(fields=["meeting_state", "not_before"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__lte=models.F("starts_at") + MAX_SLOT_LENGTH),
                name="slot_at_most_two_days",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_at_least_one"),
            models.CheckConstraint(
                condition=Q(booked_count__lte=models.F("capacity")), name="slot_booked_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at, self.company.tzinfo) if self.starts_at else None
        when = f"{local:%Y/%m/%d %H:%M}" if local else "—"
        return f"{self.event} {when}"

    @property
    def duration_minutes(self) -> int:
        return max(1, round((self.ends_at - self.starts_at) / timedelta(minutes=1)))

    @property
    def marker(self) -> str:
        """Written into the meeting's agenda so a lost create can be found again."""
        return f"e2rpro-slot:{self.uuid}"

    @property
    def service_display(self) -> str:
        """The name of the service the slot's meeting is (or will be) at (Zoom, Microsoft Teams, Google Meet),
        for pages and messages."""
        key = self.meeting_provider or self.event.web_meeting
        return str(WebMeeting(key).label) if key in WebMeeting.values else key

    @property
    def meeting_out_of_sync(self) -> bool:
        """The issued meeting's time differs from the slot's (moved in Zoom behind our back)."""
        return (
            self.meeting_state == MeetingState.ISSUED
            and self.meeting_id is not None
            and self.meeting_start is not None
            and (self.meeting_start != self.starts_at or self.meeting_end != self.ends_at)
        )

    @property
    def needs_attention(self) -> bool:
        return self.meeting_state in (MeetingState.FAILED, MeetingState.DELETED) or self.meeting_out_of_sync

    @property
    def can_reissue(self) -> bool:
        return self.event.has_web_meeting and self.needs_attention and self.deleted_at is None

    # --- the event's 予約動作設定 applied to this slot -------------------------------------------------

    @property
    def booking_opens_at(self) -> datetime | None:
        """None: bookable as soon as the slot is shown."""
        hours = self.event.booking_opens_hours_before
        return None if hours is None else self.starts_at - timedelta(hours=hours)

    @property
    def booking_closes_at(self) -> datetime:
        return self.starts_at - timedelta(hours=self.event.booking_closes_hours_before)

    @property
    def cancel_deadline(self) -> datetime:
        return self.starts_at - timedelta(hours=self.event.cancel_deadline_hours_before)

    @property
    def reminder_at(self) -> datetime | None:
        hours = self.event.reminder_hours_before
        return None if hours is None else self.starts_at - timedelta(hours=hours)

    def is_open_for_booking(self, now: datetime | None = None) -> bool:
        """Shown, not deleted, inside the booking window (free seats are counted by the booking app)."""
        now = now or timezone.now()
        opens = self.booking_opens_at
        return (
            self.is_published
            and self.deleted_at is None
            and (opens is None or now >= opens)
            and now < self.booking_closes_at
        )


def no_meeting_fields() -> dict[str, str | None]:
    """The meeting fields of a slot whose Zoom meeting is gone (deleted by us or in Zoom)."""
    return {
        "meeting_id": None,
        "join_url": "",
        "meeting_passcode": "",
        "meeting_start": None,
        "meeting_duration": None,
        "meeting_end": None,
    }


class HostDailyUsage(models.Model):
    """Meeting creates + updates made on one host of a service in one UTC day, for a service with a daily
    per-host budget (Zoom allows 100, reset 00:00 UTC).

    Counted on our side before each call with one conditional UPDATE, so every worker on every machine
    shares the count.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=10, default="zoom")
    host_id = models.CharField(max_length=64)
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ミーティング発行数（ホスト・日別）")
        verbose_name_plural = _("ミーティング発行数（ホスト・日別）")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "provider", "host_id", "day"], name="uniq_host_usage_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.host_id} {self.day}: {self.used}"


class PacingState(models.Model):
    """Database fallback for the account pacing (scheduling.pacing) when Redis is not configured."""

    key = models.CharField(max_length=200, unique=True)
    # Theoretical arrival time (GCRA) in Unix seconds: the next request may go at this time.
    next_at = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("Zoom送信ペース")
        verbose_name_plural = _("Zoom送信ペース")

    def __str__(self) -> str:
        return self.key


class BatchAction(models.TextChoices):
    SHOW = "show", _("日程を表示する")
    HIDE = "hide", _("日程を表示しない")
    DELETE = "delete", _("削除")


class SlotBatch(models.Model):
    """A change to many slots of a 選考会 (show, hide or delete), run by a Celery task one slot at a time
    through the slot services. ``slot_ids`` is fixed when the batch is made; ``processed`` holds the ids
    already handled, so a second run (or a run after a lost worker) does only what is left."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    selection_meeting = models.ForeignKey(
        SelectionMeeting, on_delete=models.CASCADE, related_name="slot_batches", verbose_name=_("選考会")
    )
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("イベント")
    )
    action = models.CharField(_("操作"), max_length=10, choices=BatchAction.choices)
    slot_ids = models.JSONField(default=list)
    processed = models.JSONField(default=list)
    # [{"slot_id": int, "label": str, "reason": str}]
    failures = models.JSONField(default=list)
    total = models.PositiveIntegerField(_("件数"), default=0)
    done = models.PositiveIntegerField(_("処理済み"), default=0)
    failed = models.PositiveIntegerField(_("失敗"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("日程の一括操作")
        verbose_name_plural = _("日程の一括操作")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.done}/{self.total}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None
