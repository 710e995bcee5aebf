"""Issue 17's "done when", in Chromium against the real stack: gunicorn with production settings, a Celery
worker and beat on Redis, PostgreSQL, and the local Google (OAuth 2.0 + Calendar v3 + Meet,
google_emulator/) over HTTP, posting Calendar push notifications to the site.

An admin starts Google Meet for the company (Web面接連携サービス → Google Meet 認可待ち → 設定 → 利用開始 →
連携中); a host (the recruiter) connects their own Google account from マイ面接 (Googleアカウント連携 →
Googleアカウントを連携 → sign-in and consent at Google → 連携中); the recruiter switches 一次面接 / Web面接 to
Google Meet with that host and creates a slot with 日程を表示する: the slot shows 発行済み and the Meet URL,
and the host's Google Calendar holds exactly one event with that Meet per slot. The event is moved on the
host's Google Calendar page behind the product's back and the slot says so; the host removes the app's access
on Google's access page, and a new slot waits (発行待ち) saying the host must connect again."""

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
HOST = RECRUITER  # the recruiter also has an account in 株式会社サンプル's Google Workspace
GOOGLE_PASSWORD = "google-pass"  # every seeded Google user's (docs/google-emulator.md)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    with demo_stack(tmp_path_factory.mktemp("google-stack"), redis_db=2, google=True) as stack:
        yield stack


def next_weekday(days_ahead: int) -> date:
    day = date.today() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def emulator(stack: Stack, path: str) -> dict:
    response = requests.get(f"{stack.google_url}/_emulator/{path}", timeout=10)
    response.raise_for_status()
    return response.json()


def host_events(stack: Stack) -> list[dict]:
    """The host's events at Google that are not cancelled."""
    return [e for e in emulator(stack, f"events?user={HOST}")["events"] if e["status"] != "cancelled"]


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


def sign_in_at_google_if_asked(page, email: str) -> None:
    page.wait_for_load_state()
    if page.locator("input[type=password]").count():
        page.locator("input#email").fill(email)
        page.locator("input#password").fill(GOOGLE_PASSWORD)
        page.get_by_role("button", name="サインイン").click()
        page.wait_for_load_state()


def create_shown_slot(page, web_event, day: date, start: str) -> str:
    """新規日程作成 on the Web面接 event with 日程を表示する; returns the new slot's URL."""
    web_event.get_by_role("link", name="新規日程作成").click()
    page.get_by_label("日付").fill(day.isoformat())
    page.get_by_label("開始時刻").fill(start)
    page.get_by_label("日程を表示する").check()
    page.get_by_role("button", name="作成").click()
    page.wait_for_url("**/selection/slots/*/")
    return page.url


