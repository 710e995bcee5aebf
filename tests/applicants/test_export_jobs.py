"""Exports larger than the request may hold: written by a background job, shown with their progress,
downloaded by their requester only, the same file the request would have written, safe to run twice,
resumed when their task was lost, and deleted after a day."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEntry
from applicants import export_jobs, tasks
from applicants.models import ApplicantExport, ApplicantExportPart, ExportState
from tests.applicants.factories import ApplicantFactory, stage_named
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
EXPORT = reverse("applicants:export")
EXPORT_XLSX = reverse("applicants:export_xlsx")


@pytest.fixture
def small_inline(settings):
    """Exports of more than two applicants go to the background."""
    settings.APPLICANT_EXPORT_INLINE_MAX_ROWS = 2


@pytest.fixture
def applicants(world):
    interview = stage_named(world.acme.company, "一次面接")
    people = [
        ApplicantFactory(company=world.acme.company, name="面接 一", stage=interview),
        ApplicantFactory(company=world.acme.company, name="面接 二", stage=interview),
        ApplicantFactory(company=world.acme.company, name="面接 三", stage=interview),
        ApplicantFactory(company=world.acme.company, name="𠮷野 四"),  # 𠮷: not in Shift_JIS
    ]
    ApplicantFactory(company=world.other.company, name="他社 一")
    return people


def _start(client, url, data=None, *, post=False, capture):
    with capture(execute=True):  # the job runs in-process (no broker in the tests)
        response = client.post(url, data or {}) if post else client.get(url, data or {})
    assert response.status_code == 302, response.content[:300]
    export = ApplicantExport.objects.get()
    assert response.url == reverse("applicants:export_detail", args=[export.pk])
    export.refresh_from_db()
    return export


def _download(client, export) -> bytes:
    response = client.get(reverse("applicants:export_download", args=[export.pk]))
    assert response.status_code == 200
    assert response.streaming
    data = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(data) == export.size_bytes
    return data


def _csv_names(data: bytes, encoding: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
    assert rows[0][:2] == ["応募者ID", "氏名"]
    return [row[1] for row in rows[1:]]


def test_a_large_csv_export_is_written_in_the_background_and_equals_the_inline_file(
    world, as_recruiter, applicants, settings, django_capture_on_commit_callbacks
):
    settings.APPLICANT_EXPORT_INLINE_MAX_ROWS = 10
    inline = b"".join(as_recruiter.get(EXPORT, {"encoding": "utf8"}).streaming_content)
    settings.APPLICANT_EXPORT_INLINE_MAX_ROWS = 2
    export = _start(as_recruiter, EXPORT, {"encoding": "utf8"}, capture=django_capture_on_commit_callbacks)

    assert export.state == ExportState.DONE and export.row_count == 4
    page = as_recruiter.get(reverse("applicants:export_detail", args=[export.pk])).content.decode()
    assert "4名分のファイルを作成しています" in page  # the message after the redirect
    assert "4名分のファイルができました。" in page and "data-export-download" in page
    data = _download(as_recruiter, export)
    assert data.startswith(codecs.BOM_UTF8)
    assert data == inline
    assert (
        AuditEntry.objects.filter(action="applicant.exported").order_by("pk").last().details["background"]
        is True
    )
    assert AuditEntry.objects.filter(
        action="applicant.export_downloaded", actor=world.acme.recruiter
    ).exists()


def test_the_background_export_follows_the_filter_and_stays_in_the_company(
    world, as_recruiter, applicants, small_inline, django_capture_on_commit_callbacks, monkeypatch
):
    interview = stage_named(world.acme.company, "一次面接")
    monkeypatch.setattr(export_jobs, "PART_BYTES", 64)  # several parts, joined in order
    export = _start(
        as_recruiter,
        EXPORT,
        {"encoding": "utf8", "stage": interview.pk},
        capture=django_capture_on_commit_callbacks,
    )
    assert ApplicantExportPart.objects.filter(export=export).count() >= 2
    names = _csv_names(_download(as_recruiter, export), "utf-8-sig")
    assert sorted(names) == ["面接 一", "面接 三", "面接 二"]
    assert "他社 一" not in names


def test_a_shift_jis_export_counts_the_cells_it_could_not_hold(
    world, as_recruiter, applicants, small_inline, django_capture_on_commit_callbacks
):
    export = _start(as_recruiter, EXPORT, {"encoding": "sjis"}, capture=django_capture_on_commit_callbacks)
    assert export.replaced_cells == 1
    page = as_recruiter.get(reverse("applicants:export_detail", args=[export.pk])).content.decode()
    assert "Shift_JISで表せない文字を含むセルが1件あり" in page
    names = _csv_names(_download(as_recruiter, export), "cp932")
    assert "?野 四" in names


def test_a_large_selection_as_xlsx(
    world, as_recruiter, applicants, small_inline, django_capture_on_commit_callbacks
):
    chosen = [applicants[0].pk, applicants[1].pk, applicants[3].pk, ApplicantExport.objects.count() + 10**9]
    foreign = ApplicantFactory(company=world.other.company)
    export = _start(
        as_recruiter,
        EXPORT_XLSX,
        {"ids": [*chosen, foreign.pk]},
        post=True,
        capture=django_capture_on_commit_callbacks,
    )
    assert export.file_kind == "xlsx" and export.row_count == 3
    response = as_recruiter.get(reverse("applicants:export_download", args=[export.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["面接 一", "面接 二", "𠮷野 四"])


def test_progress_is_shown_while_the_job_has_not_run(
    world, as_recruiter, applicants, small_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the task is not delivered
        as_recruiter.get(EXPORT, {"encoding": "utf8"})
    export = ApplicantExport.objects.get()
    assert export.state == ExportState.QUEUED
    progress = as_recruiter.get(reverse("applicants:export_progress", args=[export.pk])).json()
    assert progress == {"phase": "queued", "label": "作成待ち", "done": 0, "total": 4, "running": True}
    page = as_recruiter.get(reverse("applicants:export_detail", args=[export.pk])).content.decode()
    assert "data-import-progress" in page and "js/applicant_import" in page
    download = as_recruiter.get(reverse("applicants:export_download", args=[export.pk]))
    assert download.status_code == 302  # not ready: back to its page
    listing = as_recruiter.get(reverse("applicants:exports")).content.decode()
    assert "作成待ち" in listing


def test_only_the_requester_sees_and_downloads_an_export(
    world, as_recruiter, applicants, small_inline, django_capture_on_commit_callbacks
):
    export = _start(as_recruiter, EXPORT, {"encoding": "utf8"}, capture=django_capture_on_commit_callbacks)
    urls = [
        reverse(name, args=[export.pk])
        for name in ("applicants:export_detail", "applicants:export_progress", "applicants:export_download")
    ]
    admin = client_for(world.acme.admin)
    other_company = client_for(world.other.admin)
    for url in urls:
        assert admin.get(url).status_code == 404
        assert other_company.get(url).status_code == 404
        assert client_for(world.acme.interviewer).get(url).status_code == 403
    assert str(export.pk) not in admin.get(reverse("applicants:exports")).content.decode()


def test_the_job_is_safe_to_run_twice_and_a_dead_run_is_written_again(
    world, as_recruiter, applicants, small_inline, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(export_jobs, "PART_BYTES", 64)
    export = _start(as_recruiter, EXPORT, {"encoding": "utf8"}, capture=django_capture_on_commit_callbacks)
    parts = list(ApplicantExportPart.objects.filter(export=export).values_list("pk", flat=True))
    assert export_jobs.run_export(export_id=str(export.pk)) is False  # done: nothing to do
    assert list(ApplicantExportPart.objects.filter(export=export).values_list("pk", flat=True)) == parts

    # A worker died while writing: parts of the first run are left, its claim is old.
    ApplicantExport.objects.filter(pk=export.pk).update(
        state=ExportState.RUNNING,
        state_changed_at=timezone.now() - export_jobs.STALE_AFTER - timedelta(minutes=1),
    )
    ApplicantExportPart.objects.filter(export=export, index__gt=1).delete()
    assert export_jobs.unclaimed_export_ids() == [str(export.pk)]
    assert export_jobs.run_export(export_id=str(export.pk)) is True
    export.refresh_from_db()
    assert export.state == ExportState.DONE
    assert sorted(_csv_names(_download(as_recruiter, export), "utf-8-sig")) == sorted(
        a.name for a in applicants
    )


def test_a_lost_task_is_resumed_by_the_sweeper(
    world, as_recruiter, applicants, small_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        as_recruiter.get(EXPORT, {"encoding": "utf8"})
    export = ApplicantExport.objects.get()
    assert export_jobs.unclaimed_export_ids() == []  # just queued: its task may still come
    ApplicantExport.objects.filter(pk=export.pk).update(
        state_changed_at=timezone.now() - timedelta(minutes=3)
    )
    assert tasks.resume_exports() == 1  # enqueued; the tests run tasks in-process
    export.refresh_from_db()
    assert export.state == ExportState.DONE and export.row_count == 4


def test_a_failing_job_says_so_and_keeps_no_file(
    world, as_recruiter, applicants, small_inline, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_jobs.csv_export, "stream_csv", broken)
    export = _start(as_recruiter, EXPORT, {"encoding": "utf8"}, capture=django_capture_on_commit_callbacks)
    assert export.state == ExportState.FAILED and "RuntimeError" in export.failure
    assert not ApplicantExportPart.objects.filter(export=export).exists()
    page = as_recruiter.get(reverse("applicants:export_detail", args=[export.pk])).content.decode()
    assert "ファイルを作成できませんでした" in page


def test_exports_are_deleted_after_a_day(
    world, as_recruiter, applicants, small_inline, django_capture_on_commit_callbacks
):
    export = _start(as_recruiter, EXPORT, {"encoding": "utf8"}, capture=django_capture_on_commit_callbacks)
    assert export_jobs.purge_expired_exports() == 0
    ApplicantExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert as_recruiter.get(reverse("applicants:export_download", args=[export.pk])).status_code == 404
    assert tasks.purge_expired_imports() >= 1
    assert not ApplicantExport.objects.exists() and not ApplicantExportPart.objects.exists()


def test_small_exports_still_stream_in_the_request(world, as_recruiter, applicants, settings):
    settings.APPLICANT_EXPORT_INLINE_MAX_ROWS = 4
    response = as_recruiter.get(EXPORT, {"encoding": "utf8"})
    assert response.streaming and not ApplicantExport.objects.exists()
