"""Every write to applicants: each service owns its transaction and writes the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import AuditEntry, Company, User
from applicants import csv_import, normalize, signals
from applicants.models import (
    PROFILE_FIELDS,
    Applicant,
    ApplicantImport,
    CompanyChoice,
    ImportStatus,
    Memo,
    Position,
    SelectionStage,
    Source,
    StageKind,
    StatusChange,
    Tag,
)

_Choice = TypeVar("_Choice", bound=CompanyChoice)

DEFAULT_STAGES: tuple[tuple[str, str], ...] = (
    ("エントリー", StageKind.IN_PROGRESS),
    ("説明会", StageKind.IN_PROGRESS),
    ("書類選考", StageKind.IN_PROGRESS),
    ("一次面接", StageKind.IN_PROGRESS),
    ("二次面接", StageKind.IN_PROGRESS),
    ("最終面接", StageKind.IN_PROGRESS),
    ("内定", StageKind.OFFER),
    ("内定承諾", StageKind.OFFER),
    ("入社", StageKind.OFFER),
    ("不合格", StageKind.CLOSED),
    ("辞退", StageKind.CLOSED),
)
DEFAULT_SOURCES = ("マイナビ", "リクナビ", "自社サイト", "紹介", "エージェント", "その他")
# Fields a recruiter edits on the form (stage and tags have their own handling).
EDITABLE_FIELDS = (*PROFILE_FIELDS, "source", "position", "applied_on", "memo")
KEY_FIELDS = ("name_key", "given_name_key", "kana_key", "given_kana_key", "email_key", "phone_key")
PERSONAL_FIELDS = ("name_kana", "email", "phone", "school", "faculty", "current_employer", "memo")
IMPORT_DRAFT_LIFETIME = timedelta(hours=24)
BULK_LIMIT = 1000


class ApplicantAnonymizedError(ValidationError):
    """The record's personal data was deleted; it can no longer be edited."""


def applicant_label(applicant: Applicant) -> str:
    """How the audit log names an applicant (scrubbed again when the applicant is anonymized)."""
    return f"{applicant.name} (#{applicant.pk})"


def _ensure_rows(model: type[CompanyChoice], company: Company, rows: Sequence[dict[str, Any]]) -> None:
    if model.objects.filter(company=company).exists():
        return
    try:
        with transaction.atomic():
            model.objects.bulk_create(
                [model(company=company, sort_order=(index + 1) * 10, **row) for index, row in enumerate(rows)]
            )
    except IntegrityError:
        pass  # another request created the defaults at the same moment


def ensure_company_defaults(*, company: Company) -> None:
    """Give a company the default 選考ステータス and 応募経路 the first time it uses applicants."""
    _ensure_rows(SelectionStage, company, [{"name": name, "kind": kind} for name, kind in DEFAULT_STAGES])
    _ensure_rows(Source, company, [{"name": name} for name in DEFAULT_SOURCES])


def _check_same_company(company: Company, *objects: CompanyChoice | None) -> None:
    for obj in objects:
        if obj is not None and obj.company_id != company.pk:
            raise ValueError(f"{obj!r} belongs to another company")


def resolve_tags(*, company: Company, names: Iterable[str]) -> list[Tag]:
    """The company's tags with these names, creating the missing ones."""
    wanted = list(dict.fromkeys(name for name in names if name))
    if not wanted:
        return []
    Tag.objects.bulk_create([Tag(company=company, name=name) for name in wanted], ignore_conflicts=True)
    return list(Tag.objects.filter(company=company, name__in=wanted))


