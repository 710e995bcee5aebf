"""The product's Zoom guide (docs/zoom-guide.md), walked exactly as written, in Chromium
against the real stack: gunicorn, PostgreSQL, a Celery worker and beat on Redis, the Zoom emulator over HTTP.

1. Zoomアカウントの連携を開始する — the operator enables Zoom; the admin: Web面接連携サービス
   → 認可待ち → 設定 → 認可開始 → Zoom sign-in → 連携中.
2. ZoomミーティングURLを発行する — 日程設定 → 変更 → Web面接連携 Zoom + Zoomユーザ選択 → 設定 → 新規日程作成
   with 日程を表示する → the slot shows its Zoom URL and the emulator has the meeting.
3. Zoomアカウントの連携を解除する — Marketplace → Manage → Added Apps → Remove → 連携解除.
Screenshots of each step go to test-artifacts/screenshots/ (the README shows some of them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import requests

from tests.e2e.helpers import login, screenshot, set_up_authenticator
from tests.e2e.stack import Stack, demo_stack
from tests.e2e.zoom_pages import allow_on_zoom, remove_app_in_marketplace

pytestmark = pytest.mark.e2e

OPERATOR = "operator@e2rpro.example.com"
ADMIN = "admin@demo.example.com"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    # The guide starts before the operator has enabled Zoom for the company.
    disable_zoom = "from accounts.models import Company; Company.objects.update(zoom_enabled=False)"
    with demo_stack(tmp_path_factory.mktemp("guide-stack"), redis_db=9, setup=(disable_zoom,)) as stack:
        yield stack


def next_weekday(days_ahead: int) -> date:
    day = date.today() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def emulator_meetings(stack: Stack) -> list[dict]:
    return requests.get(f"{stack.emulator_url}/_emulator/state", timeout=10).json()["meetings"]


def wait_for_text(page, text: str, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in page.locator("main").inner_text():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{text!r} did not appear on {page.url}:\n{page.locator('main').inner_text()}"
            )
        time.sleep(1)
        page.reload()


def test_the_zoom_guide_as_written(page, stack):
    # Before the operator enables Zoom, the company sees 未利用 and whom to ask.
    login(page, ADMIN)
    page.goto("/web-interview/")
    main = page.locator("main").inner_text()
    assert "未利用" in main and "営業担当者へお問い合わせください" in main
    page.context.clear_cookies()

    # The operator switches Zoom on for the company in the Django admin. Operators sign in through the
    # product's login, and in production always with 2段階認証: the first time, they set it up.
    page.goto("/admin/login/?next=/admin/accounts/company/")
    page.wait_for_url("**/accounts/login/**")
    page.get_by_label("メールアドレス").fill(OPERATOR)
    page.get_by_label("パスワード").fill("demo-pass-2026")
    page.get_by_role("button", name="ログイン").click()
    set_up_authenticator(page)
    page.wait_for_url("**/admin/accounts/company/")
    page.locator("input[name$='-zoom_enabled']").first.check()
    page.locator("input[name=_save]").click()
    page.wait_for_load_state()
    screenshot(page, "guide-0-operator-enables-zoom")
    page.context.clear_cookies()

    # 1. (1)–(5): Web面接連携サービス → 認可待ち → 設定 → 認可開始 → Zoom sign-in as the admin → 連携中.
    login(page, ADMIN)
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="Web面接連携サービス"
    ).click()
    assert "認可待ち" in page.locator("main").inner_text()
    screenshot(page, "guide-1-services-awaiting")
    page.locator("main").get_by_role("link", name="設定").click()
    screenshot(page, "guide-1-zoom-settings")
    page.get_by_role("button", name="認可開始").click()
    screenshot(page, "guide-1-zoom-sign-in")
    allow_on_zoom(page)
    assert "連携中" in page.locator("h1").inner_text()
    assert "recruiter@demo.example.com" in page.locator("main").inner_text()
    screenshot(page, "guide-1-linked")

    # 2. (1)–(4): 選考会設定 → 日程設定 → 変更 → Zoom + Zoomユーザ選択 → 設定 → 新規日程作成.
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="選考会設定").click()
    page.locator("tr", has_text="一次面接").get_by_role("link", name="日程設定").click()
    event_block = page.locator("section", has_text="Web面接").last
    event_block.get_by_role("link", name="変更").click()
    page.get_by_label("Zoom", exact=True).check()
    host_select = page.get_by_label("Zoomユーザ選択")
    host_value = host_select.locator("option", has_text="recruiter@demo.example.com").get_attribute("value")
    host_select.select_option(host_value)
    screenshot(page, "guide-2-booking-behaviour-zoom")
    page.get_by_role("button", name="設定").click()
    assert "予約動作設定を保存しました。" in page.locator("main").inner_text()

    page.locator("section", has_text="Web面接").last.get_by_role("link", name="新規日程作成").click()
    day = next_weekday(14)
    page.get_by_label("日付").fill(day.isoformat())
    page.get_by_label("開始時刻").fill("10:00")
    page.get_by_label("定員").fill("3")
    page.get_by_label("日程を表示する").check()
    screenshot(page, "guide-2-new-slot")
    page.get_by_role("button", name="作成").click()
    wait_for_text(page, "発行済み")
    join_url = page.get_by_label("ZoomミーティングURL").input_value()
    assert join_url.startswith(f"{stack.emulator_url}/j/") and "?pwd=" in join_url
    screenshot(page, "guide-2-slot-issued")

    meetings = [m for m in emulator_meetings(stack) if str(m["id"]) in join_url]
    assert len(meetings) == 1
    # 10:00 in Tokyo is 01:00 UTC; Zoom answers in UTC with Z.
    assert meetings[0]["start_time"] == datetime.combine(day, datetime.min.time()).strftime(
        "%Y-%m-%dT01:00:00Z"
    )

    # 3. (1)–(3): Zoom App Marketplace → Manage → Added Apps → Remove → the product shows 連携解除.
    market = page.context.new_page()
    remove_app_in_marketplace(market, stack.emulator_url)
    page.goto("/web-interview/zoom/")
    wait_for_text(page, "連携解除日時", timeout=20)
    assert "認可開始" in page.locator("main").inner_text()
    screenshot(page, "guide-3-released")
