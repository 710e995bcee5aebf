"""CSV export: Excel-ready encodings, the current filter or the selection, formula guard, streaming."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from tests.applicants.factories import ApplicantFactory, TagFactory, stage_named

pytestmark = pytest.mark.django_db
EXPORT = reverse("applicants:export")


def _rows(response, encoding="utf-8-sig"):
    assert response.streaming
    data = b"".join(response.streaming_content)
    return list(csv.reader(io.StringIO(data.decode(encoding), newline=""))), data


def test_default_export_is_utf8_with_bom_and_japanese_headers(world, as_recruiter, acme_applicant):
    acme_applicant.tags.set([TagFactory(company=world.acme.company, name="英語可")])
    response = as_recruiter.get(EXPORT)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="applicants-')
    rows, data = _rows(response)
    assert data.startswith(codecs.BOM_UTF8)
    assert b"\r\n" in data
    assert rows[0][:5] == ["応募者ID", "氏名", "フリガナ", "メールアドレス", "電話番号"]
    assert rows[1][:5] == [
        str(acme_applicant.pk),
        "佐藤 花子",
        "サトウ ハナコ",
        "hanako.sato@example.jp",
        "090-1111-2222",
    ]
    assert "英語可" in rows[1]
    assert "エントリー" in rows[1]


def test_export_follows_the_current_filter_and_stays_in_the_company(world, as_recruiter, other_applicant):
    interview = stage_named(world.acme.company, "一次面接")
    ApplicantFactory(company=world.acme.company, name="面接 中", stage=interview)
    ApplicantFactory(company=world.acme.company, name="エントリー 中")
    rows, _data = _rows(as_recruiter.get(EXPORT, {"stage": interview.pk}))
    assert [row[1] for row in rows[1:]] == ["面接 中"]
    rows, _data = _rows(as_recruiter.get(EXPORT))
    assert {row[1] for row in rows[1:]} == {"面接 中", "エントリー 中"}
    entry = AuditEntry.objects.filter(action="applicant.exported").first()
    assert entry.details["count"] == 2
    assert entry.actor == world.acme.recruiter


def test_selection_export_ignores_ids_of_another_company(
    world, as_recruiter, acme_applicant, other_applicant
):
    ApplicantFactory(company=world.acme.company, name="選ばれない 人")
    response = as_recruiter.post(EXPORT, {"ids": [acme_applicant.pk, other_applicant.pk]})
    rows, _data = _rows(response)
    assert [row[1] for row in rows[1:]] == ["佐藤 花子"]
    assert AuditEntry.objects.get(action="applicant.exported").details["selection"] == 2


def test_selection_export_without_a_selection_explains_itself(as_recruiter):
    response = as_recruiter.post(EXPORT, {"ids": []}, follow=True)
    assert "応募者を選択してください。" in response.content.decode()


def test_shift_jis_export_is_cp932_when_every_character_fits(world, as_recruiter):
    ApplicantFactory(company=world.acme.company, name="髙橋 〜①", name_kana="タカハシ")
    response = as_recruiter.get(EXPORT, {"encoding": "sjis"})
    assert response["Content-Type"] == "text/csv; charset=Shift_JIS"
    rows, data = _rows(response, encoding="cp932")
    assert not data.startswith(codecs.BOM_UTF8)
    assert rows[1][1] == "髙橋 ～①"  # WAVE DASH written as cp932's own 〜


def test_characters_shift_jis_cannot_hold_are_reported_before_they_are_replaced(world, as_recruiter):
    person = ApplicantFactory(company=world.acme.company, name="𠮷田 太郎", name_kana="ヨシダ タロウ")
    report = as_recruiter.get(EXPORT, {"encoding": "sjis"})
    assert not report.streaming
    content = report.content.decode()
    assert "Shift_JIS（cp932）で保存できない文字があります" in content
    assert "𠮷" in content and reverse("applicants:detail", args=[person.pk]) in content
    assert not AuditEntry.objects.filter(action="applicant.exported").exists()
    rows, _data = _rows(as_recruiter.get(EXPORT, {"encoding": "sjis", "accept_replacements": "1"}), "cp932")
    assert rows[1][1] == "?田 太郎"
    assert AuditEntry.objects.get(action="applicant.exported").details["replaced_cells"] == 1


def test_cells_that_excel_would_run_as_formulas_are_quoted(world, as_recruiter):
    ApplicantFactory(
        company=world.acme.company, name='=HYPERLINK("http://evil")', phone="+81 90-1234-5678", memo="@SUM(1)"
    )
    rows, _data = _rows(as_recruiter.get(EXPORT))
    row = rows[1]
    assert row[1] == '\'=HYPERLINK("http://evil")'
    assert row[4] == "'+81 90-1234-5678"
    assert row[15] == "'@SUM(1)"


def test_the_import_template_opens_in_excel(as_recruiter):
    response = as_recruiter.get(reverse("applicants:import_template"), {"encoding": "sjis"})
    text = response.content.decode("cp932")
    assert text.startswith("氏名,フリガナ,メールアドレス,電話番号,区分")
    assert "山田 太郎" in text


@pytest.mark.parametrize("bad", ["9" * 30, "²"])
def test_selection_export_refuses_ids_that_cannot_name_a_row(as_recruiter, acme_applicant, bad):
    response = as_recruiter.post(EXPORT, {"ids": [acme_applicant.pk, bad]}, follow=True)
    assert response.status_code == 200
    assert "選択内容が正しくありません。" in response.content.decode()