def create_applicant(
    *,
    company: Company,
    actor: User,
    fields: dict[str, Any],
    stage: SelectionStage,
    tag_names: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> Applicant:
    """Register one applicant with its first 選考ステータス."""
    values = {name: fields[name] for name in EDITABLE_FIELDS if name in fields}
    _check_same_company(company, stage, values.get("source"), values.get("position"))
    with transaction.atomic():
        now = timezone.now()
        applicant = Applicant(
            company=company, stage=stage, created_by=actor, created_at=now, updated_at=now, **values
        )
        applicant.set_search_keys()
        applicant.save()
        StatusChange.objects.create(
            applicant=applicant, to_stage=stage, changed_by=actor, changed_by_label=actor.display_name
        )
        applicant.tags.set(resolve_tags(company=company, names=tag_names))
        record_audit(
            action="applicant.created",
            actor=actor,
            company=company,
            target=applicant,
            target_label=applicant_label(applicant),
            request=request,
        )
    return applicant


def _locked(applicant: Applicant) -> Applicant:
    locked = Applicant.objects.select_for_update().get(pk=applicant.pk)
    if locked.is_anonymized:
        raise ApplicantAnonymizedError(_("個人情報を削除した応募者は変更できません。"))
    return locked


def update_applicant(
    *,
    applicant: Applicant,
    actor: User,
    fields: dict[str, Any],
    tag_names: Iterable[str] | None = None,
    request: HttpRequest | None = None,
) -> Applicant:
    """Save the edited fields; the audit entry names the changed fields, not their (personal) values."""
    with transaction.atomic():
        locked = _locked(applicant)
        company = locked.company
        _check_same_company(company, fields.get("source"), fields.get("position"))
        changed = [
            name for name in EDITABLE_FIELDS if name in fields and getattr(locked, name) != fields[name]
        ]
        for name in changed:
            setattr(locked, name, fields[name])
        if tag_names is not None:
            tags = resolve_tags(company=company, names=tag_names)
            if {tag.pk for tag in tags} != set(locked.tags.values_list("id", flat=True)):
                locked.tags.set(tags)
                changed.append("tags")
        if not changed:
            return locked
        locked.set_search_keys()
        locked.updated_at = timezone.now()
        locked.save(update_fields=[n for n in changed if n != "tags"] + [*KEY_FIELDS, "updated_at"])
        record_audit(
            action="applicant.updated",
            actor=actor,
            company=company,
            target=locked,
            target_label=applicant_label(locked),
            details={"fields": changed},
            request=request,
        )
    return locked


def change_status(
    *,
    applicant: Applicant,
    stage: SelectionStage,
    actor: User | None,
    comment: str = "",
    request: HttpRequest | None = None,
) -> StatusChange | None:
    """Move an applicant to ``stage`` and keep the change in its history. Same stage → nothing (None).

    Booking calls this too (予約時の選考ステータス), with ``actor=None`` for the system.
    """
    with transaction.atomic():
        locked = _locked(applicant)
        _check_same_company(locked.company, stage)
        if not stage.is_active:
            raise ValidationError(_("無効にした選考ステータスには変更できません。"))
        if locked.stage_id == stage.pk:
            return None
        previous = locked.stage
        change = StatusChange.objects.create(
            applicant=locked,
            from_stage=previous,
            to_stage=stage,
            changed_by=actor,
            changed_by_label=actor.display_name if actor else _("システム"),
            comment=comment[:500],
        )
        locked.stage = stage
        locked.updated_at = change.created_at
        locked.save(update_fields=["stage", "updated_at"])
        record_audit(
            action="applicant.status_changed",
            actor=actor,
            company=locked.company,
            target=locked,
            target_label=applicant_label(locked),
            details={"from": previous.name, "to": stage.name},
            request=request,
        )
    applicant.stage, applicant.updated_at = stage, locked.updated_at
    return change


def bulk_change_status(
    *,
    company: Company,
    applicant_ids: Iterable[int],
    stage: SelectionStage,
    actor: User,
    request: HttpRequest | None = None,
) -> int:
    """Move the company's applicants among ``applicant_ids`` to ``stage``; returns how many moved."""
    _check_same_company(company, stage)
    if not stage.is_active:
        raise ValidationError(_("無効にした選考ステータスには変更できません。"))
    ids = list(dict.fromkeys(applicant_ids))[:BULK_LIMIT]
    with transaction.atomic():
        moving = list(
            Applicant.objects.select_for_update()
            .filter(company=company, id__in=ids, anonymized_at__isnull=True)
            .exclude(stage=stage)
            .order_by("id")
            .values_list("id", "stage_id")
        )
        if not moving:
            return 0
        now = timezone.now()
        StatusChange.objects.bulk_create(
            StatusChange(
                applicant_id=applicant_id,
                from_stage_id=from_stage_id,
                to_stage=stage,
                changed_by=actor,
                changed_by_label=actor.display_name,
                created_at=now,
            )
            for applicant_id, from_stage_id in moving
        )
        Applicant.objects.filter(id__in=[pk for pk, _stage in moving]).update(stage=stage, updated_at=now)
        record_audit(
            action="applicant.bulk_status_changed",
            actor=actor,
            company=company,
            target_label=_("%(count)d名") % {"count": len(moving)},
            details={"to": stage.name, "count": len(moving), "applicant_ids": [pk for pk, _s in moving]},
            request=request,
        )
    return len(moving)


def add_memo(*, applicant: Applicant, actor: User, body: str, request: HttpRequest | None = None) -> Memo:
    """Add a dated memo to the applicant's timeline."""
    with transaction.atomic():
        locked = _locked(applicant)
        memo = Memo.objects.create(applicant=locked, author=actor, author_label=actor.display_name, body=body)
        record_audit(
            action="applicant.memo_added",
            actor=actor,
            company=locked.company,
            target=locked,
            target_label=applicant_label(locked),
            request=request,
        )
    return memo


def anonymize_applicant(*, applicant: Applicant, actor: User, request: HttpRequest | None = None) -> None:
    """Delete an applicant's personal data on request, keeping the row (stage, position, dates) for counts.

    The apps above are told first (``applicant_anonymizing``: future bookings cancelled, mails erased);
    memos, tags and history comments go; earlier audit entries stop showing the name.
    """
    with transaction.atomic():
        locked = Applicant.objects.select_for_update().get(pk=applicant.pk)
        if locked.is_anonymized:
            return
        signals.applicant_anonymizing.send(sender=Applicant, applicant=locked, actor=actor)
        locked.name = _("（個人情報削除済み）")
        for name in PERSONAL_FIELDS:
            setattr(locked, name, "")
        locked.anonymized_at = timezone.now()
        locked.updated_at = locked.anonymized_at
        locked.set_search_keys()
        locked.name_key = locked.given_name_key = ""
        locked.save(update_fields=["name", *PERSONAL_FIELDS, *KEY_FIELDS, "anonymized_at", "updated_at"])
        locked.memos.all().delete()
        locked.tags.clear()
        locked.status_changes.exclude(comment="").update(comment="")
        label = _("応募者 #%(id)d（個人情報削除済み）") % {"id": locked.pk}
        AuditEntry.objects.filter(target_type=Applicant._meta.label_lower, target_id=str(locked.pk)).update(
            target_label=label
        )
        # A kept import preview may name this applicant as a duplicate: it is checked again when next shown.
        ApplicantImport.objects.filter(
            company=locked.company, status=ImportStatus.PENDING, preview__isnull=False
        ).update(preview=None)
        record_audit(
            action="applicant.anonymized",
            actor=actor,
            company=locked.company,
            target=locked,
            target_label=label,
            request=request,
        )
    applicant.refresh_from_db()


# --- Company lists: 選考ステータス, 募集職種, 応募経路 ---------------------------------------------------

CHOICE_MODELS: dict[str, type[CompanyChoice]] = {
    "stages": SelectionStage,
    "positions": Position,
    "sources": Source,
}


def add_choice(
    *,
    company: Company,
    kind: str,
    name: str,
    actor: User,
    stage_kind: str = StageKind.IN_PROGRESS,
    request: HttpRequest | None = None,
) -> CompanyChoice:
    """Append an entry to one of the company's lists."""
    model = CHOICE_MODELS[kind]
    extra = {"kind": stage_kind} if model is SelectionStage else {}
    ensure_company_defaults(company=company)  # an added entry must not stand in for the defaults
    with transaction.atomic():
        if model.objects.filter(company=company, name=name).exists():
            raise ValidationError(_("「%(name)s」は既にあります。") % {"name": name})
        last = model.objects.filter(company=company).aggregate(last=Max("sort_order"))["last"] or 0
        choice = model.objects.create(company=company, name=name, sort_order=last + 10, **extra)
        record_audit(
            action="applicant.setting_added",
            actor=actor,
            company=company,
            target=choice,
            details={"list": kind, "name": name},
            request=request,
        )
    return choice


def update_choice(
    *,
    choice: CompanyChoice,
    name: str,
    is_active: bool,
    actor: User,
    stage_kind: str | None = None,
    request: HttpRequest | None = None,
) -> CompanyChoice:
    """Rename, (de)activate, or re-classify an entry; the company keeps at least one active stage."""
    model = type(choice)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=choice.pk)
        if model.objects.filter(company_id=locked.company_id, name=name).exclude(pk=locked.pk).exists():
            raise ValidationError(_("「%(name)s」は既にあります。") % {"name": name})
        if model is SelectionStage and locked.is_active and not is_active:
            others = model.objects.filter(company_id=locked.company_id, is_active=True).exclude(pk=locked.pk)
            if not others.exists():
                raise ValidationError(_("有効な選考ステータスが1つもなくなるため、無効にできません。"))
        new_values = {"name": name, "is_active": is_active}
        if model is SelectionStage and stage_kind:
            new_values["kind"] = stage_kind
        changes = {
            field: [getattr(locked, field), value]
            for field, value in new_values.items()
            if getattr(locked, field) != value
        }
        if not changes:
            return locked
        for field, (_old, value) in changes.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(changes))
        record_audit(
            action="applicant.setting_changed",
            actor=actor,
            company=locked.company,
            target=locked,
            details={"list": _kind_of(model), "changes": changes},
            request=request,
        )
    return locked


