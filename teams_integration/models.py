"""A company's link to its Microsoft 365 tenant (admin consent + application token), the tenant's users
(host candidates), Graph change-notification subscriptions and the notifications received."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Company


class ConnectionStatus(models.TextChoices):
    # 未利用 is not stored: it is a company whose operator has not enabled Teams (Company.teams_enabled).
    AWAITING = "awaiting", _("認可待ち")
    LINKED = "linked", _("連携中")
    ERROR = "error", _("エラー（再認可が必要）")
    RELEASED = "released", _("連携解除")


class TeamsConnection(models.Model):
    """One per company. The application token is stored encrypted (web_meetings.crypto); it is short-lived
    and fetched again by client credentials, so it is never logged, rendered or kept in plain text."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="teams_connection")
    status = models.CharField(
        _("状態"), max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.AWAITING
    )
    tenant_id = models.CharField(_("テナントID"), max_length=64, blank=True, db_index=True)
    tenant_label = models.CharField(_("テナント"), max_length=255, blank=True)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(_("連携日時"), null=True, blank=True)
    released_at = models.DateTimeField(_("連携解除日時"), null=True, blank=True)
    access_token_encrypted = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("エラー内容"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    users_synced_at = models.DateTimeField(_("ユーザー同期日時"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    TOKEN_FIELDS = ("access_token_encrypted", "expires_at")

    class Meta:
        verbose_name = _("Microsoft Teams連携")
        verbose_name_plural = _("Microsoft Teams連携")

    def __str__(self) -> str:
        return f"{self.company} Microsoft Teams ({self.get_status_display()})"

    @property
    def is_linked(self) -> bool:
        return self.status == ConnectionStatus.LINKED

    def clear_tokens(self) -> None:
        """Forget the token (unsaved: save with TOKEN_FIELDS among the update_fields)."""
        self.access_token_encrypted = ""
        self.expires_at = None


class TeamsUser(models.Model):
    """A user of the company's tenant, synced from Graph GET /users (the host of a Teams meeting)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="teams_users")
    user_id = models.CharField(_("ユーザーID"), max_length=64)  # Graph user id (a GUID)
    email = models.CharField(_("メールアドレス"), max_length=254, blank=True)  # mail or userPrincipalName
    display_name = models.CharField(_("表示名"), max_length=255, blank=True)
    account_enabled = models.BooleanField(_("アカウント有効"), default=True)
    # False once a sync no longer finds the user in the tenant: kept so events using it can say so.
    in_tenant = models.BooleanField(_("テナントに在籍"), default=True)
    synced_at = models.DateTimeField(default=timezone.now)

    company_lookup = "company"

    class Meta:
        verbose_name = _("Microsoft Teamsユーザー")
        verbose_name_plural = _("Microsoft Teamsユーザー")
        ordering = ["display_name", "email"]
        constraints = [
            models.UniqueConstraint(fields=["company", "user_id"], name="uniq_teams_user_per_company")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def can_host(self) -> bool:
        return self.in_tenant and self.account_enabled

    @property
    def name(self) -> str:
        return self.display_name or self.email


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("有効")
    REMOVED = "removed", _("削除済み")


class GraphSubscription(models.Model):
    """A Graph change-notification subscription on one host's calendar (/users/{id}/events).

    ``client_state_hash``: SHA-256 of the random clientState Graph echoes in every notification; the
    secret itself is not stored.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="teams_subscriptions")
    host_id = models.CharField(max_length=64)
    subscription_id = models.CharField(max_length=64, blank=True, db_index=True)
    resource = models.CharField(max_length=255)
    client_state_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    company_lookup = "company"

    class Meta:
        verbose_name = _("Microsoft Graph 変更通知の購読")
        verbose_name_plural = _("Microsoft Graph 変更通知の購読")
        constraints = [
            models.UniqueConstraint(fields=["company", "host_id"], name="uniq_teams_subscription_per_host")
        ]

    def __str__(self) -> str:
        return f"{self.resource} ({self.subscription_id or '-'})"


class GraphNotification(models.Model):
    """A received change or lifecycle notification, stored once (``key``) and handled by a task."""

    KIND_CHANGE = "change"
    KIND_LIFECYCLE = "lifecycle"

    key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=20)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    subscription_id = models.CharField(max_length=64, db_index=True)
    change_type = models.CharField(max_length=40, blank=True)  # updated | deleted | lifecycle event
    resource = models.CharField(max_length=255, blank=True)
    payload = models.JSONField()  # the item without its clientState
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("Microsoft Graph 通知")
        verbose_name_plural = _("Microsoft Graph 通知")
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(processed_at__isnull=True),
                name="graph_notification_unprocessed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.change_type} {self.received_at:%Y-%m-%d %H:%M:%S}"
