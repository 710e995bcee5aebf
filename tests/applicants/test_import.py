"""CSV import: encodings, header mapping, every row's problems, duplicates, all or nothing, speed."""

from __future__ import annotations

import codecs
import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from accounts.models import AuditEntry
from applicants.models import (
    Applicant,
    ApplicantImport,
    ImportStatus,
    Position,
    Source,
    StatusChange,
    Tag,
    Track,
)
from tests.applicants.factories import ApplicantFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
HEADER = [
    "氏名", "フリガナ", "メールアドレス", "電話番号", "区分", "学校名", "卒業年", "現職",
    "応募経路", "募集職種", "選考ステータス", "応募日", "タグ",
]  # fmt: skip


def _csv(rows, *, encoding="utf-8", bom=False, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (codecs.BOM_UTF8 if bom else b"") + data


def _row(name="鈴木 一郎", kana="スズキ イチロウ", email="ichiro@example.jp", phone="090-1234-5678", **extra):
    values = {
        "区分": "新卒", "学校名": "大阪大学", "卒業年": "2027", "現職": "", "応募経路": "マイナビ",
        "募集職種": "営業職", "選考ステータス": "", "応募日": "2026/4/1", "タグ": "",
    }  # fmt: skip
    values.update(extra)
    return [name, kana, email, phone, *(values[column] for column in HEADER[4:])]


def jobs():
    """Run the background jobs queued inside the block (on commit, eagerly) when it ends."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def _upload(client, content: bytes, name="応募者.csv", **data):
    """Upload ``content``; the check job runs; returns the preview page and its URL."""
    with jobs():
        response = client.post(
            reverse("applicants:import"), {"file": SimpleUploadedFile(name, content), **data}
        )
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"]), response["Location"]


def _confirm(client, url: str, mode: str = "all"):
    """Confirm the import in ``mode``; the import job runs; returns the page shown after it."""
    with jobs():
        response = client.post(url, {"confirm": "1", "mode": mode})
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"] == url
    return client.get(url)


@pytest.mark.parametrize(
    ("encoding", "bom", "label"),
    [
        ("utf-8", True, "UTF-8（BOM付き）"),
        ("utf-8", False, "UTF-8"),
        ("cp932", False, "Shift_JIS"),
        ("utf-16", False, "UTF-16"),
    ],
)
def test_each_encoding_excel_writes_is_detected(world, as_recruiter, encoding, bom, label):
    content = _csv([_row(name="髙橋 ①郎", kana="タカハシ イチロウ")], encoding=encoding, bom=bom)
    preview, url = _upload(as_recruiter, content)
    plan = preview.context["plan"]
    assert plan.encoding == label
    assert plan.errors == []
    assert plan.sample[0].name == "髙橋 1郎"  # NFKC: ① → 1
    assert "1名を取り込みました" in _confirm(as_recruiter, url).content.decode()
    assert Applicant.objects.get().name_kana == "タカハシ イチロウ"


def test_an_undecodable_file_gets_a_clear_message(as_recruiter):
    preview, _url = _upload(as_recruiter, "氏名\n山田".encode("cp932") + b"\x81\xff\xfe")
    assert "文字コードを判別できませんでした" in preview.content.decode()
    assert not preview.context["plan"].can_import
    assert "名を取り込む" not in preview.content.decode()


def test_a_shift_jis_file_with_bad_rows_names_every_problem_and_imports_nothing(world, as_recruiter):
    rows = [
        _row(),
        _row(name="", email="no-name@example.jp", phone=""),
        _row(name="田中 次郎", kana="たなか じろう", email="jiro@", phone="12", 卒業年="27"),
        _row(
            name="中村 三郎", email="saburo@example.jp", phone="", 選考ステータス="書類審査", 応募日="4月1日"
        ),
        _row(name="小林 四郎", email="shiro@example.jp", phone="", 区分="パート"),
    ]
    preview, url = _upload(as_recruiter, _csv(rows, encoding="cp932"))
    issues = [(issue.line, issue.column, issue.message) for issue in preview.context["plan"].errors]
    assert (3, "氏名", "氏名を入力してください。") in issues
    assert (4, "メールアドレス", "メールアドレスの形式が正しくありません。") in issues
    assert (4, "電話番号", "電話番号の形式が正しくありません（例: 090-1234-5678）。") in issues
    assert (4, "卒業年", "卒業年は西暦4桁で入力してください（例: 2027）。") in issues
    assert any(
        line == 5 and column == "選考ステータス" and "書類審査" in message for line, column, message in issues
    )
    assert (5, "応募日", "日付の形式が正しくありません（例: 2026/04/01）。") in issues
    assert (6, "区分", "区分は「新卒」または「中途」で入力してください。") in issues
    assert not any(line == 4 and column == "フリガナ" for line, column, _m in issues)  # ひらがな is fine
    content = preview.content.decode()
    assert "1件も取り込みません" in content
    assert "名を取り込む" not in content
    # Confirming all or nothing imports nothing.
    response = _confirm(as_recruiter, url)
    assert "1件も取り込んでいません" in response.content.decode()
    assert Applicant.objects.count() == 0
    assert Position.objects.filter(company=world.acme.company).count() == 0


def test_after_fixing_the_file_every_row_is_imported(world, as_recruiter):
    rows = [
        _row(),
        _row(
            name="中途 採用", kana="チュウト サイヨウ", email="mid@example.jp", phone="080-2222-3333",
            区分="中途", 現職="株式会社さくら物産", 学校名="", 卒業年="", 選考ステータス="一次面接",
            タグ="要フォロー、英語可",
        ),
    ]  # fmt: skip
    preview, url = _upload(as_recruiter, _csv(rows, encoding="cp932"))
    plan = preview.context["plan"]
    assert plan.can_import
    assert plan.new_positions == ["営業職"]
    assert plan.new_sources == []  # マイナビ is a default source
    assert plan.new_tags == ["要フォロー", "英語可"]
    response = _confirm(as_recruiter, url)
    assert "2名を取り込みました" in response.content.decode()
    assert Applicant.objects.filter(company=world.acme.company).count() == 2
    mid = Applicant.objects.get(email="mid@example.jp")
    assert mid.track == Track.MID_CAREER
    assert mid.current_employer == "株式会社さくら物産"
    assert mid.stage.name == "一次面接"
    assert mid.position.name == "営業職"
    assert mid.source.name == "マイナビ"
    assert sorted(mid.tags.values_list("name", flat=True)) == ["英語可", "要フォロー"]
    assert mid.name_key == "中途採用"
    first = Applicant.objects.get(email="ichiro@example.jp")
    assert first.stage.name == "エントリー"  # empty 選考ステータス → the first stage
    assert str(first.applied_on) == "2026-04-01"
    assert StatusChange.objects.filter(applicant__company=world.acme.company, from_stage=None).count() == 2
    draft = ApplicantImport.objects.get()
    assert draft.status == ImportStatus.IMPORTED
    assert bytes(draft.content) == b""  # the uploaded file is not kept
    entry = AuditEntry.objects.get(action="applicant.imported")
    assert entry.details == {"imported": 2, "skipped_duplicates": 0, "rejected": 0, "mode": "all"}


def test_headers_are_matched_by_japanese_or_english_names_in_any_order(world, as_recruiter):
    content = _csv(
        [["yamada@example.jp", "Yamada", "Taro", "ﾔﾏﾀﾞ", "ﾀﾛｳ", "2026-05-10", "x"]],
        header=["E-mail", "姓", "名", "セイ", "メイ", "Applied on", "社内コード"],
    )
    preview, url = _upload(as_recruiter, content)
    plan = preview.context["plan"]
    assert plan.errors == []
    assert plan.ignored_columns == ["社内コード"]
    _confirm(as_recruiter, url)
    applicant = Applicant.objects.get()
    assert (applicant.name, applicant.name_kana, applicant.email) == (
        "Yamada Taro",
        "ヤマダ タロウ",
        "yamada@example.jp",
    )


def test_a_file_without_a_name_column_is_refused(as_recruiter):
    preview, _url = _upload(as_recruiter, _csv([["a@example.jp"]], header=["メール"]))
    assert "「氏名」の列が見つかりません" in preview.content.decode()


def test_two_columns_for_the_same_field_are_refused(as_recruiter):
    preview, _url = _upload(
        as_recruiter, _csv([["x", "a@example.jp", "b@example.jp"]], header=["氏名", "メール", "Email"])
    )
    assert "同じ項目を指しています" in preview.context["plan"].file_error


def test_duplicates_in_the_company_and_in_the_file_are_flagged_and_skipped(
    world, as_recruiter, other_applicant
):
    ApplicantFactory(
        company=world.acme.company, name="既存 者", email="exists@example.jp", phone="03-1111-1111"
    )
    rows = [
        _row(name="新規 一", email="new1@example.jp", phone="090-0000-0001"),
        _row(name="既存 メール", email="EXISTS@example.jp", phone=""),
        _row(name="既存 電話", email="", phone="0311111111"),
        _row(name="ファイル内 重複", email="new1@example.jp", phone=""),
        _row(name="他社 と同じ", email=other_applicant.email, phone=""),  # another company: not a duplicate
    ]
    preview, url = _upload(as_recruiter, _csv(rows))
    plan = preview.context["plan"]
    duplicates = {(issue.line, issue.column): issue.message for issue in plan.duplicates}
    assert duplicates == {
        (3, "メールアドレス"): "同じメールアドレスの応募者が登録済みです（既存 者）。",
        (4, "電話番号"): "同じ電話番号の応募者が登録済みです（既存 者）。",
        (5, "メールアドレス"): "2行目と重複しています。",
    }
    assert "2名を取り込む" in preview.content.decode()
    _confirm(as_recruiter, url)
    names = set(Applicant.objects.filter(company=world.acme.company).values_list("name", flat=True))
    assert names == {"既存 者", "新規 一", "他社 と同じ"}
    assert AuditEntry.objects.get(action="applicant.imported").details["skipped_duplicates"] == 3


def test_confirming_twice_imports_once(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _csv([_row()]))
    _confirm(as_recruiter, url)
    again = _confirm(as_recruiter, url)
    assert "既に取り込み済みか" in again.content.decode()
    assert Applicant.objects.count() == 1


def test_a_discarded_or_expired_upload_is_gone(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _csv([_row()]))
    as_recruiter.post(url, {"discard": "1"})
    assert as_recruiter.get(url).status_code == 404
    draft = ApplicantImport.objects.get()
    assert draft.status == ImportStatus.DISCARDED and bytes(draft.content) == b""
    _preview, url = _upload(as_recruiter, _csv([_row()]))
    ApplicantImport.objects.filter(status=ImportStatus.PENDING).update(created_at="2026-01-01T00:00:00Z")
    assert as_recruiter.get(url).status_code == 404
    _upload(as_recruiter, _csv([_row()]))  # a new upload clears the company's expired files
    expired = ApplicantImport.objects.get(created_at="2026-01-01T00:00:00Z")
    assert bytes(expired.content) == b"" and expired.status == ImportStatus.DISCARDED
    assert Applicant.objects.count() == 0


def test_the_draft_belongs_to_the_uploader_and_the_company(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _csv([_row()]))
    with jobs():
        assert client_for(world.acme.admin).post(url, {"confirm": "1"}).status_code == 404
        assert client_for(world.other.recruiter).post(url, {"confirm": "1"}).status_code == 404
    assert Applicant.objects.count() == 0


def test_rows_are_numbered_as_the_file_lines_even_with_multiline_cells(as_recruiter):
    content = '氏名,備考\r\n"山田 太郎","一行目\r\n二行目"\r\n,名前なし\r\n\r\n'.encode()
    preview, _url = _upload(as_recruiter, content)
    assert [(i.line, i.column) for i in preview.context["plan"].errors] == [(4, "氏名")]
    assert preview.context["plan"].total_rows == 2  # the blank line is not a row


def test_cells_guarded_by_our_export_come_back_unchanged(world, as_recruiter):
    content = _csv([["'+81 90-1234-5678", "'=SUM(A1)", "山田 太郎"]], header=["電話番号", "備考", "氏名"])
    _preview, url = _upload(as_recruiter, content)
    _confirm(as_recruiter, url)
    applicant = Applicant.objects.get()
    assert applicant.phone == "+81 90-1234-5678"
    assert applicant.phone_key == "09012345678"
    assert applicant.memo == "=SUM(A1)"


def test_an_oversized_or_empty_file_is_refused_at_upload(as_recruiter, monkeypatch):
    from applicants import forms

    monkeypatch.setattr(forms, "MAX_UPLOAD_BYTES", 10)
    response = as_recruiter.post(
        reverse("applicants:import"), {"file": SimpleUploadedFile("a.csv", b"x" * 11)}
    )
    assert "ファイルが大きすぎます" in response.content.decode()
    response = as_recruiter.post(reverse("applicants:import"), {"file": SimpleUploadedFile("a.csv", b"")})
    assert response.status_code == 200
    assert ApplicantImport.objects.count() == 0


def test_ten_thousand_rows_import_in_seconds(world, as_recruiter):
    rows = [
        _row(
            name=f"応募 {i}",
            kana="オウボ",
            email=f"bulk{i}@example.jp",
            phone=f"090{i:08d}",
            タグ="一括" if i % 2 else "",
        )
        for i in range(10_000)
    ]
    content = _csv(rows, encoding="cp932")
    started = time.monotonic()
    _preview, url = _upload(as_recruiter, content)
    preview_seconds = time.monotonic() - started
    started = time.monotonic()
    response = _confirm(as_recruiter, url)
    import_seconds = time.monotonic() - started
    assert "10000名を取り込みました" in response.content.decode()
    assert Applicant.objects.filter(company=world.acme.company).count() == 10_000
    assert Tag.objects.get(name="一括").applicants.count() == 5_000
    assert Source.objects.filter(company=world.acme.company, name="マイナビ").count() == 1
    assert preview_seconds < 15, preview_seconds
    assert import_seconds < 15, import_seconds


def test_the_hourly_task_drops_every_company_s_unconfirmed_uploads_after_a_day(world, as_recruiter):
    from applicants.tasks import purge_expired_imports

    _upload(as_recruiter, _csv([_row()]))
    _upload(as_recruiter, _csv([_row()]))
    ApplicantImport.objects.filter(pk=ApplicantImport.objects.first().pk).update(
        created_at="2026-01-01T00:00:00Z"
    )
    assert purge_expired_imports() == 1
    expired = ApplicantImport.objects.get(created_at="2026-01-01T00:00:00Z")
    assert bytes(expired.content) == b"" and expired.status == ImportStatus.DISCARDED
    assert ApplicantImport.objects.filter(status=ImportStatus.PENDING).count() == 1