def _kind_of(model: type[CompanyChoice]) -> str:
    return next(kind for kind, candidate in CHOICE_MODELS.items() if candidate is model)


def move_choice(
    *, choice: CompanyChoice, direction: str, actor: User, request: HttpRequest | None = None
) -> None:
    """Move an entry one place up or down in its list."""
    model = type(choice)
    with transaction.atomic():
        entries = list(model.objects.select_for_update().filter(company_id=choice.company_id))
        index = next(i for i, entry in enumerate(entries) if entry.pk == choice.pk)
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(entries):
            return
        entries[index], entries[target] = entries[target], entries[index]
        for position, entry in enumerate(entries):
            entry.sort_order = (position + 1) * 10
        model.objects.bulk_update(entries, ["sort_order"])
        record_audit(
            action="applicant.setting_reordered",
            actor=actor,
            company=choice.company,
            target=choice,
            details={"list": _kind_of(model), "order": [entry.name for entry in entries]},
            request=request,
        )


# --- CSV import --------------------------------------------------------------------------------------


def purge_expired_imports(*, company: Company | None = None) -> int:
    """Drop the content (personal data) of uploads older than IMPORT_DRAFT_LIFETIME; returns how many."""
    expired = ApplicantImport.objects.filter(created_at__lt=timezone.now() - IMPORT_DRAFT_LIFETIME)
    if company is not None:
        expired = expired.filter(company=company)
    return expired.exclude(content=b"").update(content=b"", preview=None, status=ImportStatus.DISCARDED)