def test_an_admin_starts_google_meet_a_host_connects_a_slot_gets_a_meet_it_is_moved_and_access_revoked(
    page, browser, stack
):
    # 1. The admin: Web面接連携サービス → Google Meet 認可待ち → 設定 → 利用開始 → 連携中.
    login(page, ADMIN)
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="Web面接連携サービス"
    ).click()
    google_row = page.locator("tr[data-service=google]")
    assert "Google Meet" in google_row.inner_text() and "認可待ち" in google_row.inner_text()
    google_row.get_by_role("link", name="設定").click()
    assert "認可待ち" in page.locator("h1").inner_text()
    page.get_by_role("button", name="利用開始").click()
    page.wait_for_url("**/web-interview/google/")
    assert "連携中" in page.locator("h1").inner_text()
    main = page.locator("main").inner_text()
    assert "Google Meetの利用を開始しました。" in main
    assert "Googleアカウントを連携したホストはまだいません。" in main
    screenshot(page, "google-1-enabled")

    # 2. The host (the recruiter): マイ面接 → Googleアカウント連携 → Googleアカウントを連携 → sign in at
    # Google and 許可 on the consent screen → back on the site, connected.
    recruiter = signed_in_page(browser, stack.site_url, RECRUITER)
    recruiter.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="マイ面接").click()
    recruiter.get_by_role("link", name="Googleアカウント連携").click()
    recruiter.wait_for_url("**/web-interview/google/connect/")
    recruiter.get_by_role("button", name="Googleアカウントを連携").click()
    recruiter.wait_for_url(f"{stack.google_url}/**")
    sign_in_at_google_if_asked(recruiter, HOST)
    recruiter.get_by_role(
        "heading", name="e2RPRO が Google アカウントへのアクセスをリクエストしています"
    ).wait_for()
    assert "calendar.events" in recruiter.locator("body").inner_text()  # the narrow Calendar scope
    screenshot(recruiter, "google-2-consent")
    recruiter.get_by_role("button", name="許可 (Allow)").click()
    recruiter.wait_for_url("**/web-interview/google/connect/")
    assert f"Googleアカウント（{HOST}）を連携しました。" in recruiter.locator("main").inner_text()
    assert "連携中" in recruiter.locator("h1").inner_text()
    screenshot(recruiter, "google-3-connected")

    # The admin's page lists the host's Google account as 連携中.
    page.reload()
    grant_row = page.locator("tr[data-google-grant]", has_text=HOST)
    assert grant_row.count() == 1 and "連携中" in grant_row.inner_text()

    # 3. The recruiter: 一次面接 → 日程設定 → Web面接 → 変更 → Google Meet + host → 設定.
    recruiter.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="選考会設定").click()
    recruiter.locator("tr", has_text="一次面接").get_by_role("link", name="日程設定").click()
    schedule_url = recruiter.url.split("?")[0]
    web_event = recruiter.locator("section", has=recruiter.get_by_role("heading", name="Web面接", exact=True))
    web_event.get_by_role("link", name="変更").click()
    recruiter.get_by_label("Google Meet", exact=True).check()
    host_select = recruiter.get_by_label("Google Meetユーザ選択")
    host_select.select_option(host_select.locator("option", has_text=HOST).first.get_attribute("value") or "")
    screenshot(recruiter, "google-4-booking-behaviour")
    recruiter.get_by_role("button", name="設定").click()
    assert "予約動作設定を保存しました。" in recruiter.locator("main").inner_text()
    assert "Google Meet" in web_event.inner_text() and HOST in web_event.inner_text()

    # 新規日程作成 with 日程を表示する: the slot shows 発行済み and the Meet URL.
    day = next_weekday(14)
    slot_url = create_shown_slot(recruiter, web_event, day, "10:00")
    wait_for_text(recruiter, "発行済み", timeout=60)
    main = recruiter.locator("main").inner_text()
    assert "Google Meet発行状況" in main and "Google MeetミーティングURL" in main
    join_url = recruiter.locator("input[id^=join-url-]").input_value()
    assert join_url.startswith(f"{stack.google_url}/"), join_url
    screenshot(recruiter, "google-5-slot-issued")

    # The host's Google Calendar holds exactly one event with that Meet, at 10:00 in Tokyo (01:00 UTC).
    # Switching the event to Google Meet also gave its demo slots a Meet each: every slot of 一次面接 /
    # Web面接 has its own event, none twice.
    ours = [e for e in host_events(stack) if e["meetUrl"] == join_url]
    assert len(ours) == 1, ours
    event = ours[0]
    assert event["user"] == HOST and event["requestId"]
    assert event["start"] == f"{day.isoformat()}T01:00:00Z"
    recruiter.goto(schedule_url)
    recruiter.wait_for_function(
        "() => !document.querySelector('[data-meeting-state=pending]')", timeout=60_000
    )
    slot_urls = sorted(web_event.locator("input[id^=join-url-]").evaluate_all("els => els.map(e => e.value)"))
    assert len(slot_urls) >= 2 and join_url in slot_urls and len(set(slot_urls)) == len(slot_urls)
    events = host_events(stack)
    assert sorted(e["meetUrl"] for e in events) == slot_urls
    assert len({e["id"] for e in events}) == len(events)
    assert all(e["status"] != "cancelled" for e in emulator(stack, f"events?user={HOST}")["events"])

    # The product opened a watch channel on the host's calendar, pointed at the site (its sync message
    # reached /google/notifications/).
    def host_watched() -> bool:
        return any(
            c["user"] == HOST and c["live"] and c["address"] == f"{stack.site_url}/google/notifications/"
            for c in emulator(stack, "channels")["channels"]
        )

    wait_until(host_watched, timeout=30, message="a watch channel on the host's Google Calendar")

    # 4. Behind the product's back, the host moves the event on their Google Calendar page (signed in at
    # Google since the consent) to 11:30; the slot says so.
    calendar = recruiter.context.new_page()
    calendar.goto(f"{stack.google_url}/calendar")
    sign_in_at_google_if_asked(calendar, HOST)
    row = calendar.locator("tr", has=calendar.locator("code", has_text=event["id"]))
    assert row.count() == 1
    assert "Google Meet" in row.inner_text()
    move = row.locator("form.move", has=calendar.locator("input[name=start_local]"))
    move.locator("input[name=start_local]").fill(f"{day.isoformat()}T11:30")
    move.get_by_role("button", name="開始を変更 (Set start)").click()
    calendar.get_by_text("予定を移動しました。").wait_for()
    screenshot(calendar, "google-6-moved-in-google-calendar")
    moved_event = next(e for e in host_events(stack) if e["id"] == event["id"])
    assert moved_event["start"] == f"{day.isoformat()}T02:30:00Z"

    recruiter.goto(slot_url)
    moved = f"Google Meet上で日時が変更されています（Google Meet: {day:%Y/%m/%d} 11:30）"
    wait_for_text(recruiter, moved, timeout=30)
    assert "10:00–10:45" in recruiter.locator("main").inner_text()  # the slot itself keeps its time
    screenshot(recruiter, "google-7-slot-moved")

    # 5. The host removes e2RPRO's access on Google's access page; the next slot waits with the reason.
    access = recruiter.context.new_page()
    access.goto(f"{stack.google_url}/admin")
    sign_in_at_google_if_asked(access, HOST)
    assert "e2RPRO" in access.locator("body").inner_text()
    access.get_by_role("button", name="アクセス権を削除 (Remove access)").click()
    access.get_by_text("アクセス権を削除しました。").wait_for()
    events_before = host_events(stack)

    recruiter.goto(schedule_url)
    later_url = create_shown_slot(recruiter, web_event, day, "14:00")
    reason = f"ホストのGoogleアカウントの再連携が必要です（{HOST}）。"
    wait_for_text(recruiter, reason, timeout=60)
    # The banner names the grant as soon as it is marked; the slot's own status follows once its wait is
    # stored (a moment later, in the issuing task): wait for the slot's words too.
    wait_for_text(recruiter, "再連携後に自動で再開します。", timeout=60)
    status = recruiter.locator("[data-meeting-state]")
    assert status.get_attribute("data-meeting-state") == "pending" and status.inner_text() == "発行待ち"
    main = recruiter.locator("main").inner_text()
    assert "ホストが「Googleアカウントを連携」からもう一度連携してください。" in main
    assert "再連携後に自動で再開します。" in main
    assert recruiter.locator("input[id^=join-url-]").count() == 0
    # The event's host problem says the same (connect again), not "choose another host".
    alert = recruiter.get_by_role("alert").filter(has_text=reason)
    assert alert.count() == 1 and "選び直してください" not in alert.inner_text()
    screenshot(recruiter, "google-8-slot-waits")
    assert recruiter.url == later_url
    assert host_events(stack) == events_before  # nothing was made at Google for it

    # The host's connect page and the admin's Google Meet page show the grant needs connecting again, and
    # the host and the admins are told by mail.
    recruiter.goto("/web-interview/google/connect/")
    assert "エラー" in recruiter.locator("h1").inner_text()
    assert reason in recruiter.locator("main").inner_text()
    assert recruiter.get_by_role("button", name="Googleアカウントを再連携").count() == 1
    page.reload()
    assert "エラー" in page.locator("tr[data-google-grant]", has_text=HOST).inner_text()
    assert "再連携が必要なGoogleアカウントが 1 件あります。" in page.locator("main").inner_text()
    screenshot(page, "google-9-grant-error")
    mail = stack.mail.wait_for(
        lambda m: "Googleアカウントの再連携が必要です" in str(m["Subject"]), timeout=30
    )
    assert HOST in str(mail["To"]) and ADMIN in str(mail["To"])
