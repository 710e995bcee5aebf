"""Interviews: who interviews (面接官 per event and slot), evaluation sheets (評価シート) and evaluations,
decisions (合否判定) and result mails (合否連絡), and each interviewer's calendar feed.

Every row carries its company (tenant scoping in one filter). Interviews sit above booking: they read slots,
events and bookings, and nothing below knows them except through the registries they fill.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from applicants.models import Applicant, SelectionStage
from scheduling.models import Event, SelectionMeeting, Slot

# --- who interviews -----------------------------------------------------------------------------------------


class EventInterviewer(models.Model):
    """A 面接官 of every slot of an event (unless the slot names its own)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="interviewer_assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="event_interviews",
        verbose_name=_("面接官"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("イベントの面接官")
        verbose_name_plural = _("イベントの面接官")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="event_interviewer_once")]

    def __str__(self) -> str:
        return f"{self.event} / {self.user}"


class SlotInterviewer(models.Model):
    """A 面接官 of one slot. A slot with any of these uses them instead of its event's interviewers."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="interviewer_assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="slot_interviews",
        verbose_name=_("面接官"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("日程の面接官")
        verbose_name_plural = _("日程の面接官")
        constraints = [models.UniqueConstraint(fields=["slot", "user"], name="slot_interviewer_once")]

    def __str__(self) -> str:
        return f"{self.slot_id} / {self.user}"


class InterviewPolicy(models.Model):
    """Per event: whether a Zoom meeting is hosted by the slot's interviewer (their Zoom user, matched by
    email) or by the event's host."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="interview_policy")
    zoom_host_follows_interviewer = models.BooleanField(
        _("Zoomのホストを日程の面接官にする"),
        default=False,
        help_text=_(
            "面接官と同じメールアドレスのZoomユーザーがホストになります。見つからない場合はイベントのホストです。"
        ),
    )

    def __str__(self) -> str:
        return str(self.event)


class InterviewSettings(models.Model):
    """Per company: what interviewers' calendar feeds may show and when an evaluation is overdue."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="interview_settings")
    feed_includes_applicant_contact = models.BooleanField(
        _("カレンダー配信に応募者の連絡先を含める"), default=False
    )
    evaluation_due_hours = models.PositiveIntegerField(_("評価の入力期限（面接終了から何時間）"), default=24)

    def __str__(self) -> str:
        return str(self.company)


class CalendarFeed(models.Model):
    """An interviewer's personal calendar subscription. The URL carries a signature of (user, version);
    issuing a new URL bumps the version, which revokes every earlier one."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    version = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} v{self.version}"


# --- evaluation sheets and evaluations ----------------------------------------------------------------------


class EvaluationSheet(models.Model):
    """評価シート of a 選考会: the items every interviewer of it fills in, plus 推奨度 and a comment."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    selection_meeting = models.OneToOneField(
        SelectionMeeting, on_delete=models.CASCADE, related_name="evaluation_sheet", verbose_name=_("選考会")
    )
    instructions = models.TextField(_("評価の観点・注意事項"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("評価シート")
        verbose_name_plural = _("評価シート")

    def __str__(self) -> str:
        return str(self.selection_meeting)


class ItemKind(models.TextChoices):
    SCALE = "scale", _("5段階")
    CHOICE = "choice", _("選択肢")
    TEXT = "text", _("自由記述")


class EvaluationItem(models.Model):
    """One item of a 評価シート. SCALE answers 1–5 (``scale_labels`` names each point), CHOICE one of
    ``choices``, TEXT free text.

    Answers are stored by item id, so an item is never deleted while its sheet lives: removing it sets
    ``removed_at`` (it leaves the form, and the answers given to it stay readable in the history)."""

    company_lookup = "sheet__company"

    sheet = models.ForeignKey(EvaluationSheet, on_delete=models.CASCADE, related_name="items")
    label = models.CharField(_("評価項目"), max_length=100)
    kind = models.CharField(_("形式"), max_length=10, choices=ItemKind.choices, default=ItemKind.SCALE)
    help_text = models.CharField(_("説明"), max_length=300, blank=True)
    scale_labels = models.JSONField(_("5段階の説明"), default=list, blank=True)
    choices = models.JSONField(_("選択肢"), default=list, blank=True)
    required = models.BooleanField(_("必須"), default=True)
    position = models.PositiveIntegerField(_("表示順"), default=0)
    removed_at = models.DateTimeField(_("削除日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("評価項目")
        verbose_name_plural = _("評価項目")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class Recommendation(models.TextChoices):
    A = "A", _("A: ぜひ採用したい")
    B = "B", _("B: 採用してよい")
    C = "C", _("C: 懸念がある")
    D = "D", _("D: 採用すべきでない")


class Evaluation(models.Model):
    """One interviewer's evaluation of one applicant in one 選考会. A draft until ``submitted_at``;
    every submission and correction after it is kept as an EvaluationRevision."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="evaluations")
    selection_meeting = models.ForeignKey(
        SelectionMeeting, on_delete=models.CASCADE, related_name="evaluations"
    )
    slot = models.ForeignKey(Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("評価者"),
    )
    recommendation = models.CharField(_("推奨度"), max_length=1, choices=Recommendation.choices, blank=True)
    comment = models.TextField(_("コメント"), blank=True)
    # {str(item id): 1..5 | "choice" | "text"} for the sheet's items at the time of writing.
    answers = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(_("提出日時"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("評価")
        verbose_name_plural = _("評価")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "selection_meeting", "evaluator"], name="one_evaluation_per_interviewer"
            )
        ]
        indexes = [models.Index(fields=["company", "evaluator", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.applicant} / {self.selection_meeting} / {self.evaluator}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class OverdueBacklog(models.Model):
    """What the last full count of a company's overdue evaluations proved, so that later counts walk only
    the interviews that ended since and the bookings that were still missing an evaluation
    (``interviews.evaluation_backlog``).

    ``settled_before``: every expected evaluation of a booking whose slot ended before it was submitted,
    except those of ``open_booking_ids``. Submissions are never withdrawn, so this stays true until an
    evaluation becomes expected again of an earlier slot (an interviewer assigned, reactivated, a slot
    moved): each such change adds one to ``generation``, and the record holds only while
    ``settled_generation`` (the generation read before the count) still equals it."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, primary_key=True, related_name="overdue_backlog"
    )
    generation = models.PositiveBigIntegerField(default=0)
    settled_generation = models.BigIntegerField(default=-1)
    settled_before = models.DateTimeField(null=True, blank=True)
    open_booking_ids = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.company)


class EvaluationRevision(models.Model):
    """What an evaluation said at one submission or correction (修正履歴)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    recommendation = models.CharField(max_length=1, choices=Recommendation.choices, blank=True)
    comment = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    edited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "version"], name="evaluation_revision_once")
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id} v{self.version}"


