"""一括操作 of the applicant list: one job for many applicants (日程選択案内, mail, 選考ステータス), one
item each.

The applicants are fixed when the job starts (``JobItem`` rows). The task takes the pending items a chunk
at a time and marks each one done in the same transaction that stores its mail, so a mail exists exactly
when its item is done: a second run, a concurrent run or a retry never mails anyone twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from applicants.models import Applicant, SelectionStage
from scheduling.models import Event


class JobAction(models.TextChoices):
    INVITATION = "invitation", _("日程選択案内を送る")
    MAIL = "mail", _("メールを送る")
    STATUS = "status", _("選考ステータスを変更")


class JobScope(models.TextChoices):
    SELECTION = "selection", _("選択した応募者")
    FILTER = "filter", _("検索結果のすべて")


class OutreachJob(models.Model):
    """A bulk action started from the applicant list, run by ``outreach.tasks.run_job``."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(_("操作"), max_length=16, choices=JobAction.choices)
    scope = models.CharField(_("対象"), max_length=16, choices=JobScope.choices)
    # The list's query string for a filter-wide job (kept to show what was chosen).
    filter_query = models.TextField(blank=True)
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("イベント")
    )
    stage = models.ForeignKey(
        SelectionStage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("選考ステータス"),
    )
    # Mail: a template kind (notifications.MailKind) or "bulk" with the written subject and body.
    mail_kind = models.CharField(_("メールの内容"), max_length=32, blank=True)
    subject = models.CharField(_("件名"), max_length=200, blank=True)
    body = models.TextField(_("本文"), blank=True)
    total = models.PositiveIntegerField(_("件数"), default=0)
    done = models.PositiveIntegerField(_("完了"), default=0)
    failed = models.PositiveIntegerField(_("失敗"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("開始日時"), auto_now_add=True)
    # Last time a run took items (the sweeper resumes a job whose run was lost).
    touched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("応募者の一括操作")
        verbose_name_plural = _("応募者の一括操作")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "-created_at"], name="outreach_job_company_recent")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.done + self.failed}/{self.total}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def processed(self) -> int:
        return self.done + self.failed


class ItemState(models.TextChoices):
    PENDING = "pending", _("処理待ち")
    DONE = "done", _("完了")
    FAILED = "failed", _("失敗")


class JobItem(models.Model):
    """One applicant of a job. ``sent_mail_id`` is the mail stored when the item was done (if any)."""

    job = models.ForeignKey(OutreachJob, on_delete=models.CASCADE, related_name="items")
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=ItemState.choices, default=ItemState.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    sent_mail_id = models.PositiveBigIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "applicant"], name="outreach_item_once")]
        indexes = [models.Index(fields=["job", "state", "id"], name="outreach_item_state")]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.applicant_id} {self.state}"