def _check(content: bytes, company: Company) -> csv_import.ImportPlan:
    """The file's plan now; ValidationError (with the limit) for a file beyond the import's limits."""
    try:
        return csv_import.build_plan(content, company=company, today=timezone.localdate())
    except csv_import.ImportLimitError as exc:
        raise ValidationError(str(exc)) from None


def start_import(*, company: Company, actor: User, file_name: str, content: bytes) -> ApplicantImport:
    """Check an uploaded file and keep it with what the check found, for its preview.

    A file beyond the limits raises ValidationError and nothing is kept. Drops the company's expired drafts.
    """
    plan = _check(content, company)
    summary = csv_import.PlanSummary.of(plan, checked_at=timezone.now())
    with transaction.atomic():
        purge_expired_imports(company=company)
        return ApplicantImport.objects.create(
            company=company,
            created_by=actor,
            file_name=file_name[:255],
            content=content,
            preview=summary.to_json(),
        )


def import_summary(*, draft: ApplicantImport) -> csv_import.PlanSummary:
    """What the draft's preview shows: the kept check, or (none kept) a new check that is then kept."""
    summary = csv_import.PlanSummary.from_json(draft.preview)
    if summary is not None:
        return summary
    try:
        plan = csv_import.build_plan(bytes(draft.content), company=draft.company, today=timezone.localdate())
    except csv_import.ImportLimitError as exc:  # kept before the limits existed
        plan = csv_import.ImportPlan(file_error=str(exc))
    summary = csv_import.PlanSummary.of(plan, checked_at=timezone.now())
    _keep_summary(draft, summary)
    return summary


def _keep_summary(draft: ApplicantImport, summary: csv_import.PlanSummary) -> None:
    draft.preview = summary.to_json()
    ApplicantImport.objects.filter(pk=draft.pk, status=ImportStatus.PENDING).update(preview=draft.preview)


def pending_import(*, company: Company, actor: User, import_id: Any) -> ApplicantImport | None:
    """The actor's own, unexpired, not yet imported draft of this company, or None."""
    return (
        ApplicantImport.objects.filter(
            pk=import_id,
            company=company,
            created_by=actor,
            status=ImportStatus.PENDING,
            created_at__gte=timezone.now() - IMPORT_DRAFT_LIFETIME,
        )
        .exclude(content=b"")
        .first()
    )


