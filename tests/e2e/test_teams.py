"""Issue 16's "done when", in Chromium against the real stack: gunicorn with production settings, a Celery
worker and beat on Redis, PostgreSQL, and the local Microsoft (Entra ID + Graph, microsoft_emulator/) over
HTTP, posting Graph change notifications to the site.

An admin links the company's Microsoft 365 tenant (Web面接連携サービス → Microsoft Teams 認可待ち → 設定 →
認可開始 → sign-in and consent at Microsoft → admin consent for the organisation → 連携中 with the tenant's
users); a recruiter switches 一次面接 / Web面接 to Microsoft Teams with a host and creates a slot with
日程を表示する; the slot shows 発行済み and the Teams join URL, and the local Microsoft has exactly that one
meeting in the host's calendar. The meeting is moved on the host's Outlook calendar page behind the product's
back and the slot says so; the tenant's admin withdraws consent in the Entra admin center and the Teams page
shows エラー（再認可が必要） (the admins get a mail and a banner on every page)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import requests

from tests.e2e.helpers import login, screenshot, signed_in_page
from tests.e2e.stack import Stack, demo_stack, missing_requirements, wait_until

_missing = missing_requirements()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(_missing is not None, reason=f"end-to-end stack unavailable: {_missing}"),
]

ADMIN = "admin@demo.example.com"
RECRUITER = "recruiter@demo.example.com"
MS_ADMIN = "ms-admin@sample.example.com"
MS_PASSWORD = "ms-pass"
HOST = RECRUITER  # the recruiter is also a user of the Microsoft 365 tenant


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    with demo_stack(tmp_path_factory.mktemp("teams-stack"), redis_db=1, microsoft=True) as stack:
        yield stack


def next_weekday(days_ahead: int) -> date:
    day = date.today() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def emulator(stack: Stack, path: str) -> dict:
    response = requests.get(f"{stack.microsoft_url}/_emulator/{path}", timeout=10)
    response.raise_for_status()
    return response.json()


def wait_for_text(page, text: str, *, timeout: float = 30, where: str = "main") -> None:
    """Reload ``page`` until ``text`` shows in ``where`` (these pages do not poll by themselves)."""
    deadline = time.monotonic() + timeout
    while text not in page.locator(where).inner_text():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{text!r} did not appear on {page.url}:\n{page.locator('main').inner_text()}"
            )
        time.sleep(0.5)
        page.reload()


def sign_in_at_microsoft_if_asked(page) -> None:
    page.wait_for_load_state()
    if page.locator("input[type=password]").count():
        page.locator("input#email").fill(MS_ADMIN)
        page.locator("input#password").fill(MS_PASSWORD)
        page.get_by_role("button", name="サインイン").click()
        page.wait_for_load_state()


def accept_permissions(page) -> str:
    """On Microsoft's 要求されているアクセス許可 prompt: click 承諾; returns the prompt's text."""
    page.get_by_role("heading", name="要求されているアクセス許可").wait_for()
    prompt = page.locator("body").inner_text()
    page.get_by_role("button", name="承諾").click()
    return prompt


def test_an_admin_links_teams_a_slot_gets_a_teams_meeting_it_is_moved_and_consent_is_withdrawn(
    page, browser, stack
):
    # 1. The admin: Web面接連携サービス → Microsoft Teams 認可待ち → 設定 → 認可開始.
    login(page, ADMIN)
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="Web面接連携サービス"
    ).click()
    teams_row = page.locator("tr[data-service=teams]")
    assert "Microsoft Teams" in teams_row.inner_text() and "認可待ち" in teams_row.inner_text()
    teams_row.get_by_role("link", name="設定").click()
    assert "認可待ち" in page.locator("h1").inner_text()
    page.get_by_role("button", name="認可開始").click()

    # At Microsoft: sign in as the tenant's Global Administrator, consent to the sign-in, then grant admin
    # consent for the organisation; back on the site, 連携中 with the tenant's users.
    page.wait_for_url(f"{stack.microsoft_url}/**")
    sign_in_at_microsoft_if_asked(page)
    screenshot(page, "teams-1-consent")
    accept_permissions(page)
    page.wait_for_url(f"{stack.microsoft_url}/**")  # the site sends the admin on to admin consent
    assert "/v2.0/adminconsent" in page.url
    assert "組織全体を代表して" in accept_permissions(page)
    page.wait_for_url("**/web-interview/teams/")
    main = page.locator("main").inner_text()
    assert "Microsoft 365 テナントを連携しました。" in main
    assert "連携中" in page.locator("h1").inner_text()
    for email in (MS_ADMIN, RECRUITER, "interviewer@demo.example.com", "member@sample.example.com"):
        assert email in main
    assert "5a0e1c7d-3f42-4b8e-9d16-7c2b8e4f0a01" in main  # 株式会社サンプル's tenant id
    screenshot(page, "teams-2-linked")

    # 2. The recruiter: 一次面接 → 日程設定 → Web面接 → 変更 → Microsoft Teams + host → 設定.
    recruiter = signed_in_page(browser, stack.site_url, RECRUITER)
    recruiter.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="選考会設定").click()
    recruiter.locator("tr", has_text="一次面接").get_by_role("link", name="日程設定").click()
    schedule_url = recruiter.url.split("?")[0]
    web_event = recruiter.locator("section", has=recruiter.get_by_role("heading", name="Web面接", exact=True))
    web_event.get_by_role("link", name="変更").click()
    recruiter.get_by_label("Microsoft Teams", exact=True).check()
    host_select = recruiter.get_by_label("Microsoft Teamsユーザ選択")
    host_select.select_option(host_select.locator("option", has_text=HOST).first.get_attribute("value") or "")
    screenshot(recruiter, "teams-3-booking-behaviour")
    recruiter.get_by_role("button", name="設定").click()
    assert "予約動作設定を保存しました。" in recruiter.locator("main").inner_text()
    assert "Microsoft Teams" in web_event.inner_text() and HOST in web_event.inner_text()

    # 新規日程作成 with 日程を表示する: the slot shows 発行済み and the Teams join URL.
    web_event.get_by_role("link", name="新規日程作成").click()
    day = next_weekday(14)
    recruiter.get_by_label("日付").fill(day.isoformat())
    recruiter.get_by_label("開始時刻").fill("10:00")
    recruiter.get_by_label("日程を表示する").check()
    recruiter.get_by_role("button", name="作成").click()
    recruiter.wait_for_url("**/selection/slots/*/")
    slot_url = recruiter.url
    wait_for_text(recruiter, "発行済み", timeout=60)
    main = recruiter.locator("main").inner_text()
    assert "Microsoft Teams発行状況" in main and "Microsoft TeamsミーティングURL" in main
    join_url = recruiter.locator("input[id^=join-url-]").input_value()
    assert join_url.startswith(f"{stack.microsoft_url}/l/meetup-join/"), join_url
    screenshot(recruiter, "teams-4-slot-issued")

    # The meeting exists in the local Microsoft: one event with that Teams meeting on the host's calendar,
    # at 10:00 in Tokyo (01:00 UTC). Switching the event to Teams also gave its two demo slots a meeting each:
    # the host's calendar holds exactly one event per slot of 一次面接 / Web面接, none twice.
    ours = [e for e in emulator(stack, "events")["events"] if e["joinUrl"] == join_url]
    assert len(ours) == 1, ours
    event = ours[0]
    assert event["user"] == HOST and event["transactionId"]
    assert event["start"] == f"{day.isoformat()}T01:00:00Z"
    recruiter.goto(schedule_url)
    recruiter.wait_for_function(
        "() => !document.querySelector('[data-meeting-state=pending]')", timeout=60_000
    )
    slot_urls = sorted(web_event.locator("input[id^=join-url-]").evaluate_all("els => els.map(e => e.value)"))
    assert len(slot_urls) == 3 and join_url in slot_urls
    events = emulator(stack, "events")["events"]
    assert sorted(e["joinUrl"] for e in events) == slot_urls
    assert {e["user"] for e in events} == {HOST}
    assert len({e["transactionId"] for e in events}) == len(events)

    # The product subscribed to the host's calendar (the validation handshake reached the site).
    def host_subscribed() -> bool:
        subscriptions = emulator(stack, "subscriptions")["subscriptions"]
        return any(event["user_id"] in str(s.get("resource", "")) for s in subscriptions)

    wait_until(host_subscribed, timeout=30, message="a Graph subscription on the host's calendar")

    # 3. Behind the product's back, the meeting is moved on the host's Outlook calendar (as the tenant's
    # admin, already signed in at Microsoft in the admin's browser) to 11:30; the slot says so.
    outlook = page.context.new_page()
    outlook.goto(f"{stack.microsoft_url}/calendar?user={HOST}")
    sign_in_at_microsoft_if_asked(outlook)
    row = outlook.locator("tr", has=outlook.locator("form.move")).filter(has_text=event["start"])
    assert row.count() == 1
    assert "Teams 会議" in row.inner_text()
    row.locator("input[name=start_local]").fill(f"{day.isoformat()}T11:30")
    row.locator("select[name=timezone]").select_option("Tokyo Standard Time")
    row.get_by_role("button", name="時間を変更").click()
    outlook.get_by_text("予定の日時を変更しました。").wait_for()
    screenshot(outlook, "teams-5-moved-in-outlook")
    moved_event = next(e for e in emulator(stack, "events")["events"] if e["id"] == event["id"])
    assert moved_event["start"] == f"{day.isoformat()}T02:30:00Z"

    recruiter.goto(slot_url)
    moved = f"Microsoft Teams上で日時が変更されています（Microsoft Teams: {day:%Y/%m/%d} 11:30）"
    wait_for_text(recruiter, moved, timeout=30)
    assert f"{day:%Y/%m/%d}" in recruiter.locator("main").inner_text()
    assert "10:00–10:45" in recruiter.locator("main").inner_text()  # the slot itself keeps its time
    screenshot(recruiter, "teams-6-slot-moved")

    # 4. The tenant's admin withdraws consent in the Entra admin center; the Teams page shows the state and
    # the company's admins are told by mail.
    entra = page.context.new_page()
    entra.goto(f"{stack.microsoft_url}/admin")
    sign_in_at_microsoft_if_asked(entra)
    assert "e2RPRO" in entra.locator("body").inner_text()
    entra.get_by_role("button", name="アクセス許可を取り消す").click()
    entra.get_by_text("アプリのアクセス許可を取り消しました。").wait_for()

    page.goto("/web-interview/teams/")
    wait_for_text(page, "エラー（再認可が必要）", timeout=30, where="h1")
    main = page.locator("main").inner_text()
    assert "Microsoftが連携を受け付けなくなりました。" in main
    assert page.get_by_role("button", name="認可開始").count() == 1
    screenshot(page, "teams-7-consent-withdrawn")
    stack.mail.wait_for(
        lambda m: ADMIN in str(m["To"]) and "Microsoft Teams連携の再認可が必要です" in str(m["Subject"]),
        timeout=30,
    )

    page.goto("/web-interview/")
    assert "エラー（再認可が必要）" in page.locator("tr[data-service=teams]").inner_text()
    page.goto("/")  # every page tells the admins
    banner = page.get_by_role("alert").filter(
        has_text="Microsoft Teams連携が「エラー（再認可が必要）」の状態です"
    )
    assert banner.count() == 1
