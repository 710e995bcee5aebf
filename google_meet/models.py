"""Google Meet: the company's switch (利用開始 / 連携解除), each host's own Google account grant (OAuth 2.0
offline access to their calendar) and the push-notification watch channel on each host's calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Company


class ConnectionStatus(models.TextChoices):
    # 未利用 / 未設定 are not stored: Company.google_enabled off / no GOOGLE_CLIENT_ID on this site.
    AWAITING = "awaiting", _("認可待ち")
    LINKED = "linked", _("連携中")
    ERROR = "error", _("エラー（再認可が必要）")
    RELEASED = "released", _("連携解除")


class GoogleMeetLink(models.Model):
    """One per company: the admin's 利用開始 (連携中) or 連携解除. Google has no organisation-wide consent
    for calendars (without a service account), so the company-level link holds no token: each host
    connects their own Google account (GoogleGrant)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="google_meet_link")
    status = models.CharField(
        _("状態"), max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.AWAITING
    )
    enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(_("連携日時"), null=True, blank=True)
    released_at = models.DateTimeField(_("連携解除日時"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Google Meet連携")
        verbose_name_plural = _("Google Meet連携")

    def __str__(self) -> str:
        return f"{self.company} Google Meet ({self.get_status_display()})"

    @property
    def is_linked(self) -> bool:
        return self.status == ConnectionStatus.LINKED


class GrantStatus(models.TextChoices):
    LINKED = "linked", _("連携中")
    ERROR = "error", _("エラー（再認可が必要）")
    RELEASED = "released", _("連携解除")


class GoogleGrant(models.Model):
    """A host's own Google account linked to e2RPRO (one per company user). The row is kept and updated in
    place when the user connects again, so its pk — the provider's host id — stays the same. Tokens are
    stored encrypted (web_meetings.crypto) and never logged or rendered."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="google_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="google_grants")
    status = models.CharField(
        _("状態"), max_length=20, choices=GrantStatus.choices, default=GrantStatus.LINKED
    )
    google_email = models.CharField(_("Googleアカウント"), max_length=254, blank=True)
    google_sub = models.CharField(max_length=255, blank=True)
    scope = models.TextField(blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    access_token_encrypted = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    linked_at = models.DateTimeField(_("連携日時"), null=True, blank=True)
    last_error = models.TextField(_("エラー内容"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    company_lookup = "company"
    TOKEN_FIELDS = ("refresh_token_encrypted", "access_token_encrypted", "expires_at")

    class Meta:
        verbose_name = _("Googleアカウント連携")
        verbose_name_plural = _("Googleアカウント連携")
        ordering = ["google_email"]
        constraints = [models.UniqueConstraint(fields=["company", "user"], name="uniq_google_grant_per_user")]

    def __str__(self) -> str:
        return f"{self.google_email or '-'} ({self.get_status_display()})"

    @property
    def is_usable(self) -> bool:
        return self.status == GrantStatus.LINKED

    def clear_tokens(self) -> None:
        """Forget the tokens (unsaved: save with TOKEN_FIELDS among the update_fields)."""
        self.refresh_token_encrypted = ""
        self.access_token_encrypted = ""
        self.expires_at = None


class WatchStatus(models.TextChoices):
    ACTIVE = "active", _("有効")
    STOPPED = "stopped", _("停止")


class GoogleWatch(models.Model):
    """The push-notification channel on one host's primary calendar (events.watch) and the calendar's
    sync token for the incremental list. ``token_hash``: SHA-256 of the random channel token Google echoes
    in X-Goog-Channel-Token; the token itself is not stored."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="google_watches")
    grant = models.OneToOneField(GoogleGrant, on_delete=models.CASCADE, related_name="watch")
    channel_id = models.CharField(max_length=64, blank=True, db_index=True)
    resource_id = models.CharField(max_length=255, blank=True)
    token_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=WatchStatus.choices, default=WatchStatus.STOPPED)
    expires_at = models.DateTimeField(null=True, blank=True)
    sync_token = models.TextField(blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    company_lookup = "company"

    class Meta:
        verbose_name = _("Googleカレンダーの通知チャネル")
        verbose_name_plural = _("Googleカレンダーの通知チャネル")

    def __str__(self) -> str:
        return f"{self.channel_id or '-'} ({self.get_status_display()})"
