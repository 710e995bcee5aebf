"""Issue 15's "done when" in Chromium on the real stack (gunicorn, a Celery worker on Redis, PostgreSQL, the
Zoom emulator over HTTP): after `seed_demo` an admin links Zoom and a recruiter switches 一次面接 / Web面接 to
Zoom; the recruiter creates four weeks of weekday slots at once, the preview lists the 祝日 it skips, and the
日程設定 page counts the meetings up to "N/N 発行済み" without being reloaded; the recruiter records 出欠 of
yesterday's interview and finds it, with the selection funnel, on the レポート page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import jpholiday
import pytest
import requests

from tests.e2e.helpers import screenshot, signed_in_page
from tests.e2e.stack import Stack, demo_stack, missing_requirements
from tests.e2e.zoom_pages import allow_on_zoom

_missing = missing_requirements()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(_missing is not None, reason=f"end-to-end stack unavailable: {_missing}"),
]

TOKYO = ZoneInfo("Asia/Tokyo")
ISSUE_LATENCY = 0.4  # seconds the local Zoom takes per answer, so issuance is slow enough to be watched


@pytest.fixture(scope="module")
def calendar_stack(tmp_path_factory) -> Iterator[Stack]:
    with demo_stack(tmp_path_factory.mktemp("calendar-stack"), redis_db=3) as stack:
        yield stack


def signed_in(browser, stack: Stack, email: str):
    return signed_in_page(browser, stack.site_url, email)


def four_weeks_around_a_holiday(today: date) -> tuple[date, date, list[tuple[date, str]]]:
    """A 28-day range starting after today that holds at least one 祝日 on a weekday, and those 祝日."""
    day = today + timedelta(days=10)
    while not (jpholiday.is_holiday(day) and day.weekday() < 5):
        day += timedelta(days=1)
    start = max(today + timedelta(days=1), day - timedelta(days=14))
    end = start + timedelta(days=27)
    holidays = [
        (start + timedelta(days=n), jpholiday.is_holiday_name(start + timedelta(days=n)))
        for n in range(28)
        if jpholiday.is_holiday(start + timedelta(days=n)) and (start + timedelta(days=n)).weekday() < 5
    ]
    return start, end, holidays


def section_of(page, heading: str):
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def progress(page) -> tuple[int, int]:
    issued = page.locator("[data-progress=issued]").first.inner_text()
    total = page.locator("[data-progress=total]").first.inner_text()
    return int(issued), int(total)


def test_a_month_of_zoom_slots_skips_holidays_is_issued_live_and_attendance_reaches_the_reports(
    calendar_stack, browser
):
    stack = calendar_stack
    admin = signed_in(browser, stack, "admin@demo.example.com")
    admin.goto("/web-interview/zoom/")
    admin.get_by_role("button", name="認可開始").click()
    allow_on_zoom(admin)
    assert "連携中" in admin.locator("main").inner_text()

    recruiter = signed_in(browser, stack, "recruiter@demo.example.com")
    recruiter.goto("/selection/")
    recruiter.locator("tr", has_text="一次面接").get_by_role("link", name="日程設定").click()
    schedule_url = recruiter.url.split("?")[0]
    section_of(recruiter, "Web面接").get_by_role("link", name="変更").click()
    recruiter.get_by_label("Zoom", exact=True).check()
    host = recruiter.get_by_label("Zoomユーザ選択")
    host.select_option(
        next(
            option.get_attribute("value")
            for option in host.locator("option").all()
            if "recruiter@demo.example.com" in option.inner_text()
        )
    )
    recruiter.get_by_role("button", name="設定").click()

    # まとめて作成: four weeks of weekdays at 10:00; the preview names each 祝日 it leaves out.
    requests.post(f"{stack.emulator_url}/_emulator/config", json={"latency": ISSUE_LATENCY}, timeout=10)
    today = datetime.now(TOKYO).date()
    start, end, holidays = four_weeks_around_a_holiday(today)
    recruiter.goto(schedule_url)
    section_of(recruiter, "Web面接").get_by_role("link", name="まとめて作成").click()
    recruiter.get_by_label("開始日").fill(start.isoformat())
    recruiter.get_by_label("終了日").fill(end.isoformat())
    recruiter.get_by_label("開始時刻").fill("10:00")
    recruiter.get_by_role("button", name="プレビュー").click()
    skipped = recruiter.locator("[data-closed-skipped]").inner_text()
    for day, name in holidays:
        assert day.strftime("%Y/%m/%d") in skipped and name in skipped
    weekdays = sum(1 for n in range(28) if (start + timedelta(days=n)).weekday() < 5)
    expected = weekdays - len(holidays)
    assert f"{expected}件の日程を作成します" in recruiter.locator("main").inner_text()
    screenshot(recruiter, "calendar-1-bulk-preview-skips-holidays")
    recruiter.get_by_role("button", name="この内容で作成").click()
    recruiter.get_by_text(f"{expected}件の日程を作成しました。").wait_for()

    # The progress counts up on this page by itself (the page is never reloaded).
    recruiter.evaluate("window.__samePage = true")
    issued, total = progress(recruiter)
    assert total >= expected and issued < total
    recruiter.wait_for_function(
        "() => window.__samePage === true && "
        "document.querySelector('[data-progress=issued]').textContent === "
        "document.querySelector('[data-progress=total]').textContent",
        timeout=120_000,
    )
    assert progress(recruiter)[0] == total
    web = section_of(recruiter, "Web面接")
    recruiter.wait_for_function(  # and each slot's own state and URL follow, still on the same page
        "() => window.__samePage === true && !document.querySelector('[data-meeting-state=pending]')",
        timeout=30_000,
    )
    assert web.locator("[data-meeting-state=issued]").count() == min(total, 20)
    assert web.locator("input[id^=join-url-]").count() == min(total, 20)
    screenshot(recruiter, "calendar-2-issued-live")
    requests.post(f"{stack.emulator_url}/_emulator/config", json={"latency": 0}, timeout=10)
    meetings = requests.get(f"{stack.emulator_url}/_emulator/state", timeout=10).json()["meetings"]
    created = [m for m in meetings if m["start_time"][:10] >= start.isoformat()]
    assert len(created) >= expected
    assert not any(
        datetime.fromisoformat(m["start_time"].replace("Z", "+00:00")).astimezone(TOKYO).date() == day
        for m in meetings
        for day, _ in holidays
    )

    # 出欠 of yesterday's 対面面接 (two applicants) from the slot page.
    recruiter.goto(f"{schedule_url}?past=1")
    yesterday = (today - timedelta(days=1)).strftime("%Y/%m/%d")
    section_of(recruiter, "対面面接").locator("tbody", has_text=yesterday).get_by_role(
        "link", name="詳細"
    ).first.click()
    recruiter.get_by_label("山本 大輔 さんの出欠").select_option(label="出席")
    recruiter.get_by_label("松本 彩 さんの出欠").select_option(label="無断欠席")
    recruiter.get_by_role("button", name="出欠を保存").click()
    recruiter.get_by_text(re.compile("出欠を記録しました")).wait_for()
    assert recruiter.get_by_label("松本 彩 さんの出欠").input_value() == "no_show"

    # レポート: the funnel with its chart and table, and the attendance just recorded.
    recruiter.get_by_role("link", name="レポート").first.click()
    funnel = recruiter.locator("section", has=recruiter.get_by_role("heading", name="選考ファネル"))
    assert funnel.locator("svg").count() >= 1
    reached = [int(cell) for cell in funnel.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert reached and reached[0] > 0 and reached == sorted(reached, reverse=True)
    attendance = recruiter.locator("section", has=recruiter.get_by_role("heading", name="面接の実施と出欠"))
    headers = attendance.locator("thead th").all_inner_texts()
    row = attendance.locator("tbody tr", has_text="一次面接")
    values = [row.locator("th").inner_text(), *row.locator("td").all_inner_texts()]
    cells = dict(zip(headers, values, strict=True))
    assert (cells["出席"], cells["無断欠席"]) == ("1", "1")
    screenshot(recruiter, "calendar-3-reports")
