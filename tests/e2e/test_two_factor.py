"""2段階認証 walked in Chromium on the real stack (production settings: gunicorn, PostgreSQL, Redis):
an admin sets up an authenticator app and requires it for the company, signs in with a code and with a
recovery code, a recruiter is made to set it up, and the admin resets the recruiter's app (操作ログ)."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import authenticator_code, screenshot, set_up_authenticator, sign_in_with_password

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.example.com"
RECRUITER = "recruiter@demo.example.com"


def sign_out(page) -> None:
    page.context.clear_cookies()


def test_two_step_verification_from_setup_to_an_admin_reset(page, stack):
    # The admin sets up an app from the user menu.
    sign_in_with_password(page, ADMIN)
    page.wait_for_url("**/")
    page.locator(".user-menu summary").click()
    page.get_by_role("link", name="2段階認証").click()
    page.get_by_role("link", name="2段階認証を設定する").click()
    screenshot(page, "two-factor-setup")
    secret, codes = set_up_authenticator(page)
    assert len(codes) == 10
    assert "設定済み" in page.locator("main").inner_text()

    # … and requires it for every user of the company (ユーザー管理 → セキュリティ設定).
    page.goto("/users/")
    page.get_by_role("link", name="セキュリティ設定").click()
    page.get_by_label("2段階認証を必須にする").check()
    page.get_by_role("button", name="保存").click()
    assert "2段階認証を必須にしました" in page.locator("main").inner_text()
    sign_out(page)

    # Signing in again asks for the code; nothing else opens before it.
    sign_in_with_password(page, ADMIN, next_path="/applicants/")
    page.wait_for_url("**/accounts/two-factor/verify/**")
    page.goto("/users/")
    assert "/accounts/two-factor/verify/" in page.url
    page.get_by_label("確認コード").fill(authenticator_code(secret, steps_ahead=1))
    page.get_by_role("button", name="確認").click()
    page.wait_for_url("**/users/")
    sign_out(page)

    # A recovery code works once.
    sign_in_with_password(page, ADMIN)
    page.get_by_label("確認コード").fill(codes[0])
    page.get_by_role("button", name="確認").click()
    page.wait_for_url("**/")
    sign_out(page)
    sign_in_with_password(page, ADMIN)
    page.get_by_label("確認コード").fill(codes[0])
    page.get_by_role("button", name="確認").click()
    assert "確認コードが正しくありません" in page.locator("main").inner_text()
    sign_out(page)

    # The recruiter has no app yet: the company's requirement sends them to set one up.
    sign_in_with_password(page, RECRUITER)
    set_up_authenticator(page)
    page.goto("/applicants/")
    assert page.url.endswith("/applicants/")
    sign_out(page)

    # The recruiter lost the phone: the admin resets it, and 操作ログ records who did.
    sign_in_with_password(page, ADMIN)
    page.get_by_label("確認コード").fill(codes[1])
    page.get_by_role("button", name="確認").click()
    page.wait_for_url("**/")
    page.goto("/users/")
    row = page.locator("tr", has_text=RECRUITER)
    assert "設定済み" in row.inner_text()
    row.get_by_role("link", name="編集").click()
    page.get_by_role("button", name="2段階認証をリセット").click()
    assert "2段階認証をリセットしました" in page.locator("main").inner_text()
    page.goto("/audit/")
    assert "2段階認証をリセット" in page.locator("main").inner_text()
    screenshot(page, "two-factor-reset-in-audit-log")
    sign_out(page)

    # … so at the next sign-in the recruiter sets up the new phone.
    sign_in_with_password(page, RECRUITER)
    set_up_authenticator(page)
    assert page.url.endswith("/")
