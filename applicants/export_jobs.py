"""Large exports of the applicant list as background jobs.

An export of up to ``settings.APPLICANT_EXPORT_INLINE_MAX_ROWS`` applicants is written in the request (the
views). A larger one (300,000 rows take minutes, longer than a web worker may hold a request) becomes an
``ApplicantExport``: the job writes the file into parts of about ``PART_BYTES`` each, its page shows how
many rows are written, and its requester downloads the file for ``EXPORT_LIFETIME``.

    QUEUED → RUNNING → DONE | FAILED

Safe to run twice: a run claims the export (QUEUED → RUNNING) and another delivery finds nothing to do; a
claim older than STALE_AFTER is taken again (its worker died) and that run writes the file from the start.
An export whose task was never delivered (broker down) is resumed by ``resume_exports`` (beat).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import IO, Any, TypeVar
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, User
from applicants import csv_export, selectors, services, tasks
from applicants.forms import ApplicantFilterForm
from applicants.job_progress import JobProgress
from applicants.models import Applicant, ApplicantExport, ApplicantExportPart, ExportState, FileKind

logger = logging.getLogger(__name__)

EXPORT_LIFETIME = timedelta(hours=24)
STALE_AFTER = timedelta(minutes=30)
# An export not claimed this long after its start lost its task (broker or worker down): queued again.
UNCLAIMED_AFTER = timedelta(minutes=2)
PART_BYTES = 512 * 1024
PROGRESS_EVERY = 1000  # rows between progress reports
PROGRESS_TTL = 60 * 60
CSV_TYPES = {csv_export.UTF8: "text/csv; charset=utf-8", csv_export.SJIS: "text/csv; charset=Shift_JIS"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

T = TypeVar("T")


def inline_max_rows() -> int:
    return int(settings.APPLICANT_EXPORT_INLINE_MAX_ROWS)


# --- starting and reading ---------------------------------------------------------------------------------


def start_export(
    *,
    company: Company,
    actor: User,
    file_kind: str,
    encoding: str = "",
    filter_query: str = "",
    applicant_ids: list[int] | None = None,
    count: int,
    request: HttpRequest | None = None,
) -> ApplicantExport:
    """Queue the export of the list's filter (``filter_query``) or of the selected ``applicant_ids``."""
    if file_kind not in FileKind.values or (file_kind == FileKind.CSV) != (encoding in csv_export.ENCODINGS):
        raise ValueError((file_kind, encoding))
    with transaction.atomic():
        export = ApplicantExport.objects.create(
            company=company,
            created_by=actor,
            file_kind=file_kind,
            encoding=encoding if file_kind == FileKind.CSV else "",
            filter_query=filter_query if applicant_ids is None else "",
            applicant_ids=applicant_ids,
            progress_total=count,
        )
        scope: dict[str, Any] = (
            {"selection": len(applicant_ids)} if applicant_ids is not None else {"filters": filter_query}
        )
        services.record_export(
            company=company,
            actor=actor,
            count=count,
            details={"format": file_kind, "encoding": export.encoding, "background": True, **scope},
            request=request,
        )
        export_id = str(export.pk)
        transaction.on_commit(lambda: enqueue(export_id))
    return export


def enqueue(export_id: str) -> None:
    try:
        tasks.run_export.delay(export_id)
    except Exception:
        logger.warning("could not enqueue applicant export %s; the sweeper will", export_id, exc_info=True)


def _own_exports(company: Company, actor: User) -> QuerySet[ApplicantExport]:
    """The actor's unexpired exports in this company: the only ones they see or download."""
    return ApplicantExport.objects.filter(
        company=company, created_by=actor, created_at__gte=timezone.now() - EXPORT_LIFETIME
    )


def user_export(*, company: Company, actor: User, export_id: UUID | str) -> ApplicantExport | None:
    return _own_exports(company, actor).filter(pk=export_id).first()


def user_exports(*, company: Company, actor: User, limit: int = 20) -> list[ApplicantExport]:
    """Newest first."""
    return list(_own_exports(company, actor).order_by("-created_at")[:limit])


