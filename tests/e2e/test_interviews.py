"""Interviews walked in Chromium on the real stack (gunicorn, Celery on Redis, PostgreSQL, an SMTP sink).

The 面接官 evaluates on a phone from マイ面接, the recruiter compares the evaluations on the applicant page
and decides 合格, and the applicant's 合格通知 arrives by mail. It starts from `make demo`'s data
(interviews/demo.py): 松本 彩 was interviewed yesterday and the 面接官 still owes the evaluation."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import screenshot, sign_in_with_password

pytestmark = pytest.mark.e2e

INTERVIEWER = "interviewer@demo.example.com"
RECRUITER = "recruiter@demo.example.com"
APPLICANT = "aya.matsumoto@demo-applicant.example.jp"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def new_page(browser, stack, **options):
    page = browser.new_context(base_url=stack.site_url, locale="ja-JP", **options).new_page()
    page.set_default_timeout(20_000)
    return page


def test_an_interviewer_evaluates_on_a_phone_and_the_recruiter_decides_and_the_applicant_is_told(
    browser, stack
):
    # The 面接官, on a phone: マイ面接 lists the evaluation they owe.
    phone = new_page(browser, stack, **PHONE)
    sign_in_with_password(phone, INTERVIEWER)
    phone.wait_for_url("**/")
    phone.goto("/interviews/mine/")
    due = phone.locator("[data-evaluations-due]")
    assert "松本 彩" in due.inner_text()
    due.get_by_role("link", name="松本 彩").click()
    for fieldset in phone.locator("fieldset.eval-item").all():
        fieldset.locator("label.eval-option").nth(3).click()  # 4 on each 5段階 item
    phone.locator("label.eval-option", has_text="B: 採用してよい").click()
    phone.get_by_label("コメント").fill(
        "落ち着いて受け答えできていました。次の面接で志望動機を深掘りしたい。"
    )
    assert phone.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )  # no sideways scroll
    screenshot(phone, "interviews-evaluate-on-a-phone")
    phone.get_by_role("button", name="提出する").click()
    assert "評価を提出しました。" in phone.locator("main").inner_text()

    # The recruiter compares both evaluations side by side and decides 合格 with the notice sent now.
    desk = new_page(browser, stack)
    sign_in_with_password(desk, RECRUITER)
    desk.wait_for_url("**/")
    desk.goto("/applicants/?q=松本")
    desk.get_by_role("link", name="松本 彩").first.click()
    main = desk.locator("main").inner_text()
    assert "主体性のある経験談が印象的でした。" in main  # the recruiter's own evaluation (demo)
    assert "落ち着いて受け答えできていました。" in main  # the 面接官's, just submitted
    screenshot(desk, "interviews-evaluations-side-by-side")
    desk.get_by_role("link", name="合否を判定").first.click()
    desk.get_by_label("合格", exact=True).check()
    desk.get_by_label("今すぐ送信").check()
    desk.get_by_role("button", name="判定を登録").click()
    assert "「合格」と判定しました。" in desk.locator("main").inner_text()

    # The applicant's 合格通知 arrives, once.
    message = stack.mail.wait_for(
        lambda m: APPLICANT in str(m["To"]) and "選考結果のご連絡" in str(m["Subject"]), timeout=60
    )
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "松本 彩 様" in body and "次の選考へお進みいただく" in body