# --- decisions and result mails -----------------------------------------------------------------------------


class DecisionResult(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    HOLD = "hold", _("保留")


class Decision(models.Model):
    """合否判定 of an applicant in a 選考会, by a recruiter or admin. Rows are kept: the latest one for an
    (applicant, 選考会) is the current decision, the earlier ones its history."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="decisions")
    selection_meeting = models.ForeignKey(
        SelectionMeeting, on_delete=models.CASCADE, related_name="decisions"
    )
    result = models.CharField(_("判定"), max_length=8, choices=DecisionResult.choices)
    comment = models.TextField(_("コメント"), blank=True)
    moved_to_stage = models.ForeignKey(
        SelectionStage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("判定者"),
    )
    decided_at = models.DateTimeField(_("判定日時"), default=timezone.now)

    class Meta:
        verbose_name = _("合否判定")
        verbose_name_plural = _("合否判定")
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["applicant", "selection_meeting", "-decided_at"])]

    def __str__(self) -> str:
        return f"{self.applicant} / {self.selection_meeting}: {self.get_result_display()}"


class NoticeStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("送信予定")
    SENT = "sent", _("送信済み")
    CANCELLED = "cancelled", _("取り消し")


class CancelReason(models.TextChoices):
    BY_USER = "user", _("担当者が取り消し")
    SUPERSEDED = "superseded", _("判定の変更により取り消し")
    ANONYMIZED = "anonymized", _("個人情報削除により取り消し")
    NO_ADDRESS = "no_address", _("宛先のメールアドレスがないか正しくないため送信できませんでした")


class ResultNotice(models.Model):
    """合否連絡: the 合格通知 or 不合格通知 of one decision, sent now or at ``send_at``, cancellable until it
    goes. At most one notice per decision is scheduled or sent (a constraint), so it is never sent twice."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="result_notices")
    # A decision goes only with its applicant or its 選考会, and its notices go with it.
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="notices")
    result = models.CharField(max_length=8, choices=DecisionResult.choices)
    send_at = models.DateTimeField(_("送信日時"))
    status = models.CharField(
        _("状態"), max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.SCHEDULED, db_index=True
    )
    sent_mail_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(
        _("取り消し理由"), max_length=16, choices=CancelReason.choices, blank=True
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("合否連絡")
        verbose_name_plural = _("合否連絡")
        ordering = ["-send_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision"],
                condition=Q(status__in=["scheduled", "sent"]),
                name="one_live_notice_per_decision",
            ),
            models.CheckConstraint(condition=Q(result__in=["pass", "fail"]), name="notice_is_pass_or_fail"),
        ]
        indexes = [models.Index(fields=["status", "send_at"], name="result_notice_due")]

    def __str__(self) -> str:
        return f"{self.applicant}: {self.get_result_display()} ({self.get_status_display()})"