def progress_of(export: ApplicantExport) -> JobProgress:
    """Where the export stands: the cache's count while it runs, the row's after."""
    done = export.progress_done
    if export.running:
        cached = cache.get(_progress_key(export.pk))
        if isinstance(cached, int):
            done = cached
    return JobProgress(
        phase=export.state,
        label=str(export.get_state_display()),
        done=done,
        total=max(export.progress_total, done),
        running=export.running,
    )


def download_name(export: ApplicantExport) -> str:
    stamp = timezone.localtime(export.created_at, export.company.tzinfo).strftime("%Y%m%d-%H%M")
    return f"applicants-{stamp}.{'xlsx' if export.file_kind == FileKind.XLSX else 'csv'}"


def content_type(export: ApplicantExport) -> str:
    return XLSX_TYPE if export.file_kind == FileKind.XLSX else CSV_TYPES[export.encoding]


def file_chunks(export: ApplicantExport) -> Iterator[bytes]:
    """The finished file, part by part (one part in memory at a time)."""
    parts = ApplicantExportPart.objects.filter(export_id=export.pk).order_by("index")
    for content in parts.values_list("content", flat=True).iterator(chunk_size=1):
        yield bytes(content)


def record_download(*, export: ApplicantExport, actor: User, request: HttpRequest | None = None) -> None:
    record_audit(
        action="applicant.export_downloaded",
        actor=actor,
        company=export.company,
        target_label=_("%(count)d名") % {"count": export.row_count},
        details={"export": str(export.pk), "format": export.file_kind, "count": export.row_count},
        request=request,
    )


# --- the job ------------------------------------------------------------------------------------------------


def run_export(*, export_id: str) -> bool:
    """Write the export's file. False when another run has it or it is finished."""
    if not _claim(export_id):
        return False
    try:
        _write(ApplicantExport.objects.select_related("company").get(pk=export_id))
    except Exception as exc:
        logger.exception("applicant export %s failed", export_id)
        ApplicantExportPart.objects.filter(export__pk=export_id).delete()
        ApplicantExport.objects.filter(pk=export_id, state=ExportState.RUNNING).update(
            state=ExportState.FAILED,
            failure=_("ファイルを作成できませんでした（%(error)s）。もう一度お試しください。")
            % {"error": type(exc).__name__},
            state_changed_at=timezone.now(),
            finished_at=timezone.now(),
        )
        return False
    finally:
        cache.delete(_progress_key(export_id))
    return True


def _claim(export_id: str) -> bool:
    now = timezone.now()
    exports = ApplicantExport.objects.filter(pk=export_id, created_at__gte=now - EXPORT_LIFETIME)
    claimed = exports.filter(state=ExportState.QUEUED).update(state=ExportState.RUNNING, state_changed_at=now)
    if not claimed:  # a run that died: its parts are written again from the start
        claimed = exports.filter(state=ExportState.RUNNING, state_changed_at__lt=now - STALE_AFTER).update(
            state_changed_at=now
        )
    return bool(claimed)


def applicants_of(export: ApplicantExport) -> QuerySet[Applicant]:
    """The export's applicants as the list chose them when it started, in the list's order."""
    company_applicants = Applicant.objects.filter(company=export.company)
    if export.applicant_ids is not None:
        chosen = selectors.applicants_by_ids(company_applicants, export.applicant_ids)
        return chosen.order_by(*selectors.SORTS[selectors.DEFAULT_SORT])
    lists = selectors.company_lists(export.company)
    filters = ApplicantFilterForm(QueryDict(export.filter_query), lists=lists).filters()
    return selectors.filter_applicants(company_applicants, filters, lists)


