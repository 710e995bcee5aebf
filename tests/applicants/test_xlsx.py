""".xlsx in and out: the first sheet read like a CSV, the export streamed, leading zeros and dates kept."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from applicants import csv_import, xlsx
from applicants.models import Applicant, ApplicantImport, FileKind, ImportPhase, ImportStatus
from tests.applicants.factories import ApplicantFactory
from tests.applicants.test_import import _confirm, _upload

pytestmark = pytest.mark.django_db


def _workbook(rows, *, formats=None) -> bytes:
    """An .xlsx whose first sheet holds ``rows``; ``formats``: (row, column) → number format."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for (row, column), number_format in (formats or {}).items():
        sheet.cell(row=row, column=column).number_format = number_format
    workbook.create_sheet("二枚目").append(["氏名"])  # only the first sheet is read
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (None, "General", ""),
        ("09012345678", "@", "09012345678"),
        (9012345678, "00000000000", "09012345678"),  # shown with its 0 by the format
        (1234567, "0000000", "1234567"),
        (123, "0000000", "0000123"),
        (2027.0, "General", "2027"),
        (0.5, "General", "0.5"),
        (datetime(2026, 4, 1), "yyyy/mm/dd", "2026/04/01"),
        (datetime(2026, 4, 1, 10, 30), "yyyy/mm/dd hh:mm", "2026/04/01 10:30"),
        (date(2026, 4, 1), "yyyy/mm/dd", "2026/04/01"),
        (True, "General", "TRUE"),
    ],
)
def test_cells_become_the_text_a_csv_would_hold(value, number_format, expected):
    assert xlsx.cell_text(value, number_format) == expected


def test_an_xlsx_upload_is_read_like_a_csv_keeping_dates_and_leading_zeros(world, as_recruiter):
    content = _workbook(
        [
            ["氏名", "フリガナ", "メールアドレス", "電話番号", "応募日", "卒業年"],
            ["山田 太郎", "ヤマダ タロウ", "taro@example.jp", "09011112222", datetime(2026, 4, 1), 2027],
            ["佐藤 花子", "サトウ ハナコ", "hanako@example.jp", 8033334444, datetime(2026, 4, 2), "27卒"],
            ["鈴木 一郎", "スズキ イチロウ", "ichiro@example.jp", 9055556666, "R8.4.3", None],
        ],
        formats={(4, 4): "00000000000"},
    )
    preview, url = _upload(as_recruiter, content, name="応募者.xlsx")
    plan = preview.context["plan"]
    assert plan.encoding == "Excel (.xlsx)"
    assert plan.errors == []
    assert plan.importable_count == 3
    assert ApplicantImport.objects.get().file_kind == FileKind.XLSX
    _confirm(as_recruiter, url)
    got = {a.email: (a.phone, a.applied_on, a.graduation_year) for a in Applicant.objects.all()}
    assert got == {
        "taro@example.jp": ("09011112222", date(2026, 4, 1), 2027),
        "hanako@example.jp": ("08033334444", date(2026, 4, 2), 2027),  # the number lost its 0: restored
        "ichiro@example.jp": ("09055556666", date(2026, 4, 3), None),
    }


def test_an_xlsx_named_csv_is_still_read_as_a_spreadsheet(world, as_recruiter):
    content = _workbook([["氏名"], ["山田 太郎"]])
    preview, _url = _upload(as_recruiter, content, name="export.csv")
    assert preview.context["plan"].importable_count == 1


def test_a_broken_spreadsheet_gets_a_clear_message(world, as_recruiter):
    content = b"PK\x03\x04" + b"\x00" * 100
    preview, _url = _upload(as_recruiter, content, name="broken.xlsx")
    assert preview.context["plan"].file_error == "Excelファイル（.xlsx）として読めませんでした。"


def test_a_spreadsheet_that_unpacks_too_large_is_refused_and_not_kept(world, as_recruiter, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 1000)
    content = _workbook([["氏名", "備考"], *([f"応募 {i}", "x" * 100] for i in range(50))])
    page, _url = _upload(as_recruiter, content, name="big.xlsx")
    draft = ApplicantImport.objects.get()
    assert (draft.status, draft.phase) == (ImportStatus.DISCARDED, ImportPhase.FAILED)
    assert bytes(draft.content) == b""
    assert "Excelファイルの中身が大きすぎます" in page.content.decode()


