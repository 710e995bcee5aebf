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


def authenticator_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for ``secret`` (the key as the setup page prints it).

    A code is accepted once and only for a later time step than the last one used, so a test that signs in
    again within 30 seconds asks for the next step's code (a phone clock a little ahead is accepted).
    """
    import base64

    from django_otp.oath import TOTP

    compact = secret.replace(" ", "")
    totp = TOTP(base64.b32decode(compact + "=" * (-len(compact) % 8)), step=30, t0=0, digits=6)
    totp.time += 30 * steps_ahead
    return f"{totp.token():06d}"


def set_up_authenticator(page) -> tuple[str, list[str]]:
    """On the 2段階認証の設定 page: read the key beside the QR code, confirm with a code, keep the recovery
    codes. Returns (key, recovery codes)."""
    page.wait_for_url("**/accounts/two-factor/setup/**")
    assert page.locator(".qr-code svg").is_visible()
    secret = page.locator("[data-totp-secret]").inner_text()
    page.get_by_label("確認コード").fill(authenticator_code(secret))
    page.get_by_role("button", name="設定を完了する").click()
    page.wait_for_url("**/accounts/two-factor/recovery-codes/")
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    page.get_by_role("link", name="保管しました。続ける").click()
    return secret, codes


def sign_in_with_password(page, email: str, password: str = "demo-pass-2026", *, next_path: str = "") -> None:
    page.goto("/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def signed_in_page(browser, base_url: str, email: str, password: str = "demo-pass-2026"):
    """A new Japanese browser page signed in as ``email`` (a user without 2段階認証) on the home page."""
    page = browser.new_context(base_url=base_url, locale="ja-JP").new_page()
    page.set_default_timeout(20_000)
    sign_in_with_password(page, email, password)
    page.wait_for_url("**/")
    return page
