"""Demo seed for the Teams link: nothing is linked in advance (認可待ち → 認可開始 → 連携中)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.models import Company


def seed(*, company: Company, users: dict, stdout: Any) -> None:
    """Say how to link the demo company to the emulator's tenant. Changes nothing; safe to repeat."""
    if not settings.MICROSOFT_CLIENT_ID:
        stdout.write("  Microsoft Teams: not configured (MICROSOFT_CLIENT_ID unset); the Teams page says so.")
        return
    stdout.write(
        "  Microsoft Teams: as the 管理者, open /web-interview/teams/ → 認可開始 and sign in at "
        f"{settings.MICROSOFT_LOGIN_BASE_URL} as ms-admin@sample.example.com / ms-pass."
    )