def test_a_spreadsheet_row_wider_than_the_limit_is_refused(world, as_recruiter):
    content = _workbook([["氏名"], ["山田 太郎", *(["x"] * csv_import.MAX_COLUMNS)]])
    _upload(as_recruiter, content, name="wide.xlsx")
    assert "2行目の列が多すぎます" in ApplicantImport.objects.get().failure


def _export(client, **params) -> tuple[Workbook, bytes]:
    response = client.get(reverse("applicants:export_xlsx"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    assert ".xlsx" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(content)), content


def test_the_xlsx_export_writes_ids_and_phones_as_text_and_dates_as_dates(world, as_recruiter):
    applicant = ApplicantFactory(
        company=world.acme.company,
        name="山田 太郎",
        phone="09012345678",
        email="taro@example.jp",
        graduation_year=2027,
        applied_on=date(2026, 4, 1),
        memo='=HYPERLINK("http://example.com")',
    )
    ApplicantFactory(company=world.other.company, name="他社 応募者")
    workbook, _content = _export(as_recruiter)
    sheet = workbook.active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header[:5] == ["応募者ID", "氏名", "フリガナ", "メールアドレス", "電話番号"]
    assert len(rows) == 2  # the other company's applicant is not exported
    cells = dict(zip(header, rows[1], strict=True))
    assert cells["応募者ID"].value == str(applicant.pk) and cells["応募者ID"].number_format == "@"
    assert cells["電話番号"].value == "09012345678" and cells["電話番号"].data_type == "s"
    assert cells["電話番号"].number_format == "@"
    assert cells["応募日"].value == datetime(2026, 4, 1) and cells["応募日"].is_date
    assert cells["応募日"].number_format == xlsx.DATE_FORMAT
    assert cells["登録日時"].is_date
    assert cells["卒業年"].value == 2027
    assert cells["備考"].data_type == "s"  # text, not a formula
    assert cells["備考"].value.startswith("=HYPERLINK")


def test_export_then_import_keeps_leading_zeros_and_dates(world, as_recruiter):
    ApplicantFactory(
        company=world.acme.company,
        name="山田 太郎",
        name_kana="ヤマダ タロウ",
        phone="09012345678",
        email="taro@example.jp",
        applied_on=date(2026, 4, 1),
    )
    _sheet, content = _export(as_recruiter)
    Applicant.objects.all().delete()
    preview, url = _upload(as_recruiter, content, name="applicants.xlsx")
    assert preview.context["plan"].errors == []
    assert preview.context["plan"].ignored_columns == []  # 応募者ID, 登録日時, 更新日時 skipped silently
    _confirm(as_recruiter, url)
    applicant = Applicant.objects.get()
    assert (applicant.phone, applicant.applied_on, applicant.name_kana) == (
        "09012345678",
        date(2026, 4, 1),
        "ヤマダ タロウ",
    )


def test_the_xlsx_export_follows_a_selection_and_is_audited(world, as_recruiter):
    from accounts.models import AuditEntry

    chosen = ApplicantFactory(company=world.acme.company, name="選択 一")
    ApplicantFactory(company=world.acme.company, name="選択 外")
    foreign = ApplicantFactory(company=world.other.company, name="他社")
    response = as_recruiter.post(reverse("applicants:export_xlsx"), {"ids": [chosen.pk, foreign.pk]})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["選択 一"]
    entry = AuditEntry.objects.get(action="applicant.exported")
    assert entry.details["format"] == "xlsx"


def test_the_xlsx_export_is_refused_to_interviewers(world, as_interviewer):
    assert as_interviewer.get(reverse("applicants:export_xlsx")).status_code == 403


def test_the_writer_keeps_memory_flat_by_writing_rows_to_a_file():
    """The write-only sheet holds no rows: each appended row goes to its temporary file at once."""
    writer = xlsx.SheetWriter("test", text_columns=[0])
    for index in range(2000):
        writer.append([f"{index:05d}", date(2026, 4, 1), index])
    assert not hasattr(writer.sheet, "_cells") or not writer.sheet._cells
    target = io.BytesIO()
    writer.save(target)
    sheet = load_workbook(io.BytesIO(target.getvalue())).active
    assert sheet.max_row == 2000
    assert sheet["A1"].value == "00000"
