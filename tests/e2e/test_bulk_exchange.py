"""Issue 14's "done when" in Chromium on the real stack (gunicorn, a Celery worker on Redis,
PostgreSQL, an SMTP server): a recruiter imports a job site's .xlsx export whose headers are not
ours, maps its columns once and saves the mapping as a preset for マイナビ; the site's next export
imports with that preset by itself; the recruiter then sends 日程選択案内 to every imported
applicant as one background job, and each of them gets their own mail, once. A large export (more than
the stack's inline limit of two rows) is written by the worker and downloaded from its page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from tests.e2e.helpers import screenshot, signed_in_page
from tests.e2e.stack import Stack, demo_stack, missing_requirements

_missing = missing_requirements()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(_missing is not None, reason=f"end-to-end stack unavailable: {_missing}"),
]

# A job site's export: none of these headers is ours. Cells as people type them (full-width digits, a long
# dash, 和暦, "27卒").
SITE_HEADER = ["会員番号", "お名前", "よみがな", "連絡先メール", "携帯", "エントリー日付", "卒業年度"]
MAPPING = {
    "お名前": "氏名",
    "よみがな": "フリガナ",
    "連絡先メール": "メールアドレス",
    "携帯": "電話番号",
    "エントリー日付": "応募日",
    "卒業年度": "卒業年",
}
FIRST_EXPORT = [
    [
        "000101",
        "取込 一郎",
        "とりこみ いちろう",
        "ichiro@site.example.jp",
        "０９０ー１１１１ー０００１",
        "R8.4.1",
    ],
    ["000102", "取込 二郎", "とりこみ じろう", "jiro@site.example.jp", "080-2222-0002", "令和8年4月2日"],
]
SECOND_EXPORT = [
    ["000103", "取込 三子", "とりこみ みつこ", "mitsuko@site.example.jp", "07033330003", "2026/4/3"],
]
GRADUATION = ["27卒", "2027年卒", "２０２７年卒"]


@pytest.fixture(scope="module")
def exchange_stack(tmp_path_factory) -> Iterator[Stack]:
    # Exports of more than two applicants run as background jobs here.
    with demo_stack(
        tmp_path_factory.mktemp("exchange-stack"),
        redis_db=11,
        extra_env={"APPLICANT_EXPORT_INLINE_MAX_ROWS": "2"},
    ) as stack:
        yield stack


def site_export(path: Path, rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(SITE_HEADER)
    for row in rows:
        sheet.append([*row, GRADUATION[int(row[0]) % len(GRADUATION)]])  # each way of writing it
    book.save(path)
    return path


def upload(page, path: Path) -> None:
    page.goto("/applicants/import/")
    page.get_by_label("ファイル（CSV・Excel）").set_input_files(str(path))
    page.get_by_role("button", name="チェックする").click()


def wait_for_text(page, text: str, *, timeout: float = 60_000) -> None:
    """The import page follows its background job by itself (polling, or a reload without JS)."""
    page.locator("main").get_by_text(text).first.wait_for(timeout=timeout)


def test_an_xlsx_export_imports_through_a_saved_mapping_and_the_imported_get_their_invitations(
    exchange_stack, browser, tmp_path
):
    stack = exchange_stack
    recruiter = signed_in_page(browser, stack.site_url, "recruiter@demo.example.com")

    # The first export: its headers are unknown, so the columns are mapped once and saved for マイナビ.
    upload(recruiter, site_export(tmp_path / "entries-1.xlsx", FIRST_EXPORT))
    wait_for_text(recruiter, "列の対応")
    for header, field in MAPPING.items():
        recruiter.get_by_label(header, exact=True).select_option(label=field)
    mapping = recruiter.locator("#mapping")
    mapping.get_by_label("応募経路").select_option(label="マイナビ")
    mapping.get_by_label("取り込み設定として保存する名前").fill("求人サイト形式")
    screenshot(recruiter, "exchange-1-column-mapping")
    mapping.get_by_role("button", name="この対応でチェックし直す").click()
    wait_for_text(recruiter, "2名を取り込む")
    recruiter.get_by_role("button", name="2名を取り込む").click()
    wait_for_text(recruiter, "2名を取り込みました。")

    # The next export of the same site: the saved mapping applies by itself; one click imports it.
    upload(recruiter, site_export(tmp_path / "entries-2.xlsx", SECOND_EXPORT))
    wait_for_text(recruiter, "1名を取り込む")
    assert "求人サイト形式" in recruiter.locator("main").inner_text()
    recruiter.get_by_role("button", name="1名を取り込む").click()
    wait_for_text(recruiter, "1名を取り込みました。")

    recruiter.goto("/applicants/?q=取込")
    listed = recruiter.locator("main").inner_text()
    assert all(name in listed for name in ("取込 一郎", "取込 二郎", "取込 三子"))
    recruiter.get_by_role("link", name="取込 一郎").click()
    shown = recruiter.locator("main").inner_text()
    assert "090-1111-0001" in shown and "マイナビ" in shown and "2027" in shown
    assert "2026/04/01" in shown  # R8.4.1

    # 日程選択案内 to everyone the search finds, as one background job.
    recruiter.goto("/applicants/?q=取込")
    recruiter.get_by_label(re.compile("検索結果のすべて（3名）")).check()
    recruiter.get_by_label("一括操作", exact=True).select_option(label="日程選択案内を送る")
    recruiter.get_by_role("button", name="一括操作へ進む").click()
    recruiter.get_by_label("案内するイベント").select_option(label="一次面接 / Web面接")
    recruiter.get_by_role("button", name="3名を対象に開始").click()
    recruiter.locator("main").get_by_text("3/3").first.wait_for(timeout=60_000)
    screenshot(recruiter, "exchange-2-invitation-job")

    for address in ("ichiro@site.example.jp", "jiro@site.example.jp", "mitsuko@site.example.jp"):
        invitation = stack.mail.wait_for(
            lambda m, to=address: to in str(m["To"]) and "日程のご案内" in str(m["Subject"]), timeout=60
        )
        body = invitation.get_body(("plain",)).get_content()
        assert re.search(r"http://127\.0\.0\.1:\d+/b/\S+/", body)
    invitations = [m for m in stack.mail.messages if "日程のご案内" in str(m["Subject"])]
    assert sorted(str(m["To"]) for m in invitations if "site.example.jp" in str(m["To"])) == [
        "ichiro@site.example.jp",
        "jiro@site.example.jp",
        "mitsuko@site.example.jp",
    ]  # one each


def test_a_large_export_is_written_by_the_worker_and_downloaded_from_its_page(exchange_stack, browser):
    recruiter = signed_in_page(browser, exchange_stack.site_url, "recruiter@demo.example.com")
    recruiter.goto("/applicants/")
    first_name = recruiter.locator("main table tbody tr").first.get_by_role("link").first.inner_text()
    recruiter.get_by_role("link", name="CSV出力（Shift_JIS）").click()

    recruiter.wait_for_url(re.compile(r"/applicants/exports/[0-9a-f-]+/$"))
    done = re.compile(r"(\d+)名分のファイルができました。")
    recruiter.locator("main").get_by_text(done).wait_for(timeout=60_000)  # the page follows the job
    count = int(done.search(recruiter.locator("main").inner_text()).group(1))
    assert count > 2
    screenshot(recruiter, "exchange-3-background-export")
    with recruiter.expect_download() as download:
        recruiter.locator("[data-export-download]").click()
    rows = Path(download.value.path()).read_bytes().decode("cp932").splitlines()
    assert rows[0].startswith("応募者ID,氏名,フリガナ")
    assert len(rows) == count + 1
    assert any(first_name in row for row in rows[1:])

    recruiter.goto("/applicants/exports/")
    assert "完了" in recruiter.locator("main").inner_text()
