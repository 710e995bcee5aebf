"""Mail: per-company templates and sender settings, the log of every mail (SentMail), the demo mailbox.

SentMail links to the applicant and the booking it concerns through plain integer ids (``applicant_id``,
``booking_id``) instead of foreign keys, so this app does not depend on the apps that own those models.
Pass the objects (or their ids) to ``notifications.services.queue_mail``; selectors filter on the ids.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Company


class MailKind(models.TextChoices):
    SCHEDULE_INVITATION = "schedule_invitation", _("日程選択案内")
    BOOKING_CONFIRMED = "booking_confirmed", _("予約完了")
    REMINDER = "reminder", _("リマインド")
    BOOKING_CHANGED = "booking_changed", _("予約変更")
    BOOKING_CANCELLED = "booking_cancelled", pgettext_lazy("mail kind", "キャンセル")
    URL_ISSUED = "url_issued", _("URL発行")
    URL_CHANGED = "url_changed", _("URL変更")
    HOST_NOTICE = "host_notice", _("面接官への通知")
    EVALUATION_REMINDER = "evaluation_reminder", _("評価入力のお願い")
    RESULT_PASS = "result_pass", _("合格通知")
    RESULT_FAIL = "result_fail", _("不合格通知")


class AdhocKind(models.TextChoices):
    """Mails written for the occasion (no stored template): one applicant, or many at once."""

    PERSONAL = "personal", _("個別メール")
    BULK = "bulk", _("一斉メール")


# Every kind a SentMail can have: the template kinds, then the written ones.
SENT_MAIL_KINDS = [*MailKind.choices, *AdhocKind.choices]


class MailTemplate(models.Model):
    """The subject and body a company sends for one kind of mail. Created from the defaults on first use."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="mail_templates")
    kind = models.CharField(_("種類"), max_length=32, choices=MailKind.choices)
    subject = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"), max_length=10000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("メールテンプレート")
        verbose_name_plural = _("メールテンプレート")
        constraints = [models.UniqueConstraint(fields=["company", "kind"], name="mail_template_unique_kind")]

    def __str__(self) -> str:
        return f"{self.company} / {self.get_kind_display()}"

    @property
    def is_default(self) -> bool:
        from notifications.defaults import DEFAULT_TEMPLATES

        default = DEFAULT_TEMPLATES[self.kind]
        return self.subject == default.subject and self.body == default.body


class MailSettings(models.Model):
    """Per-company sender name, reply-to address and the contact text behind {問い合わせ先}."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="mail_settings")
    sender_name = models.CharField(
        _("差出人名"),
        max_length=100,
        blank=True,
        help_text=_("空欄の場合は「会社名 採用担当」になります。送信元アドレスはシステム共通です。"),
    )
    reply_to = models.EmailField(
        _("返信先メールアドレス"), blank=True, help_text=_("応募者が返信したときの宛先です。")
    )
    contact = models.TextField(
        _("問い合わせ先"),
        max_length=1000,
        blank=True,
        help_text=_("{問い合わせ先} に入る文面です（担当部署、電話番号、受付時間など）。"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("メール送信設定")
        verbose_name_plural = _("メール送信設定")

    def __str__(self) -> str:
        return str(self.company)


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("送信待ち")
    SENDING = "sending", _("送信中")
    SENT = "sent", _("送信済み")
    FAILED = "failed", _("送信失敗")


class SentMail(models.Model):
    """One mail as rendered and queued, with its delivery state. The log behind 送信履歴 and the timeline."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sent_mails")
    kind = models.CharField(_("種類"), max_length=32, choices=SENT_MAIL_KINDS)
    to_email = models.EmailField(_("宛先"))
    from_email = models.CharField(_("差出人"), max_length=255)
    reply_to = models.EmailField(_("返信先"), blank=True)
    subject = models.TextField(_("件名"))
    body = models.TextField(_("本文"))
    # The calendar invite as attached (UTF-8 text) and its METHOD (REQUEST / CANCEL), empty without one.
    ics = models.TextField(blank=True)
    ics_method = models.CharField(max_length=16, blank=True)
    # Our Message-ID header: the same on every attempt, so a resent copy is recognisable as the same mail.
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        _("状態"), max_length=16, choices=MailStatus.choices, default=MailStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("送信試行回数"), default=0)
    last_error = models.TextField(_("エラー内容"), blank=True)
    is_test = models.BooleanField(_("テスト送信"), default=False)
    # Generic links (see the module docstring): the applicant and booking this mail is about.
    applicant_id = models.PositiveBigIntegerField(null=True, blank=True)
    booking_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Once-only key: a second queue_mail with the same key in the same company returns the first mail.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("送信メール")
        verbose_name_plural = _("送信メール")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "dedupe_key"], name="sent_mail_unique_dedupe_key")
        ]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="sent_mail_company_recent"),
            models.Index(fields=["company", "applicant_id"], name="sent_mail_company_applicant"),
            models.Index(fields=["company", "booking_id"], name="sent_mail_company_booking"),
            models.Index(fields=["status", "next_attempt_at"], name="sent_mail_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_email}"

    @property
    def has_invite(self) -> bool:
        return bool(self.ics)


class MailboxMessage(models.Model):
    """A message handed to the demo mail backend (notifications.backends.MailboxBackend), as it left."""

    # Resolved through SentMail.message_id; empty for mails that other apps send (invitations, resets).
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    from_email = models.CharField(_("差出人"), max_length=255)
    recipients = models.TextField(_("宛先"))
    subject = models.TextField(_("件名"))
    body = models.TextField(_("本文"))
    attachments = models.JSONField(default=list, blank=True)  # [{"filename", "content_type"}]
    raw = models.BinaryField()
    created_at = models.DateTimeField(_("受信日時"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ローカルメールボックス")
        verbose_name_plural = _("ローカルメールボックス")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipients}"
