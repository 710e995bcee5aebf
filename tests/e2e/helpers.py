"""Helpers for end-to-end tests: Chromium's launch flags, screenshots, and signing in to the product."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.stack import BASE_DIR

SCREENSHOT_DIR = BASE_DIR / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/ (docs/screenshots/ when asked)."""
    target_dir = Path(os.environ.get("E2RPRO_SCREENSHOT_DIR", SCREENSHOT_DIR))
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, email: str, password: str = "demo-pass-2026") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/")