def _write(export: ApplicantExport) -> None:
    ApplicantExportPart.objects.filter(export_id=export.pk).delete()
    counter = _RowCounter(export.pk)
    tz = export.company.tzinfo
    queryset = applicants_of(export)
    if export.file_kind == FileKind.XLSX:
        with csv_export.write_xlsx(counter.counted(csv_export.export_values(queryset, tz))) as handle:
            chunks: Iterable[bytes] = _read_chunks(handle)
            size, parts = _store_parts(export.pk, chunks)
        replaced = 0
    else:
        rows = counter.counted(csv_export.export_rows(queryset, tz))
        if export.encoding == csv_export.SJIS:
            rows = counter.counting_unencodable(rows)
        size, parts = _store_parts(export.pk, csv_export.stream_csv(rows, encoding=export.encoding))
        replaced = counter.unencodable
    ApplicantExport.objects.filter(pk=export.pk, state=ExportState.RUNNING).update(
        state=ExportState.DONE,
        row_count=counter.rows,
        progress_done=counter.rows,
        progress_total=counter.rows,
        replaced_cells=replaced,
        size_bytes=size,
        state_changed_at=timezone.now(),
        finished_at=timezone.now(),
    )
    logger.info("applicant export %s: %d rows, %d bytes in %d parts", export.pk, counter.rows, size, parts)


class _RowCounter:
    """Counts the rows going into the file and reports the count every PROGRESS_EVERY rows."""

    def __init__(self, export_id: Any) -> None:
        self.export_id = export_id
        self.rows = 0
        self.unencodable = 0

    def counted(self, rows: Iterable[T]) -> Iterator[T]:
        for row in rows:
            self.rows += 1
            if self.rows % PROGRESS_EVERY == 0:
                _report(self.export_id, self.rows)
            yield row

    def counting_unencodable(self, rows: Iterable[list[str]]) -> Iterator[list[str]]:
        for row in rows:
            self.unencodable += csv_export.unencodable_cells(row)
            yield row


def _report(export_id: Any, done: int) -> None:
    cache.set(_progress_key(export_id), done, PROGRESS_TTL)
    ApplicantExport.objects.filter(pk=export_id).update(progress_done=done)


def _progress_key(export_id: Any) -> str:
    return f"applicants:export-progress:{export_id}"


def _read_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    handle.seek(0)
    while chunk := handle.read(PART_BYTES):
        yield chunk


def _store_parts(export_id: Any, chunks: Iterable[bytes]) -> tuple[int, int]:
    """Write ``chunks`` as parts of about PART_BYTES; (bytes, parts) written."""
    buffer, size, index = io.BytesIO(), 0, 0
    for chunk in chunks:
        buffer.write(chunk)
        if buffer.tell() >= PART_BYTES:
            size += _store_part(export_id, index, buffer)
            buffer, index = io.BytesIO(), index + 1
    if buffer.tell() or index == 0:
        size += _store_part(export_id, index, buffer)
        index += 1
    return size, index


def _store_part(export_id: Any, index: int, buffer: io.BytesIO) -> int:
    content = buffer.getvalue()
    ApplicantExportPart.objects.create(export_id=export_id, index=index, content=content)
    return len(content)


# --- sweeping -----------------------------------------------------------------------------------------------


def unclaimed_export_ids(*, now: Any = None) -> list[str]:
    """Exports whose task was lost: queued for longer than UNCLAIMED_AFTER, or claimed by a run that died."""
    now = now or timezone.now()
    queued = Q(state=ExportState.QUEUED, state_changed_at__lt=now - UNCLAIMED_AFTER)
    dead = Q(state=ExportState.RUNNING, state_changed_at__lt=now - STALE_AFTER)
    lost = ApplicantExport.objects.filter(queued | dead, created_at__gte=now - EXPORT_LIFETIME)
    return [str(pk) for pk in lost.values_list("pk", flat=True)]


def purge_expired_exports(*, now: Any = None) -> int:
    """Export files are personal data: exports older than EXPORT_LIFETIME go with their parts."""
    now = now or timezone.now()
    _deleted, per_model = ApplicantExport.objects.filter(created_at__lt=now - EXPORT_LIFETIME).delete()
    return per_model.get(ApplicantExport._meta.label, 0)