def discard_import(*, draft: ApplicantImport) -> None:
    ApplicantImport.objects.filter(pk=draft.pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.DISCARDED, content=b"", preview=None
    )


class ImportBlockedError(Exception):
    """The check at import found problems (``summary``, now also the draft's preview); nothing imported."""

    def __init__(self, summary: csv_import.PlanSummary) -> None:
        super().__init__(summary.file_error or "rows have errors")
        self.summary = summary


@dataclass(frozen=True)
class ImportResult:
    imported: int
    skipped: int


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


def import_applicants(
    *, draft: ApplicantImport, actor: User, request: HttpRequest | None = None
) -> ImportResult:
    """Import every row of a previewed file, or nothing: the file is checked again inside the transaction.

    The preview shows the check made at upload; this one sees the data as it is now, so rows that duplicate
    an existing applicant (or an earlier row) are skipped even when the duplicate arrived after the upload.
    When the check finds problems, they become the draft's preview and ImportBlockedError is raised.
    """
    try:
        return _import_checked(draft, actor, request)
    except ImportBlockedError as exc:
        _keep_summary(draft, exc.summary)
        raise


def _import_checked(draft: ApplicantImport, actor: User, request: HttpRequest | None) -> ImportResult:
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=draft.company_id)  # one import at a time
        locked = ApplicantImport.objects.select_for_update().get(pk=draft.pk)
        if locked.status != ImportStatus.PENDING or not locked.content:
            raise ValidationError(_("このファイルは既に取り込み済みか、期限が切れています。"))
        plan = _check(bytes(locked.content), company)
        if not plan.can_import:
            raise ImportBlockedError(csv_import.PlanSummary.of(plan, checked_at=timezone.now()))
        rows = plan.importable_rows
        stages = {stage.name: stage for stage in SelectionStage.objects.filter(company=company)}
        positions = _choices_by_key(Position, company, (row.position_name for row in rows))
        sources = _choices_by_key(Source, company, (row.source_name for row in rows))
        tags = {
            tag.name: tag for tag in resolve_tags(company=company, names=(t for r in rows for t in r.tags))
        }
        now = timezone.now()
        applicants = []
        for row in rows:
            applicant = Applicant(
                company=company,
                stage=stages[row.stage_name],
                position=positions.get(normalize.name_key(row.position_name)),
                source=sources.get(normalize.name_key(row.source_name)),
                created_by=actor,
                created_at=now,
                updated_at=now,
                **row.fields,
            )
            applicant.set_search_keys()
            applicants.append(applicant)
        Applicant.objects.bulk_create(applicants, batch_size=1000)
        StatusChange.objects.bulk_create(
            (
                StatusChange(
                    applicant=applicant,
                    to_stage=applicant.stage,
                    changed_by=actor,
                    changed_by_label=actor.display_name,
                    comment=_("CSV取り込み"),
                    created_at=now,
                )
                for applicant in applicants
            ),
            batch_size=1000,
        )
        Applicant.tags.through.objects.bulk_create(
            (
                Applicant.tags.through(applicant_id=applicant.pk, tag_id=tags[name].pk)
                for applicant, row in zip(applicants, rows, strict=True)
                for name in row.tags
            ),
            batch_size=1000,
        )
        result = ImportResult(imported=len(applicants), skipped=len(plan.duplicates))
        locked.status, locked.content, locked.preview = ImportStatus.IMPORTED, b"", None
        locked.imported_at = now
        locked.imported_count, locked.skipped_count = result.imported, result.skipped
        locked.save(
            update_fields=["status", "content", "preview", "imported_at", "imported_count", "skipped_count"]
        )
        record_audit(
            action="applicant.imported",
            actor=actor,
            company=company,
            target=locked,
            target_label=locked.file_name,
            details={"imported": result.imported, "skipped_duplicates": result.skipped},
            request=request,
        )
    return result


def record_export(
    *, company: Company, actor: User, count: int, details: dict[str, Any], request: HttpRequest | None = None
) -> None:
    """Note in the audit log that applicant data left the system."""
    record_audit(
        action="applicant.exported",
        actor=actor,
        company=company,
        target_label=_("%(count)d名") % {"count": count},
        details={"count": count, **details},
        request=request,
    )
