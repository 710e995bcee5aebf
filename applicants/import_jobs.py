"""Imports as background jobs: the upload keeps the file, a job checks it, the user confirms, a job imports.

Each step moves ``ApplicantImport.phase`` on:

    CHECK_QUEUED → CHECKING → READY → IMPORT_QUEUED → IMPORTING → DONE      (status IMPORTED)
                                 ↖_____________ blocked ____________↙

A job claims its step with a conditional update (the phase it expects → the running phase), so a second
delivery of the same task finds nothing to do; a claim older than STALE_AFTER is taken again (its worker
died: the import's transaction was rolled back with it). The import runs in one transaction holding the
company's row, like the synchronous import before it, and writes in chunks of CHUNK rows. Progress goes to
the cache while the job runs (the import's own transaction hides its database writes until the end), and to
the row whenever no transaction hides it.

Two modes: ALL_OR_NOTHING (the default) imports only a file without errors; VALID_ROWS imports the rows that
are right and keeps the others, with a 理由 column, as a file to download (CSV, or .xlsx for an .xlsx).
Duplicates are skipped in both modes and listed in that file too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, User
from applicants import csv_export, csv_import, normalize, services, tasks, xlsx
from applicants.job_progress import JobProgress
from applicants.models import (
    Applicant,
    ApplicantImport,
    CompanyChoice,
    FileKind,
    ImportMode,
    ImportPhase,
    ImportPreset,
    ImportStatus,
    Position,
    SelectionStage,
    Source,
    StatusChange,
)

CHUNK = 1000
STALE_AFTER = timedelta(minutes=30)
PROGRESS_TTL = 60 * 60
RUNNING = (ImportPhase.CHECK_QUEUED, ImportPhase.CHECKING, ImportPhase.IMPORT_QUEUED, ImportPhase.IMPORTING)
_Choice = TypeVar("_Choice", bound=CompanyChoice)


class ImportBlockedError(Exception):
    """The check at import found problems (``summary``, now also the draft's preview); nothing imported."""

    def __init__(self, summary: csv_import.PlanSummary) -> None:
        super().__init__(summary.file_error or "rows have errors")
        self.summary = summary


def _choices_by_key(model: type[_Choice], company: Company, names: Iterable[str]) -> dict[str, _Choice]:
    existing = {normalize.name_key(c.name): c for c in model.objects.filter(company=company)}
    missing = {normalize.name_key(n): n for n in names if n and normalize.name_key(n) not in existing}
    if missing:
        last = max((c.sort_order for c in existing.values()), default=0)
        model.objects.bulk_create(
            [
                model(company=company, name=name, sort_order=last + (i + 1) * 10)
                for i, name in enumerate(missing.values())
            ],
            ignore_conflicts=True,
        )
        existing = {normalize.name_key(c.name): c for c in model.objects.filter(company=company)}
    return existing


def _progress_key(import_id: Any) -> str:
    return f"applicants:import-progress:{import_id}"


def _report(import_id: Any, done: int, total: int) -> None:
    cache.set(_progress_key(import_id), [done, total], PROGRESS_TTL)
    if not transaction.get_connection().in_atomic_block:
        ApplicantImport.objects.filter(pk=import_id).update(progress_done=done, progress_total=total)


def progress_of(draft: ApplicantImport) -> JobProgress:
    """Where the draft's job stands: the cache's figures while it runs, the row's after."""
    done, total = draft.progress_done, draft.progress_total
    if draft.phase in RUNNING:
        cached = cache.get(_progress_key(draft.pk))
        if isinstance(cached, list) and len(cached) == 2:
            done, total = int(cached[0]), int(cached[1])
    return JobProgress(
        phase=draft.phase,
        label=str(ImportPhase(draft.phase).label),
        done=done,
        total=max(total, done),
        running=draft.phase in RUNNING,
    )


# --- the upload ----------------------------------------------------------------------------------------


def create_import(
    *,
    company: Company,
    actor: User,
    file_name: str,
    content: bytes,
    preset: ImportPreset | None = None,
    source: Source | None = None,
) -> ApplicantImport:
    """Keep an uploaded file (CSV or .xlsx) and start its check in the background."""
    for obj in (preset, source):
        if obj is not None and obj.company_id != company.pk:
            raise ValueError(f"{obj!r} belongs to another company")
    is_xlsx = xlsx.is_xlsx(content) or file_name.lower().endswith(".xlsx")
    kind = FileKind.XLSX if is_xlsx else FileKind.CSV
    with transaction.atomic():
        services.purge_expired_imports(company=company)
        draft = ApplicantImport.objects.create(
            company=company,
            created_by=actor,
            file_name=file_name[:255],
            content=content,
            file_kind=kind,
            phase=ImportPhase.CHECK_QUEUED,
            preset=preset,
            column_map=list(preset.column_map) if preset is not None else None,
            default_source=source or (preset.source if preset is not None else None),
        )
        _enqueue_check(draft)
    return draft


def _enqueue_check(draft: ApplicantImport) -> None:
    import_id = str(draft.pk)
    transaction.on_commit(lambda: tasks.check_import.delay(import_id))


def user_import(*, company: Company, actor: User, import_id: Any) -> ApplicantImport | None:
    """The actor's own, unexpired, not discarded upload of this company, or None."""
    return (
        ApplicantImport.objects.filter(
            pk=import_id,
            company=company,
            created_by=actor,
            created_at__gte=timezone.now() - services.IMPORT_DRAFT_LIFETIME,
        )
        .exclude(Q(status=ImportStatus.DISCARDED) & ~Q(phase=ImportPhase.FAILED))  # failed: says why
        .select_related("preset", "default_source")
        .first()
    )


def ensure_checked(*, draft: ApplicantImport) -> None:
    """A ready draft without a usable kept check (dropped when an applicant it named was anonymized, or
    kept by an older version) is checked again."""
    ready = draft.status == ImportStatus.PENDING and draft.phase == ImportPhase.READY
    if ready and csv_import.PlanSummary.from_json(draft.preview) is None:
        with transaction.atomic():
            updated = ApplicantImport.objects.filter(
                pk=draft.pk, phase=ImportPhase.READY, status=ImportStatus.PENDING
            ).update(
                phase=ImportPhase.CHECK_QUEUED,
                preview=None,
                phase_changed_at=timezone.now(),
                progress_done=0,
            )
            if updated:
                draft.phase, draft.preview = ImportPhase.CHECK_QUEUED, None
                _enqueue_check(draft)


def remap_import(
    *,
    draft: ApplicantImport,
    column_map: list[str],
    source: Source | None = None,
    preset: ImportPreset | None = None,
) -> ApplicantImport:
    """Read the file again with the columns mapped as the user chose (and saved as ``preset``, if so)."""
    for obj in (source, preset):
        if obj is not None and obj.company_id != draft.company_id:
            raise ValueError(f"{obj!r} belongs to another company")
    with transaction.atomic():
        updated = ApplicantImport.objects.filter(
            pk=draft.pk, status=ImportStatus.PENDING, phase=ImportPhase.READY
        ).update(
            column_map=column_map,
            default_source=source,
            preset=preset,
            preview=None,
            blocked=False,
            failure="",
            phase=ImportPhase.CHECK_QUEUED,
            phase_changed_at=timezone.now(),
            progress_done=0,
        )
        if not updated:
            raise ValidationError(_("このファイルは今は変更できません。"))
        _enqueue_check(draft)
    draft.refresh_from_db()
    return draft


def save_preset(
    *,
    company: Company,
    actor: User,
    name: str,
    headers: list[str],
    column_map: list[str],
    source: Source | None,
    request: HttpRequest | None = None,
) -> ImportPreset:
    """Keep a column mapping under a name (the same name replaces the mapping it held)."""
    if source is not None and source.company_id != company.pk:
        raise ValueError("the source belongs to another company")
    with transaction.atomic():
        preset, created = ImportPreset.objects.select_for_update().get_or_create(
            company=company,
            name=name,
            defaults={"headers": headers, "column_map": column_map, "source": source, "created_by": actor},
        )
        if not created:
            preset.headers, preset.column_map, preset.source = headers, column_map, source
            preset.updated_at = timezone.now()
            preset.save(update_fields=["headers", "column_map", "source", "updated_at"])
        record_audit(
            action="applicant.import_preset_saved",
            actor=actor,
            company=company,
            target=preset,
            target_label=preset.name,
            request=request,
        )
    return preset


def delete_preset(*, preset: ImportPreset, actor: User, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        record_audit(
            action="applicant.import_preset_deleted",
            actor=actor,
            company=preset.company,
            target_label=preset.name,
            request=request,
        )
        preset.delete()


def _preset_for(draft: ApplicantImport, header: list[str]) -> tuple[list[str] | None, ImportPreset | None]:
    """The mapping a file is read with: the user's or the chosen preset's; else a preset with the file's
    headers (the chosen 応募経路's first); else, for headers not ours, the chosen 応募経路's newest preset
    for as many columns."""
    if draft.column_map is not None:
        return list(draft.column_map), draft.preset
    keys = csv_import.header_keys(header)
    presets = sorted(
        ImportPreset.objects.filter(company_id=draft.company_id),
        key=lambda p: (p.source_id != draft.default_source_id, -p.updated_at.timestamp()),
    )
    matching = [p for p in presets if p.headers == keys]
    if not matching and draft.default_source_id is not None and not csv_import.headers_are_ours(header):
        matching = [
            p for p in presets if p.source_id == draft.default_source_id and len(p.column_map) == len(keys)
        ]
    if matching:
        return list(matching[0].column_map), matching[0]
    return None, None


# --- the check job -------------------------------------------------------------------------------------


def _fail(import_id: Any, message: str) -> None:
    """The file cannot be imported: its content (personal data) goes, the page says why."""
    ApplicantImport.objects.filter(pk=import_id).update(
        content=b"",
        preview=None,
        status=ImportStatus.DISCARDED,
        phase=ImportPhase.FAILED,
        failure=message[:500],
        phase_changed_at=timezone.now(),
    )


def _claim(import_id: Any, queued: str, running: str) -> bool:
    now = timezone.now()
    pending = ApplicantImport.objects.filter(pk=import_id, status=ImportStatus.PENDING)
    claimed = pending.filter(phase=queued).update(phase=running, phase_changed_at=now)
    if not claimed:  # a job that died while running: its transaction is gone, it may run again
        claimed = pending.filter(phase=running, phase_changed_at__lt=now - STALE_AFTER).update(
            phase_changed_at=now
        )
    return bool(claimed)


def _estimate_rows(content: bytes, file_kind: str) -> int:
    if file_kind == FileKind.XLSX:
        return 0
    return max(content.count(b"\n") - 1, 0)


def check_import(*, import_id: Any) -> None:
    """The check job: read the whole file, keep what it found as the preview. Safe to run twice."""
    if not _claim(import_id, ImportPhase.CHECK_QUEUED, ImportPhase.CHECKING):
        return
    draft = ApplicantImport.objects.select_related("company", "default_source").get(pk=import_id)
    content = bytes(draft.content)
    total = _estimate_rows(content, draft.file_kind)
    _report(draft.pk, 0, total)
    chosen: dict[str, Any] = {"map": None, "preset": None}

    def choose(header: list[str]) -> tuple[list[str] | None, str]:
        chosen["map"], chosen["preset"] = _preset_for(draft, header)
        source = chosen["preset"].source if chosen["preset"] is not None else None
        chosen["source"] = draft.default_source or source
        return chosen["map"], chosen["source"].name if chosen["source"] is not None else ""

    try:
        plan = csv_import.build_plan(
            content,
            company=draft.company,
            today=timezone.localdate(),
            file_kind=draft.file_kind,
            choose_map=choose,
            progress=lambda done: _report(draft.pk, done, max(total, done)),
        )
    except csv_import.ImportLimitError as exc:  # beyond the limits: the file is not kept
        _fail(draft.pk, str(exc))
        return
    except Exception:
        # A file the readers choke on (a broken sheet), or the worker's time limit: shown, not retried.
        _fail(
            draft.pk,
            _("ファイルを読み取れませんでした。ファイルを確認して、もう一度アップロードしてください。"),
        )
        raise
    summary = csv_import.PlanSummary.of(plan, checked_at=timezone.now())
    # The import reads the file as this check did: the same mapping and default 応募経路.
    ApplicantImport.objects.filter(pk=draft.pk, phase=ImportPhase.CHECKING).update(
        preview=summary.to_json(),
        phase=ImportPhase.READY,
        phase_changed_at=timezone.now(),
        progress_done=plan.total_rows,
        progress_total=plan.total_rows,
        column_map=chosen["map"],
        preset=chosen["preset"] or draft.preset,
        default_source=chosen.get("source"),
    )
    cache.delete(_progress_key(draft.pk))


# --- the import job ------------------------------------------------------------------------------------


def request_import(*, draft: ApplicantImport, mode: str) -> bool:
    """Queue the import of a checked file in ``mode``; False when it is not waiting for one."""
    if mode not in ImportMode.values:
        raise ValueError(mode)
    with transaction.atomic():
        updated = ApplicantImport.objects.filter(
            pk=draft.pk, status=ImportStatus.PENDING, phase=ImportPhase.READY, preview__isnull=False
        ).update(
            phase=ImportPhase.IMPORT_QUEUED,
            mode=mode,
            blocked=False,
            failure="",
            phase_changed_at=timezone.now(),
            progress_done=0,
        )
        if updated:
            import_id = str(draft.pk)
            transaction.on_commit(lambda: tasks.run_import.delay(import_id))
    return bool(updated)


def discard_import(*, draft: ApplicantImport) -> bool:
    """Drop a file that is not being imported; False when a job is importing it."""
    return bool(
        ApplicantImport.objects.filter(pk=draft.pk, status=ImportStatus.PENDING)
        .exclude(phase__in=(ImportPhase.IMPORT_QUEUED, ImportPhase.IMPORTING))
        .update(status=ImportStatus.DISCARDED, content=b"", preview=None, phase=ImportPhase.DONE)
    )


@dataclass(frozen=True)
class ImportOutcome:
    imported: int
    skipped: int
    rejected: int


def run_import(*, import_id: Any) -> ImportOutcome | None:
    """The import job. Safe to run twice: the second run finds the import claimed or done (None)."""
    if not _claim(import_id, ImportPhase.IMPORT_QUEUED, ImportPhase.IMPORTING):
        return None
    try:
        outcome = _import(import_id)
    except ImportBlockedError as exc:
        ApplicantImport.objects.filter(pk=import_id, phase=ImportPhase.IMPORTING).update(
            preview=exc.summary.to_json(),
            phase=ImportPhase.READY,
            blocked=True,
            phase_changed_at=timezone.now(),
        )
        return None
    except Exception:
        # Rolled back: nothing was imported. The preview comes back and the user may try again.
        ApplicantImport.objects.filter(pk=import_id, phase=ImportPhase.IMPORTING).update(
            phase=ImportPhase.READY,
            failure=_("取り込み中にエラーが発生したため、1件も取り込んでいません。もう一度お試しください。"),
            phase_changed_at=timezone.now(),
        )
        raise
    finally:
        cache.delete(_progress_key(import_id))
    return outcome


def lock_company_for_import(company_id: int) -> Company:
    """The company's row, locked until the transaction ends: one import (or new stage) at a time.

    FOR NO KEY UPDATE, not FOR UPDATE: the company's other writes (bookings, status changes, mails, audit
    entries) check their foreign key to this row with FOR KEY SHARE, which FOR UPDATE blocks, so a
    20-second import held up every write of the company. Two imports, or an import and a new stage
    (``services.add_choice``), still wait for each other."""
    return Company.objects.select_for_update(no_key=True).get(pk=company_id)


def _import(import_id: Any) -> ImportOutcome:
    with transaction.atomic():
        draft = ApplicantImport.objects.select_related("created_by", "default_source").get(pk=import_id)
        company = lock_company_for_import(draft.company_id)
        locked = ApplicantImport.objects.select_for_update().get(pk=import_id)
        if locked.status != ImportStatus.PENDING or not locked.content:
            raise ImportBlockedError(
                csv_import.PlanSummary(checked_at=timezone.now(), file_error=_("ファイルがありません。"))
            )
        content = bytes(locked.content)
        plan = csv_import.build_plan(
            content,
            company=company,
            today=timezone.localdate(),
            file_kind=locked.file_kind,
            column_map=locked.column_map,
            default_source=draft.default_source.name if draft.default_source is not None else "",
        )
        valid_rows = locked.mode == ImportMode.VALID_ROWS
        if plan.file_error or not plan.importable_rows or (plan.errors and not valid_rows):
            raise ImportBlockedError(csv_import.PlanSummary.of(plan, checked_at=timezone.now()))
        actor = draft.created_by
        rows = plan.importable_rows
        _report(import_id, 0, len(rows))
        done = 0
        for chunk in _chunks(rows, CHUNK):
            _write_chunk(company, actor, chunk)
            done += len(chunk)
            _report(import_id, done, len(rows))
        reasons = csv_import.rejection_reasons(plan)
        rejected = _rejected_file(content, locked.file_kind, reasons) if reasons else b""
        outcome = ImportOutcome(imported=len(rows), skipped=len(plan.duplicates), rejected=len(reasons))
        now = timezone.now()
        ApplicantImport.objects.filter(pk=import_id).update(
            status=ImportStatus.IMPORTED,
            phase=ImportPhase.DONE,
            phase_changed_at=now,
            content=b"",
            preview=None,
            imported_at=now,
            imported_count=outcome.imported,
            skipped_count=outcome.skipped,
            rejected_count=outcome.rejected,
            rejected_content=rejected,
            progress_done=len(rows),
            progress_total=len(rows),
        )
        record_audit(
            action="applicant.imported",
            actor=actor,
            company=company,
            target=locked,
            target_label=locked.file_name,
            details={
                "imported": outcome.imported,
                "skipped_duplicates": outcome.skipped,
                "rejected": outcome.rejected,
                "mode": locked.mode,
            },
        )
    return outcome


def _chunks(rows: list[csv_import.ParsedRow], size: int) -> Iterator[list[csv_import.ParsedRow]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _write_chunk(company: Company, actor: User | None, rows: list[csv_import.ParsedRow]) -> None:
    """One chunk of rows: applicants, their first history entry and their tags, in three bulk inserts."""
    stages = {stage.name: stage for stage in SelectionStage.objects.filter(company=company)}
    positions = _choices_by_key(Position, company, (row.position_name for row in rows))
    sources = _choices_by_key(Source, company, (row.source_name for row in rows))
    tags = {
        tag.name: tag
        for tag in services.resolve_tags(company=company, names=(t for row in rows for t in row.tags))
    }
    now = timezone.now()
    applicants = []
    for row in rows:
        stage = stages[row.stage_name]
        applicant = Applicant(
            company=company,
            stage=stage,
            reached_stages=stage.mask,  # the stage of the one history entry below
            position=positions.get(normalize.name_key(row.position_name)),
            source=sources.get(normalize.name_key(row.source_name)),
            created_by=actor,
            created_at=now,
            updated_at=now,
            **row.fields,
        )
        applicant.set_search_keys()
        applicants.append(applicant)
    Applicant.objects.bulk_create(applicants, batch_size=CHUNK)
    label = actor.display_name if actor is not None else ""
    StatusChange.objects.bulk_create(
        [
            StatusChange(
                applicant=applicant,
                to_stage=applicant.stage,
                changed_by=actor,
                changed_by_label=label,
                comment=_("CSV取り込み"),
                created_at=now,
            )
            for applicant in applicants
        ],
        batch_size=CHUNK,
    )
    Applicant.tags.through.objects.bulk_create(
        [
            Applicant.tags.through(applicant_id=applicant.pk, tag_id=tags[name].pk)
            for applicant, row in zip(applicants, rows, strict=True)
            for name in row.tags
        ],
        batch_size=CHUNK,
    )


def _rejected_file(content: bytes, file_kind: str, reasons: dict[int, str]) -> bytes:
    records = csv_import.rejected_records(content, file_kind=file_kind, reasons=reasons)
    if file_kind == FileKind.XLSX:
        return xlsx.to_bytes(records, title="取り込めなかった行")
    return csv_export.rows_csv(records)


def rejected_download(draft: ApplicantImport) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the rows an import left out."""
    stem = (draft.file_name.rsplit(".", 1)[0] or "import")[:100]
    if draft.file_kind == FileKind.XLSX:
        return bytes(draft.rejected_content), xlsx.CONTENT_TYPE, f"{stem}-rejected.xlsx"
    return bytes(draft.rejected_content), "text/csv; charset=utf-8", f"{stem}-rejected.csv"


def purge_expired_files() -> int:
    """Rejected-rows files (personal data) go with the upload after IMPORT_DRAFT_LIFETIME."""
    expired = ApplicantImport.objects.filter(
        created_at__lt=timezone.now() - services.IMPORT_DRAFT_LIFETIME
    ).exclude(rejected_content=b"")
    return expired.update(rejected_content=b"")


def column_choices() -> list[tuple[str, str]]:
    """The fields a column can be mapped to, 取り込まない first."""
    return [
        (csv_import.IGNORE, _("取り込まない")),
        *((column.key, str(column.label)) for column in csv_import.COLUMNS),
    ]


def initial_column_map(draft: ApplicantImport, headers: Iterable[str]) -> list[str]:
    """The mapping the form starts from: the draft's, else what the headers say."""
    headers = list(headers)
    if draft.column_map is not None and len(draft.column_map) == len(headers):
        return list(draft.column_map)
    return csv_import.guess_column_map(headers)
