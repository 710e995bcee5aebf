"""The issue's "done when", in Chromium against the real stack: gunicorn with production settings, a Celery
worker on Redis, PostgreSQL and the Zoom emulator over HTTP. An admin links the demo Zoom account from
認可待ち to 連携中, sees the Zoom users, removes the app on the emulator's Marketplace page, sees 連携解除
within seconds on the page left open, links again, and unlinks with the button."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.helpers import login, screenshot
from tests.e2e.stack import Stack, demo_stack, missing_requirements
from tests.e2e.zoom_pages import ZOOM_ADMIN, allow_on_zoom, sign_in_at_zoom_if_asked

_missing = missing_requirements()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(_missing is not None, reason=f"end-to-end stack unavailable: {_missing}"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    with demo_stack(tmp_path_factory.mktemp("zoom-stack"), redis_db=7) as stack:
        yield stack


def authorize(page) -> None:
    page.get_by_role("button", name="認可開始").click()
    allow_on_zoom(page)


def test_an_admin_links_zoom_removes_the_app_in_zoom_and_links_again(page, stack):
    login(page, "admin@demo.example.com")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="Web面接連携サービス"
    ).click()
    assert "認可待ち" in page.locator("main").inner_text()
    page.locator("main").get_by_role("link", name="設定").click()

    authorize(page)

    main = page.locator("main").inner_text()
    assert "Zoomアカウントを連携しました" in main and "連携中" in main
    assert "SmplAcct01JP" in main and ZOOM_ADMIN in main
    for email in (
        "recruiter@demo.example.com",
        "pending-user@sample.example.com",
        "former-user@sample.example.com",
    ):
        assert email in main
    screenshot(page, "zoom-linked")

    # Zoom App Marketplace → Manage → Added Apps → Remove, in another tab; the open page follows.
    market = page.context.new_page()
    market.goto(f"{stack.emulator_url}/marketplace/manage/added-apps")
    sign_in_at_zoom_if_asked(market)
    market.locator("a:has-text('Remove')").first.click()
    market.locator("button:has-text('Remove')").first.click()
    removed_at = time.monotonic()
    page.get_by_text("連携解除日時").wait_for(timeout=15_000)
    assert time.monotonic() - removed_at < 15
    assert "認可開始" in page.locator("main").inner_text()
    screenshot(page, "zoom-released-by-marketplace")

    authorize(page)
    assert "連携中" in page.locator("h1").inner_text()

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="連携解除").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "Zoom連携を解除しました" in main and "連携解除日時" in main
    assert "確認できませんでした" not in main  # the token was revoked at Zoom


def test_the_recruiter_sees_the_status_without_buttons_and_the_interviewer_nothing(page, stack):
    login(page, "recruiter@demo.example.com")
    page.goto("/web-interview/zoom/")
    assert page.get_by_role("button", name="認可開始").count() == 0
    assert "連携（認可開始）は管理者ユーザーが行います" in page.locator("main").inner_text()
    page.context.clear_cookies()
    login(page, "interviewer@demo.example.com")
    assert page.goto("/web-interview/").status == 403
