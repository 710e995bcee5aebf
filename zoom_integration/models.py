"""A company's link to its Zoom account, the account's users (host candidates), received webhooks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Company


class ConnectionStatus(models.TextChoices):
    # 未利用 is not stored: it is a company whose operator has not enabled Zoom (Company.zoom_enabled).
    AWAITING = "awaiting", _("認可待ち")
    LINKED = "linked", _("連携中")
    ERROR = "error", _("エラー（再認可が必要）")
    RELEASED = "released", _("連携解除")


class ZoomConnection(models.Model):
    """One per company. Tokens are stored encrypted (web_meetings.crypto); never log or render them."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="zoom_connection")
    status = models.CharField(
        _("状態"), max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.AWAITING
    )
    zoom_account_id = models.CharField(_("ZoomアカウントID"), max_length=64, blank=True, db_index=True)
    zoom_account_label = models.CharField(_("Zoomアカウント"), max_length=255, blank=True)
    scopes = models.TextField(_("許可されたスコープ"), blank=True)
    access_token_encrypted = models.TextField(blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(_("連携日時"), null=True, blank=True)
    released_at = models.DateTimeField(_("連携解除日時"), null=True, blank=True)
    last_error = models.TextField(_("エラー内容"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    users_synced_at = models.DateTimeField(_("ユーザー同期日時"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Zoom連携")
        verbose_name_plural = _("Zoom連携")

    def __str__(self) -> str:
        return f"{self.company} Zoom ({self.get_status_display()})"

    @property
    def is_linked(self) -> bool:
        return self.status == ConnectionStatus.LINKED

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    TOKEN_FIELDS = ("access_token_encrypted", "refresh_token_encrypted", "expires_at")

    def clear_tokens(self) -> None:
        """Forget both tokens (unsaved: save with TOKEN_FIELDS among the update_fields)."""
        self.access_token_encrypted = ""
        self.refresh_token_encrypted = ""
        self.expires_at = None


# Zoom's user "type" and "status" values (GET /users), as the 連携中 page shows them.
ZOOM_USER_TYPES = {
    1: _("ベーシック"),
    2: _("ライセンス"),
    3: _("オンプレミス"),
    4: _("未割り当て"),
    99: _("なし"),
}
ZOOM_USER_STATUSES = {"active": _("有効"), "pending": _("招待中"), "inactive": _("無効")}


class ZoomUser(models.Model):
    """A user of the company's Zoom account, synced from GET /users (Zoomユーザ選択)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="zoom_users")
    zoom_user_id = models.CharField(max_length=64)
    email = models.EmailField(_("メールアドレス"))
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    display_name = models.CharField(_("表示名"), max_length=255, blank=True)
    user_type = models.PositiveSmallIntegerField(_("ユーザー種別"), default=1)  # 1 Basic, 2 Licensed, 4 ...
    zoom_status = models.CharField(_("Zoom上の状態"), max_length=20, default="active")
    time_zone = models.CharField(max_length=64, blank=True)
    # False once a sync no longer finds the user in the account: kept so events using it can say so.
    in_account = models.BooleanField(_("アカウントに在籍"), default=True)
    synced_at = models.DateTimeField(default=timezone.now)

    company_lookup = "company"

    class Meta:
        verbose_name = _("Zoomユーザー")
        verbose_name_plural = _("Zoomユーザー")
        ordering = ["display_name", "email"]
        constraints = [
            models.UniqueConstraint(fields=["company", "zoom_user_id"], name="uniq_zoom_user_per_company")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def can_host(self) -> bool:
        return self.in_account and self.zoom_status == "active"

    @property
    def name(self) -> str:
        return self.display_name or f"{self.last_name} {self.first_name}".strip() or self.email

    @property
    def user_type_label(self) -> str:
        return str(ZOOM_USER_TYPES.get(self.user_type, self.user_type))

    @property
    def zoom_status_label(self) -> str:
        return str(ZOOM_USER_STATUSES.get(self.zoom_status, self.zoom_status))


class WebhookEvent(models.Model):
    """A received Zoom webhook delivery; unique on the raw body's hash so a redelivery is handled once."""

    body_sha256 = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=100)
    account_id = models.CharField(max_length=64, blank=True, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=255, blank=True)
    # Failed handling attempts: the delivery stays unprocessed and the beat task retries it with backoff.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("Zoom Webhook")
        verbose_name_plural = _("Zoom Webhook")
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["received_at"], condition=Q(processed_at__isnull=True), name="webhook_unprocessed"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.received_at:%Y-%m-%d %H:%M:%S}"
