"""Tenants (companies), their users, roles, and the audit log (操作ログ)."""

from __future__ import annotations

import zoneinfo
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("不明なタイムゾーンです: %(value)s"), params={"value": value})


class Company(models.Model):
    """A client company: the tenant every other record belongs to."""

    name = models.CharField(_("会社名"), max_length=200)
    slug = models.SlugField(_("識別子"), max_length=60, unique=True)
    time_zone = models.CharField(
        _("タイムゾーン"), max_length=64, default="Asia/Tokyo", validators=[validate_time_zone]
    )
    zoom_enabled = models.BooleanField(
        _("Zoom連携を利用する"),
        default=False,
        help_text=_("運用者が契約に応じて有効にします。有効にすると会社の管理者が認可を開始できます。"),
    )
    teams_enabled = models.BooleanField(
        _("Microsoft Teams連携を利用する"),
        default=False,
        db_default=False,  # rows written by code that predates the column (a rolling deploy) read False
        help_text=_("運用者が契約に応じて有効にします。有効にすると会社の管理者が認可を開始できます。"),
    )
    google_enabled = models.BooleanField(
        _("Google Meet連携を利用する"),
        default=False,
        db_default=False,  # rows written by code that predates the column (a rolling deploy) read False
        help_text=_("運用者が契約に応じて有効にします。有効にすると会社の管理者が利用を開始できます。"),
    )
    require_two_factor = models.BooleanField(
        _("2段階認証を必須にする"),
        default=False,
        db_default=False,  # rows written by code that predates the column (a rolling deploy) read False
        help_text=_(
            "有効にすると、この企業のすべてのユーザーがログイン時に認証アプリの確認コードを求められます。"
        ),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("企業")
        verbose_name_plural = _("企業")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    ADMIN = "admin", _("管理者")
    RECRUITER = "recruiter", _("採用担当")
    INTERVIEWER = "interviewer", _("面接官")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: company staff (with a role) or an operator (superuser, no company)."""

    email = models.EmailField(_("メールアドレス"), unique=True)
    name = models.CharField(_("氏名"), max_length=100, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("企業"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    role = models.CharField(_("権限"), max_length=20, choices=Role.choices, default=Role.RECRUITER)
    is_active = models.BooleanField(_("有効"), default=True)
    is_staff = models.BooleanField(_("運用者（Django管理画面）"), default=False)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)
    # Set when many wrong passwords lock the account (accounts/throttling.py); an admin lifts it.
    locked_at = models.DateTimeField(_("ロック日時"), null=True, blank=True)
    locked_until = models.DateTimeField(_("ロック解除予定"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("ユーザー")
        verbose_name_plural = _("ユーザー")
        ordering = ["company_id", "email"]
        indexes = [models.Index(fields=["company", "role"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_locked(self) -> bool:
        """Locked after too many wrong passwords; ``locked_until`` empty means until an admin lifts it."""
        if self.locked_at is None:
            return False
        return self.locked_until is None or self.locked_until > timezone.now()

    @property
    def is_operator(self) -> bool:
        """Staff of the service itself (Django admin), not of a client company."""
        return bool(self.is_staff or self.is_superuser)

    @property
    def is_company_admin(self) -> bool:
        return self.company_id is not None and self.role == Role.ADMIN

    @property
    def is_recruiter_or_admin(self) -> bool:
        return self.company_id is not None and self.role in (Role.ADMIN, Role.RECRUITER)

    @property
    def is_interviewer(self) -> bool:
        return self.company_id is not None and self.role == Role.INTERVIEWER


class AuditEntry(models.Model):
    """One recorded action: who did what to which object, and when (操作ログ)."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="audit_entries", null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text so the entry still reads correctly after the user is renamed or removed.
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("操作ログ")
        verbose_name_plural = _("操作ログ")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


MAX_CLOSED_DAYS = 366  # the longest 休業日 range, in days (both ends counted)


class ClosedDay(models.Model):
    """休業日: days the company is closed (年末年始, 夏季休業 …), one day or a range, both ends included.

    Read through ``accounts.business_days`` together with the national holidays (祝日)."""

    company = models.ForeignKey(
        Company, verbose_name=_("企業"), on_delete=models.CASCADE, related_name="closed_days"
    )
    start_date = models.DateField(_("開始日"))
    end_date = models.DateField(_("終了日"))
    label = models.CharField(_("名称"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("休業日")
        verbose_name_plural = _("休業日")
        ordering = ["start_date", "end_date", "id"]
        indexes = [models.Index(fields=["company", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="closed_day_end_not_before_start",
            )
        ]

    def __str__(self) -> str:
        if self.start_date == self.end_date:
            return f"{self.label} ({self.start_date:%Y/%m/%d})"
        return f"{self.label} ({self.start_date:%Y/%m/%d}–{self.end_date:%Y/%m/%d})"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1
