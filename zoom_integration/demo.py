"""Demo seed for the Zoom link: nothing is linked in advance (the demo walks 認可待ち → 認可開始 → 連携中)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.models import Company


def seed(*, company: Company, users: dict, stdout: Any) -> None:
    """Say how to link the demo company to the emulator's Zoom account. Changes nothing; safe to repeat."""
    if not settings.ZOOM_CLIENT_ID:
        stdout.write("  Zoom: not configured (ZOOM_CLIENT_ID unset); the Zoom pages say so.")
        return
    stdout.write(
        "  Zoom: as the 管理者, open Web面接連携サービス → 設定 → 認可開始 and sign in at "
        f"{settings.ZOOM_OAUTH_BASE_URL} as zoom-admin@sample.example.com / zoom-pass."
    )
