"""Reads for the user-management pages."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Company, User


def company_users(company: Company) -> QuerySet[User]:
    """The company's users for ユーザー管理, each with ``two_factor_enrolled`` (one query in all)."""
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return (
        User.objects.filter(company=company)
        .annotate(two_factor_enrolled=Exists(enrolled))
        .order_by("-is_active", "role", "email")
    )


def two_factor_counts(company: Company) -> dict[str, int]:
    active = User.objects.filter(company=company, is_active=True)
    enrolled = TOTPDevice.objects.filter(user__in=active, confirmed=True).values("user").distinct()
    return {"active_users": active.count(), "enrolled_users": enrolled.count()}
