"""The issue's "done when" in Chromium against the real stack (gunicorn, a Celery worker on Redis,
PostgreSQL, the Zoom emulator over HTTP and an SMTP server): after `seed_demo`, an admin links Zoom, a
recruiter switches 一次面接 / Web面接 to Zoom; the demo applicant opens the link from the 日程選択案内 mail
on a phone, books a Zoom slot and receives the confirmation with the join URL and an invite; the recruiter
moves the slot and the applicant receives the change with the new time and an updated invite. No mail
carries a start URL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import icalendar
import pytest

from tests.e2e.helpers import screenshot, signed_in_page
from tests.e2e.stack import Stack, demo_stack, missing_requirements
from tests.e2e.zoom_pages import allow_on_zoom

_missing = missing_requirements()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(_missing is not None, reason=f"end-to-end stack unavailable: {_missing}"),
]

APPLICANT = "sakura.takahashi@demo-applicant.example.jp"
START_URL = re.compile(r"zak=|/s/\d")


@pytest.fixture(scope="module")
def booking_stack(tmp_path_factory) -> Iterator[Stack]:
    with demo_stack(tmp_path_factory.mktemp("booking-stack"), redis_db=5) as stack:
        yield stack


@pytest.fixture(scope="module")
def chromium(browser):
    return browser


def signed_in(browser, stack: Stack, email: str):
    return signed_in_page(browser, stack.site_url, email)


def calendar_of(message) -> icalendar.Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


def to_applicant(subject_part: str):
    return lambda m: APPLICANT in str(m["To"]) and subject_part in str(m["Subject"])


def test_the_applicant_books_a_zoom_slot_from_the_mail_and_gets_the_recruiters_move(booking_stack, chromium):
    stack = booking_stack
    invitation = stack.mail.wait_for(to_applicant("日程のご案内"))
    link = re.search(
        r"(http://127\.0\.0\.1:\d+/b/\S+/)", invitation.get_body(("plain",)).get_content()
    ).group(1)

    admin = signed_in(chromium, stack, "admin@demo.example.com")
    admin.goto("/web-interview/zoom/")
    admin.get_by_role("button", name="認可開始").click()
    allow_on_zoom(admin)
    assert "連携中" in admin.locator("main").inner_text()

    recruiter = signed_in(chromium, stack, "recruiter@demo.example.com")
    recruiter.goto("/selection/")
    recruiter.locator("main").get_by_role("link", name=re.compile("日程設定")).nth(1).click()
    schedule_url = recruiter.url
    web = recruiter.locator("section", has=recruiter.get_by_role("heading", name="Web面接", exact=True))
    web.get_by_role("link", name="変更").click()
    recruiter.get_by_label("Zoom", exact=True).check()
    host = recruiter.get_by_label("Zoomユーザ選択")
    value = next(
        option.get_attribute("value")
        for option in host.locator("option").all()
        if "recruiter@demo.example.com" in option.inner_text()
    )
    host.select_option(value)
    recruiter.get_by_role("button", name="設定").click()
    for _ in range(40):  # the worker issues the meetings
        recruiter.goto(schedule_url)
        web = recruiter.locator("section", has=recruiter.get_by_role("heading", name="Web面接", exact=True))
        if web.locator("[data-meeting-state=issued]").count() == 2:
            break
        recruiter.wait_for_timeout(500)
    assert web.locator("[data-meeting-state=issued]").count() == 2

    phone = chromium.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, is_mobile=True
    ).new_page()
    phone.set_default_timeout(20_000)
    phone.goto(link)
    screenshot(phone, "booking-1-applicant-link-phone")
    card = phone.locator("section.booking-card", has_text="Web面接").filter(has_text="オンライン（Zoom）")
    card.get_by_role("link", name="この日程を選ぶ").first.click()
    phone.get_by_role("button", name="この日程で予約する").click()
    phone.get_by_text("ご予約が完了しました").wait_for()
    screenshot(phone, "booking-2-confirmed-phone")
    shown = phone.locator("main").inner_text()
    join_url = re.search(r"(http://127\.0\.0\.1:\d+/j/\S+)", shown).group(1)

    confirmation = stack.mail.wait_for(to_applicant("ご予約完了"))
    body = confirmation.get_body(("plain",)).get_content()
    assert join_url in body and "パスコード:" in body
    calendar = calendar_of(confirmation)
    [event] = calendar.walk("VEVENT")
    assert (
        calendar["METHOD"] == "REQUEST"
        and event.decoded("SEQUENCE") == 0
        and str(event["LOCATION"]) == join_url
    )

    # the recruiter moves the slot to 16:30 the same day
    recruiter.goto(schedule_url)
    web = recruiter.locator("section", has=recruiter.get_by_role("heading", name="Web面接", exact=True))
    web.get_by_role("link", name="詳細").first.click()
    if "高橋 さくら" not in recruiter.locator("main").inner_text():
        recruiter.go_back()
        web.get_by_role("link", name="詳細").nth(1).click()
    recruiter.locator(".page-header a[href$='/edit/']").click()  # 日程の変更
    recruiter.locator("input[name=start_time]").fill("16:30")
    recruiter.locator("input[name=end_time]").fill("17:15")
    recruiter.locator("main form button[type=submit]").first.click()
    recruiter.get_by_text("日程を変更しました").wait_for()

    change = stack.mail.wait_for(to_applicant("予約内容変更"))
    body = change.get_body(("plain",)).get_content()
    assert "16:30〜17:15" in body and "変更前の日時" in body and join_url in body
    [event] = calendar_of(change).walk("VEVENT")
    assert event.decoded("SEQUENCE") == 1 and event.decoded("DTSTART").strftime("%H:%M") == "16:30"
    phone.reload()
    assert "16:30〜17:15" in phone.locator("main").inner_text()

    for message in stack.mail.messages:
        assert not START_URL.search(message.as_string()), message["Subject"]
