"""Imports as background jobs: the upload only keeps the file, progress is polled, jobs are safe to run twice,
and the two modes (all or nothing; the valid rows with the rejected ones to download)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from applicants import csv_import, import_jobs, tasks
from applicants.models import Applicant, ApplicantImport, ImportMode, ImportPhase, ImportStatus
from tests.applicants.factories import ApplicantFactory
from tests.applicants.test_import import _confirm, _csv, _row, _upload, jobs
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def _bad_file() -> bytes:
    return _csv(
        [
            _row(),
            _row(name="", email="no-name@example.jp", phone=""),
            _row(name="佐藤 次郎", email="jiro@", phone=""),
            _row(name="重複 三郎", email="ichiro@example.jp", phone=""),
            _row(name="高橋 四郎", email="shiro@example.jp", phone="080-4444-5555"),
        ]
    )


def test_the_upload_only_keeps_the_file_and_queues_the_check(world, as_recruiter, monkeypatch):
    calls = []
    monkeypatch.setattr(csv_import, "build_plan", lambda *a, **k: calls.append(1))
    response = as_recruiter.post(
        reverse("applicants:import"), {"file": SimpleUploadedFile("a.csv", _csv([_row()]))}
    )  # no on-commit callbacks run here: the job is only queued
    assert response.status_code == 302
    assert calls == []
    draft = ApplicantImport.objects.get()
    assert (draft.phase, draft.preview) == (ImportPhase.CHECK_QUEUED, None)
    page = as_recruiter.get(response["Location"]).content.decode()
    assert "チェック待ち" in page
    assert "js/applicant_import.js" in page and "data-import-progress=" in page
    assert 'http-equiv="refresh"' in page  # without JS the page reloads itself


def test_the_progress_endpoint_reports_the_phase_and_the_rows(world, as_recruiter):
    with jobs():
        response = as_recruiter.post(
            reverse("applicants:import"), {"file": SimpleUploadedFile("a.csv", _csv([_row()]))}
        )
    draft = ApplicantImport.objects.get()
    url = reverse("applicants:import_progress", args=[draft.pk])
    assert as_recruiter.get(url).json() == {
        "phase": "ready",
        "label": "確認待ち",
        "done": 1,
        "total": 1,
        "running": False,
    }
    ApplicantImport.objects.filter(pk=draft.pk).update(phase=ImportPhase.IMPORTING)
    cache.set(import_jobs._progress_key(draft.pk), [1000, 50000])
    assert as_recruiter.get(url).json() == {
        "phase": "importing",
        "label": "取り込み中",
        "done": 1000,
        "total": 50000,
        "running": True,
    }
    page = as_recruiter.get(response["Location"]).content.decode()
    assert "1000" in page and "50000" in page


def test_progress_is_reported_while_the_check_reads_the_file(world, as_recruiter, monkeypatch):
    monkeypatch.setattr(csv_import, "PROGRESS_EVERY", 2)
    seen = []
    real_report = import_jobs._report
    monkeypatch.setattr(import_jobs, "_report", lambda *args: (seen.append(args[1:]), real_report(*args)))
    rows = [_row(name=f"応募 {i}", email=f"p{i}@example.jp", phone="") for i in range(5)]
    _upload(as_recruiter, _csv(rows))
    assert seen[0] == (0, 5)
    assert (2, 5) in seen and (4, 5) in seen


def test_running_each_job_twice_does_the_work_once(world, as_recruiter, django_assert_max_num_queries):
    _upload(as_recruiter, _csv([_row(), _row(name="佐藤 次郎", email="j@example.jp", phone="")]))
    draft = ApplicantImport.objects.get()
    tasks.check_import(str(draft.pk))  # already checked: nothing to do
    assert ApplicantImport.objects.get().phase == ImportPhase.READY
    assert import_jobs.request_import(draft=draft, mode=ImportMode.ALL_OR_NOTHING)
    assert not import_jobs.request_import(draft=draft, mode=ImportMode.ALL_OR_NOTHING)
    tasks.run_import(str(draft.pk))
    with django_assert_max_num_queries(2):
        tasks.run_import(str(draft.pk))
    assert Applicant.objects.count() == 2
    assert AuditEntry.objects.filter(action="applicant.imported").count() == 1
    draft.refresh_from_db()
    assert (draft.status, draft.phase, draft.imported_count) == (ImportStatus.IMPORTED, ImportPhase.DONE, 2)


def test_a_job_whose_worker_died_is_taken_again_after_a_while(world, as_recruiter):
    _upload(as_recruiter, _csv([_row()]))
    draft = ApplicantImport.objects.get()
    ApplicantImport.objects.filter(pk=draft.pk).update(phase=ImportPhase.IMPORTING)
    tasks.run_import(str(draft.pk))  # another worker holds it
    assert Applicant.objects.count() == 0
    ApplicantImport.objects.filter(pk=draft.pk).update(phase_changed_at=timezone.now() - timedelta(hours=1))
    tasks.run_import(str(draft.pk))
    assert Applicant.objects.count() == 1


def test_all_or_nothing_is_the_default_and_imports_nothing_when_a_row_is_wrong(world, as_recruiter):
    preview, url = _upload(as_recruiter, _bad_file())
    assert preview.context["mode_form"]["mode"].value() == ImportMode.ALL_OR_NOTHING
    page = _confirm(as_recruiter, url, mode="all")
    assert "1件も取り込んでいません" in page.content.decode()
    assert Applicant.objects.count() == 0
    draft = ApplicantImport.objects.get()
    assert (draft.phase, draft.blocked, draft.status) == (ImportPhase.READY, True, ImportStatus.PENDING)


def test_valid_rows_mode_imports_the_good_rows_and_offers_the_rejected_ones(world, as_recruiter):
    preview, url = _upload(as_recruiter, _bad_file(), name="応募者.csv")
    plan = preview.context["plan"]
    assert (plan.importable_count, plan.error_lines, plan.duplicate_count) == (2, 2, 1)
    page = _confirm(as_recruiter, url, mode="valid")
    content = page.content.decode()
    assert "2名を取り込みました" in content
    assert set(Applicant.objects.values_list("email", flat=True)) == {"ichiro@example.jp", "shiro@example.jp"}
    draft = ApplicantImport.objects.get()
    assert (draft.imported_count, draft.skipped_count, draft.rejected_count) == (2, 1, 3)
    download = as_recruiter.get(reverse("applicants:import_rejected", args=[draft.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "rejected.csv" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == [*csv_import_header(), "理由"]
    assert [row[0] for row in rows[1:]] == ["", "佐藤 次郎", "重複 三郎"]
    reasons = [row[-1] for row in rows[1:]]
    assert reasons[0] == "氏名: 氏名を入力してください。"
    assert reasons[1] == "メールアドレス: メールアドレスの形式が正しくありません。"
    assert reasons[2] == "メールアドレス: 2行目と重複しています。"
    assert rows[2][2] == "jiro@"  # the original cells, as they were
    entry = AuditEntry.objects.get(action="applicant.imported")
    assert entry.details == {"imported": 2, "skipped_duplicates": 1, "rejected": 3, "mode": "valid"}


def csv_import_header() -> list[str]:
    from tests.applicants.test_import import HEADER

    return list(HEADER)


def test_the_rejected_file_of_an_xlsx_is_an_xlsx(world, as_recruiter):
    from openpyxl import load_workbook

    from tests.applicants.test_xlsx import _workbook

    content = _workbook([["氏名", "電話番号"], ["山田 太郎", "09011112222"], ["", "08000000000"]])
    _preview, url = _upload(as_recruiter, content, name="list.xlsx")
    _confirm(as_recruiter, url, mode="valid")
    draft = ApplicantImport.objects.get()
    download = as_recruiter.get(reverse("applicants:import_rejected", args=[draft.pk]))
    assert "list-rejected.xlsx" in download["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(download.content)).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("氏名", "電話番号", "理由"),
        (None, "08000000000", "氏名: 氏名を入力してください。"),
    ]


def test_a_file_without_rejected_rows_has_nothing_to_download(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _csv([_row()]))
    page = _confirm(as_recruiter, url, mode="valid")
    assert "取り込めなかった行をダウンロード" not in page.content.decode()
    draft = ApplicantImport.objects.get()
    assert as_recruiter.get(reverse("applicants:import_rejected", args=[draft.pk])).status_code == 404


def test_an_unknown_mode_is_refused_and_nothing_is_queued(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _csv([_row()]))
    with jobs():
        response = as_recruiter.post(url, {"confirm": "1", "mode": "everything"})
    assert response.status_code == 302
    assert ApplicantImport.objects.get().phase == ImportPhase.READY
    assert Applicant.objects.count() == 0


def test_the_rejected_file_expires_with_the_upload(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _bad_file())
    _confirm(as_recruiter, url, mode="valid")
    ApplicantImport.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert tasks.purge_expired_imports() == 1
    assert bytes(ApplicantImport.objects.get().rejected_content) == b""


def test_an_import_checks_duplicates_against_applicants_added_meanwhile(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _csv([_row()]))
    ApplicantFactory(company=world.acme.company, email="ichiro@example.jp")
    page = _confirm(as_recruiter, url)
    assert "1件も取り込んでいません" in page.content.decode()  # nothing left to import


# --- who may see what -----------------------------------------------------------------------------------


def _import_urls(draft) -> list[str]:
    return [
        reverse(name, args=[draft.pk])
        for name in (
            "applicants:import_preview",
            "applicants:import_progress",
            "applicants:import_rejected",
            "applicants:import_mapping",
        )
    ]


def test_interviewers_are_refused_every_import_page(world, as_recruiter, as_interviewer):
    _upload(as_recruiter, _csv([_row()]))
    draft = ApplicantImport.objects.get()
    for url in [reverse("applicants:import"), reverse("applicants:import_presets"), *_import_urls(draft)]:
        assert as_interviewer.get(url).status_code == 403, url
        assert as_interviewer.post(url).status_code == 403, url


def test_another_users_or_companys_upload_is_not_found_on_any_page(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _bad_file())
    _confirm(as_recruiter, url, mode="valid")
    draft = ApplicantImport.objects.get()
    for client in (
        client_for(world.other.admin),
        client_for(world.other.recruiter),
        client_for(world.acme.admin),
    ):
        for page in _import_urls(draft):
            assert client.get(page).status_code in (404, 405), page
            assert client.post(page, {"confirm": "1", "mode": "valid"}).status_code in (404, 405), page
    assert as_recruiter.get(reverse("applicants:import_rejected", args=[draft.pk])).status_code == 200


def test_discarding_a_running_import_is_refused(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _csv([_row()]))
    ApplicantImport.objects.update(phase=ImportPhase.IMPORTING)
    as_recruiter.post(url, {"discard": "1"})
    assert ApplicantImport.objects.get().status == ImportStatus.PENDING


def test_an_import_that_breaks_imports_nothing_and_can_be_tried_again(world, as_recruiter, monkeypatch):
    _preview, url = _upload(
        as_recruiter, _csv([_row(), _row(name="佐藤 次郎", email="j@example.jp", phone="")])
    )
    draft = ApplicantImport.objects.get()
    import_jobs.request_import(draft=draft, mode=ImportMode.ALL_OR_NOTHING)
    real_write = import_jobs._write_chunk
    monkeypatch.setattr(import_jobs, "CHUNK", 1)
    calls = []

    def write_then_break(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        real_write(*args)

    monkeypatch.setattr(import_jobs, "_write_chunk", write_then_break)
    with pytest.raises(RuntimeError):
        tasks.run_import(str(draft.pk))
    assert Applicant.objects.count() == 0  # the first chunk was rolled back with the rest
    draft.refresh_from_db()
    assert (draft.phase, draft.status) == (ImportPhase.READY, ImportStatus.PENDING)
    assert "1件も取り込んでいません" in as_recruiter.get(url).content.decode()
    monkeypatch.setattr(import_jobs, "_write_chunk", real_write)
    assert "2名を取り込みました" in _confirm(as_recruiter, url).content.decode()


def test_a_check_that_breaks_drops_the_file_and_says_so(world, as_recruiter, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("xl/worksheets/sheet1.xml")

    monkeypatch.setattr(csv_import, "build_plan", broken)
    with pytest.raises(KeyError):
        _upload(as_recruiter, _csv([_row()]))
    draft = ApplicantImport.objects.get()
    assert (draft.phase, draft.status, bytes(draft.content)) == (
        ImportPhase.FAILED,
        ImportStatus.DISCARDED,
        b"",
    )
    page = as_recruiter.get(reverse("applicants:import_preview", args=[draft.pk]))
    assert "ファイルを読み取れませんでした" in page.content.decode()


def test_a_confirmation_without_a_mode_is_all_or_nothing(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _bad_file())
    with jobs():
        as_recruiter.post(url, {"confirm": "1"})
    assert ApplicantImport.objects.get().mode == ImportMode.ALL_OR_NOTHING
    assert Applicant.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_holding_the_company_does_not_hold_up_its_other_writes(world):
    """The import's lock on the company's row lets the company's other writes (whose foreign keys take
    FOR KEY SHARE on it) go on, and still keeps a second import waiting."""
    import threading

    from django.db import OperationalError, connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    company = world.acme.company
    holding, release = threading.Event(), threading.Event()

    def import_running() -> None:
        try:
            with transaction.atomic():
                import_jobs.lock_company_for_import(company.pk)
                holding.set()
                release.wait(20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=import_running)
    thread.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            applicant = ApplicantFactory(company=company)  # its foreign key checks the company's row
            AuditEntry.objects.create(company=company, action="test.write", target_type="t", target_id="1")
        assert Applicant.objects.filter(pk=applicant.pk).exists()

        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '500ms'")
            import_jobs.lock_company_for_import(company.pk)  # a second import waits for the first
    finally:
        release.set()
        thread.join(30)
