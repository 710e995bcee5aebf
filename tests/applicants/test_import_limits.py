"""CSV import limits (columns, header, cell) and the kept preview: shown again without reading the file."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from applicants import csv_import, services
from applicants.models import Applicant, ApplicantImport, ImportPhase, ImportStatus, SelectionStage
from tests.applicants.factories import ApplicantFactory
from tests.applicants.test_import import _confirm, _csv, _row, _upload, jobs

pytestmark = pytest.mark.django_db


def _refused(client, content: bytes) -> str:
    """Upload ``content``; the check refuses it with one message on the page, and the file is not kept."""
    page, _url = _upload(client, content, name="wide.csv")
    draft = ApplicantImport.objects.get()
    assert (draft.status, draft.phase) == (ImportStatus.DISCARDED, ImportPhase.FAILED)
    assert bytes(draft.content) == b"" and draft.preview is None
    assert Applicant.objects.count() == 0
    assert draft.failure in page.content.decode()
    return draft.failure


@pytest.fixture
def calls(monkeypatch):
    """How many times the file was decoded and planned since the fixture started."""
    counts = {"build_plan": 0, "decode": 0}
    for name in counts:
        real = getattr(csv_import, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            counts[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(csv_import, name, counted)
    return counts


# Limits


def test_a_header_with_too_many_columns_is_refused_with_the_limit(world, as_recruiter):
    header = ["氏名", *(f"列{i}" for i in range(200))]
    message = _refused(as_recruiter, _csv([["山田 太郎"]], header=header))
    assert message == "1行目の列が多すぎます（201列）。1行に入れられるのは200列までです。"


def test_two_hundred_columns_are_accepted(world, as_recruiter):
    header = ["氏名", *(f"列{i}" for i in range(199))]
    preview, _url = _upload(as_recruiter, _csv([["山田 太郎"]], header=header))
    assert preview.context["plan"].can_import
    assert len(preview.context["plan"].ignored_columns) == 199


def test_a_huge_header_is_refused_before_it_is_parsed(world, as_recruiter, monkeypatch):
    """The finding: millions of columns in a 20 MB header were parsed on every preview."""

    def not_reached(*args, **kwargs):
        raise AssertionError("the header was read as CSV")

    monkeypatch.setattr(csv_import, "_map_header", not_reached)
    content = ("氏名," + ",".join(f"c{i}" for i in range(1_000_000)) + "\r\n山田 太郎\r\n").encode()
    assert len(content) > 7_000_000
    started = time.monotonic()
    message = _refused(as_recruiter, content)
    assert time.monotonic() - started < 3
    assert message == "1行目（見出し）が長すぎます。見出しの行は65,536文字までです。"


def test_a_header_just_under_the_length_limit_is_read(world, as_recruiter):
    header = ["氏名", *(f"{i:03d}" + "x" * 320 for i in range(199))]
    assert 64_000 < len(",".join(header)) <= csv_import.MAX_HEADER_CHARS
    preview, _url = _upload(as_recruiter, _csv([["山田 太郎"]], header=header))
    assert preview.context["plan"].can_import


def test_a_data_row_with_too_many_columns_is_refused(world, as_recruiter):
    content = _csv([_row(), _row(email="b@example.jp", phone="") + [""] * 188])
    message = _refused(as_recruiter, content)
    assert message == "3行目の列が多すぎます（201列）。1行に入れられるのは200列までです。"


@pytest.mark.parametrize("length", [10_001, 200_000])
def test_a_cell_over_the_limit_is_refused(world, as_recruiter, length):
    content = _csv([["山田 太郎", "x" * length]], header=["氏名", "備考"])
    message = _refused(as_recruiter, content)
    assert message == "2行目に長すぎる項目があります。1つの項目（セル）は10,000文字までです。"


def test_a_cell_at_the_limit_is_read(world, as_recruiter):
    preview, _url = _upload(as_recruiter, _csv([["山田 太郎", "x" * 10_000]], header=["氏名", "社内メモ"]))
    assert preview.context["plan"].can_import


def test_a_row_of_millions_of_empty_cells_is_refused_before_it_is_split(world, as_recruiter):
    content = "氏名\r\n".encode() + b"," * 5_000_000 + b"\r\n"
    message = _refused(as_recruiter, content)
    assert message == "2行目が長すぎます。1行は200列まで、1つの項目（セル）は10,000文字までです。"


# The kept preview


def test_showing_the_preview_again_does_not_read_the_file(world, as_recruiter, calls):
    rows = [_row(name=f"応募 {i}", kana="オウボ", email=f"p{i}@example.jp", phone="") for i in range(2000)]
    preview, url = _upload(as_recruiter, _csv(rows))
    assert calls == {"build_plan": 1, "decode": 1}  # once, at upload
    assert "2000名を取り込む" in preview.content.decode()
    started = time.monotonic()
    again = as_recruiter.get(url)
    assert time.monotonic() - started < 0.5
    assert calls == {"build_plan": 1, "decode": 1}
    assert again.context["plan"] == preview.context["plan"]
    assert again.context["plan"].sample[0].name == "応募 0"
    assert len(again.context["plan"].sample) == csv_import.SAMPLE_ROWS


def test_the_preview_of_a_wide_allowed_file_stays_small(world, as_recruiter):
    """200 columns with long names and cells, echoed values and thousands of new tags: a bounded page."""
    header = ["氏名", "メール", "選考ステータス", "タグ", *(f"{i:03d}" + "列" * 300 for i in range(196))]
    rows = []
    for i in range(30):
        tags = ",".join(f"t{i}-{n}" for n in range(900))
        stage = "未知" * 4_000 if i % 2 else ""
        rows.append([f"応募 {i}", f"w{i}@example.jp", stage, tags, *(["値" * 500] * 196)])
    content = _csv(rows, header=header)
    assert len(content) > 8_000_000
    preview, _url = _upload(as_recruiter, content)
    assert len(preview.content) < 120_000, len(preview.content)
    plan = preview.context["plan"]
    assert plan.error_count == 15
    assert plan.new_tag_count == 15 * 900
    assert len(plan.new_tags) == csv_import.MAX_NAMES_SHOWN
    assert len(plan.ignored_columns) == 196
    assert all(len(label) <= csv_import.MAX_LABEL_SHOWN + 1 for label in plan.ignored_columns)
    assert "（全13500件）" in preview.content.decode()
    draft = ApplicantImport.objects.get()
    assert len(str(draft.preview).encode()) < 100_000


def test_an_import_checks_again_against_applicants_added_after_the_upload(world, as_recruiter, calls):
    rows = [_row(), _row(name="佐藤 次郎", email="jiro@example.jp", phone="080-0000-0002")]
    _preview, url = _upload(as_recruiter, _csv(rows))
    ApplicantFactory(company=world.acme.company, name="先に登録", email="jiro@example.jp")
    assert "2名を取り込む" in as_recruiter.get(url).content.decode()  # the check kept at upload
    response = _confirm(as_recruiter, url)
    assert "1名を取り込みました" in response.content.decode()
    assert response.context["draft"].skipped_count == 1
    assert calls["build_plan"] == 2  # upload and import; the preview read none
    assert Applicant.objects.filter(email="jiro@example.jp").count() == 1
    draft = ApplicantImport.objects.get()
    assert draft.status == ImportStatus.IMPORTED
    assert draft.preview is None and bytes(draft.content) == b""
    assert b"jiro@example.jp" in bytes(draft.rejected_content)  # the duplicate, with its reason


def test_a_blocked_import_becomes_the_preview(world, as_recruiter, calls):
    _preview, url = _upload(as_recruiter, _csv([_row(選考ステータス="一次面接")]))
    SelectionStage.objects.filter(company=world.acme.company, name="一次面接").update(name="1次面接")
    response = _confirm(as_recruiter, url)
    assert "1件も取り込んでいません" in response.content.decode()
    assert Applicant.objects.count() == 0
    again = as_recruiter.get(url)
    assert calls["build_plan"] == 2
    assert "「一次面接」という選考ステータスはありません" in again.content.decode()
    assert "名を取り込む" not in again.content.decode()


def test_anonymizing_an_applicant_drops_the_kept_previews_naming_them(world, as_recruiter, calls):
    existing = ApplicantFactory(company=world.acme.company, name="既存 花子", email="hanako@example.jp")
    _preview, url = _upload(as_recruiter, _csv([_row(email="hanako@example.jp", phone="")]))
    assert "既存 花子" in as_recruiter.get(url).content.decode()
    services.anonymize_applicant(applicant=existing, actor=world.acme.recruiter)
    assert ApplicantImport.objects.get().preview is None
    with jobs():
        assert "チェック待ち" in as_recruiter.get(url).content.decode()  # checked again in the background
    assert "既存 花子" not in as_recruiter.get(url).content.decode()
    assert calls["build_plan"] == 2  # checked again once, then kept
    as_recruiter.get(url)
    assert calls["build_plan"] == 2


def test_a_draft_kept_without_a_preview_is_checked_once(world, as_recruiter, calls):
    draft = ApplicantImport.objects.create(
        company=world.acme.company,
        created_by=world.acme.recruiter,
        file_name="old.csv",
        content=_csv([_row()]),
    )
    url = reverse("applicants:import_preview", args=[draft.pk])
    with jobs():
        as_recruiter.get(url)  # queues the check
    assert "1名を取り込む" in as_recruiter.get(url).content.decode()
    assert "1名を取り込む" in as_recruiter.get(url).content.decode()
    assert calls["build_plan"] == 1
    draft.refresh_from_db()
    assert draft.preview["version"] == csv_import.PlanSummary.VERSION


def test_discarding_and_expiry_drop_the_kept_preview(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _csv([_row()]))
    as_recruiter.post(url, {"discard": "1"})
    assert ApplicantImport.objects.get().preview is None
    _preview, _url = _upload(as_recruiter, _csv([_row()]))
    ApplicantImport.objects.filter(status=ImportStatus.PENDING).update(created_at="2026-01-01T00:00:00Z")
    assert services.purge_expired_imports() == 1
    assert list(ApplicantImport.objects.values_list("preview", flat=True)) == [None, None]
