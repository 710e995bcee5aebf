"""Interviews: 評価シート and evaluations. The writes (keyword-only services, each in its own transaction,
audited), the timeline items, and this area's wiring to the apps below (``connect``). The overdue
reminders are in ``interviews.evaluation_reminders``.

Answers are stored by item id (``{"12": 4, "13": "高い", "14": "…"}``). Items are never deleted from a sheet
that is in use: removing one sets ``removed_at``, so its answers stay readable; an answered item keeps its
形式 (a 5段階 answer is never read as a choice). A correction keeps the answers to removed items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import record_audit
from accounts.models import User
from applicants.models import Applicant
from applicants.timeline import TimelineItem
from interviews import evaluation_selectors as selectors
from interviews.models import (
    Evaluation,
    EvaluationItem,
    EvaluationRevision,
    EvaluationSheet,
    ItemKind,
    Recommendation,
)
from scheduling.models import SelectionMeeting, Slot

MAX_ITEMS = 30
STANDARD_ITEMS = [
    (gettext_lazy("コミュニケーション力"), gettext_lazy("質問の意図を理解し、わかりやすく伝えられるか")),
    (gettext_lazy("論理的思考力"), gettext_lazy("結論と根拠を筋道立てて説明できるか")),
    (gettext_lazy("主体性"), gettext_lazy("自ら課題を見つけ、行動した経験があるか")),
    (gettext_lazy("志望度"), gettext_lazy("当社を志望する理由が具体的か")),
]
STANDARD_SCALE_LABELS = [
    gettext_lazy("不十分"),
    gettext_lazy("やや不十分"),
    gettext_lazy("普通"),
    gettext_lazy("良い"),
    gettext_lazy("非常に優れている"),
]


# --- 評価シート ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFields:
    """What a recruiter sets for one item."""

    label: str
    kind: str = ItemKind.SCALE
    help_text: str = ""
    required: bool = True
    scale_labels: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)


def get_or_create_sheet(*, meeting: SelectionMeeting) -> EvaluationSheet:
    """The 選考会's 評価シート, created empty on first use."""
    sheet, _created = EvaluationSheet.objects.get_or_create(
        selection_meeting=meeting, defaults={"company_id": meeting.company_id}
    )
    return sheet


def _sheet_audit(
    sheet: EvaluationSheet, actor: User, change: str, label: str, request: HttpRequest | None
) -> None:
    sheet.updated_by = actor
    sheet.save(update_fields=["updated_by", "updated_at"])
    record_audit(
        action="interview.sheet_updated",
        actor=actor,
        company=sheet.company,
        target=sheet,
        target_label=sheet.selection_meeting.name,
        details={"change": change, "item": label} if label else {"change": change},
        request=request,
    )


def update_sheet(
    *, meeting: SelectionMeeting, instructions: str, actor: User, request: HttpRequest | None = None
) -> EvaluationSheet:
    """Change the sheet's 評価の観点・注意事項."""
    with transaction.atomic():
        sheet = get_or_create_sheet(meeting=meeting)
        sheet.instructions = instructions
        sheet.save(update_fields=["instructions", "updated_at"])
        _sheet_audit(sheet, actor, "instructions", "", request)
    return sheet


def _active_items(sheet: EvaluationSheet) -> list[EvaluationItem]:
    return list(sheet.items.filter(removed_at__isnull=True).order_by("position", "pk"))


def _check_room(sheet: EvaluationSheet, adding: int) -> None:
    if sheet.items.filter(removed_at__isnull=True).count() + adding > MAX_ITEMS:
        raise ValidationError(_("評価項目は%(max)d個までです。") % {"max": MAX_ITEMS})


def _apply_fields(item: EvaluationItem, fields: ItemFields) -> None:
    item.label, item.kind, item.help_text = fields.label, fields.kind, fields.help_text
    item.required = fields.required
    item.scale_labels = list(fields.scale_labels) if fields.kind == ItemKind.SCALE else []
    item.choices = list(fields.choices) if fields.kind == ItemKind.CHOICE else []


def add_evaluation_item(
    *, meeting: SelectionMeeting, fields: ItemFields, actor: User, request: HttpRequest | None = None
) -> EvaluationItem:
    """Add an item at the end of the 選考会's sheet."""
    with transaction.atomic():
        sheet = EvaluationSheet.objects.select_for_update().get(pk=get_or_create_sheet(meeting=meeting).pk)
        _check_room(sheet, 1)
        last = sheet.items.aggregate(last=Max("position"))["last"] or 0
        item = EvaluationItem(sheet=sheet, position=last + 1)
        _apply_fields(item, fields)
        item.save()
        _sheet_audit(sheet, actor, "item_added", item.label, request)
    return item


def update_evaluation_item(
    *, item: EvaluationItem, fields: ItemFields, actor: User, request: HttpRequest | None = None
) -> EvaluationItem:
    """Change an item; its 形式 stays once an evaluation answered it (answers keep their meaning)."""
    with transaction.atomic():
        locked = (
            EvaluationItem.objects.select_for_update()
            .select_related("sheet__selection_meeting")
            .get(pk=item.pk)
        )
        if fields.kind != locked.kind and selectors.item_is_answered(locked):
            raise ValidationError(
                _(
                    "この項目には回答済みの評価があるため、形式は変更できません。新しい項目を追加してください。"
                )
            )
        _apply_fields(locked, fields)
        locked.save(update_fields=["label", "kind", "help_text", "required", "scale_labels", "choices"])
        _sheet_audit(locked.sheet, actor, "item_changed", locked.label, request)
    return locked


def remove_evaluation_item(*, item: EvaluationItem, actor: User, request: HttpRequest | None = None) -> None:
    """Take an item off the sheet; the answers given to it stay in the evaluations and their history."""
    with transaction.atomic():
        locked = (
            EvaluationItem.objects.select_for_update()
            .select_related("sheet__selection_meeting")
            .get(pk=item.pk)
        )
        if locked.removed_at is not None:
            return
        locked.removed_at = timezone.now()
        locked.save(update_fields=["removed_at"])
        _sheet_audit(locked.sheet, actor, "item_removed", locked.label, request)


def move_evaluation_item(
    *, item: EvaluationItem, up: bool, actor: User, request: HttpRequest | None = None
) -> bool:
    """Swap the item with its neighbour above (``up``) or below; False when it is already at that end."""
    with transaction.atomic():
        sheet = (
            EvaluationSheet.objects.select_for_update()
            .select_related("selection_meeting")
            .get(pk=item.sheet_id)
        )
        items = _active_items(sheet)
        index = next((i for i, other in enumerate(items) if other.pk == item.pk), None)
        target = None if index is None else index - 1 if up else index + 1
        if index is None or target is None or not 0 <= target < len(items):
            return False
        items[index], items[target] = items[target], items[index]
        for position, other in enumerate(items, start=1):
            other.position = position
        EvaluationItem.objects.bulk_update(items, ["position"])
        _sheet_audit(sheet, actor, "item_moved", item.label, request)
    return True


def add_standard_items(
    *, meeting: SelectionMeeting, actor: User, request: HttpRequest | None = None
) -> list[EvaluationItem]:
    """Fill an empty sheet with the usual 5段階 items (a start the recruiter then edits)."""
    with transaction.atomic():
        sheet = EvaluationSheet.objects.select_for_update().get(pk=get_or_create_sheet(meeting=meeting).pk)
        if sheet.items.filter(removed_at__isnull=True).exists():
            return []
        last = sheet.items.aggregate(last=Max("position"))["last"] or 0
        labels = [str(label) for label in STANDARD_SCALE_LABELS]
        items = [
            EvaluationItem(
                sheet=sheet,
                label=str(label),
                help_text=str(help_text),
                scale_labels=labels,
                position=last + i,
            )
            for i, (label, help_text) in enumerate(STANDARD_ITEMS, start=1)
        ]
        EvaluationItem.objects.bulk_create(items)
        _sheet_audit(sheet, actor, "standard_items", "", request)
    return items


# --- evaluations --------------------------------------------------------------------------------------------


class SaveOutcome(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CORRECTED = "corrected"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class SaveResult:
    evaluation: Evaluation
    outcome: SaveOutcome


def clean_answer(item: EvaluationItem, value: Any) -> int | str | None:
    """``value`` as stored for ``item``, or None for no answer; ValidationError when it does not fit."""
    if value in (None, ""):
        return None
    if item.kind == ItemKind.SCALE:
        if isinstance(value, bool) or str(value) not in {str(point) for point in selectors.SCALE_POINTS}:
            raise ValidationError(_("「%(label)s」は1〜5で選んでください。") % {"label": item.label})
        return int(value)
    if item.kind == ItemKind.CHOICE and value not in (item.choices or []):
        raise ValidationError(_("「%(label)s」の選択肢から選んでください。") % {"label": item.label})
    text = str(value).strip()
    return text or None


def missing_answers(items: list[EvaluationItem], answers: dict[str, Any], recommendation: str) -> list[str]:
    """The labels of what a submission still lacks: required items, and the 推奨度."""
    missing = [item.label for item in items if item.required and answers.get(str(item.pk)) in (None, "")]
    if not recommendation:
        missing.append(_("推奨度"))
    return missing


def _clean_answers(items: list[EvaluationItem], answers: dict[str, Any]) -> dict[str, Any]:
    cleaned = {}
    for item in items:
        value = clean_answer(item, answers.get(str(item.pk)))
        if value is not None:
            cleaned[str(item.pk)] = value
    return cleaned


def _check_scope(applicant: Applicant, meeting: SelectionMeeting, evaluator: User, slot: Slot) -> None:
    companies = {applicant.company_id, meeting.company_id, evaluator.company_id, slot.company_id}
    if len(companies) != 1 or slot.event.selection_meeting_id != meeting.pk:
        raise ValidationError(_("この評価は入力できません。"))


def _changed_labels(
    items: list[EvaluationItem], before: Evaluation, answers: dict[str, Any], rec: str, comment: str
) -> list[str]:
    labels = [item.label for item in items if before.answers.get(str(item.pk)) != answers.get(str(item.pk))]
    if before.recommendation != rec:
        labels.append(_("推奨度"))
    if before.comment != comment:
        labels.append(_("コメント"))
    return labels


def _record_submission(
    evaluation: Evaluation, actor: User, changed: list[str], request: HttpRequest | None
) -> None:
    EvaluationRevision.objects.create(
        evaluation=evaluation,
        version=evaluation.version,
        recommendation=evaluation.recommendation,
        comment=evaluation.comment,
        answers=evaluation.answers,
        edited_by=actor,
        edited_at=evaluation.updated_at,
    )
    first = evaluation.version == 1
    details: dict[str, Any] = {
        "selection_meeting": evaluation.selection_meeting.name,
        "version": evaluation.version,
    }
    if not first:
        details["changed"] = changed
    record_audit(
        action="interview.evaluation_submitted" if first else "interview.evaluation_corrected",
        actor=actor,
        company=evaluation.company,
        target=evaluation.applicant,
        details=details,
        request=request,
    )


def save_evaluation(
    *,
    applicant: Applicant,
    meeting: SelectionMeeting,
    evaluator: User,
    slot: Slot,
    answers: dict[str, Any],
    recommendation: str,
    comment: str,
    submit: bool,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> SaveResult:
    """Save ``evaluator``'s evaluation as a draft, submit it, or correct the submitted one (each submission
    and correction kept as a version). The slot must have started; a submission needs every required item
    and the 推奨度."""
    now = now or timezone.now()
    _check_scope(applicant, meeting, evaluator, slot)
    if slot.starts_at > now:
        raise ValidationError(_("面接の開始前は評価を入力できません。"))
    if applicant.is_anonymized:
        raise ValidationError(_("個人情報を削除した応募者は評価できません。"))
    if recommendation and recommendation not in Recommendation.values:
        raise ValidationError(_("推奨度を選び直してください。"))
    items = selectors.sheet_items(meeting, include_removed=True)
    active = [item for item in items if item.removed_at is None]
    cleaned = _clean_answers(active, answers)
    if submit and (missing := missing_answers(active, cleaned, recommendation)):
        raise ValidationError(_("未入力の項目があります: %(items)s") % {"items": "、".join(missing)})
    with transaction.atomic():
        evaluation, _created = Evaluation.objects.select_for_update().get_or_create(
            applicant=applicant,
            selection_meeting=meeting,
            evaluator=evaluator,
            defaults={"company_id": applicant.company_id, "slot": slot},
        )
        # The rows the audit entry and the revision name, without reading them again.
        evaluation.applicant, evaluation.selection_meeting, evaluation.evaluator = (
            applicant,
            meeting,
            evaluator,
        )
        return _write(evaluation, active, items, cleaned, recommendation, comment.strip(), submit, request)


def _write(
    evaluation: Evaluation,
    active: list[EvaluationItem],
    items: list[EvaluationItem],
    answers: dict[str, Any],
    recommendation: str,
    comment: str,
    submit: bool,
    request: HttpRequest | None,
) -> SaveResult:
    was_submitted = evaluation.is_submitted
    if was_submitted and not submit:
        raise ValidationError(_("提出済みの評価は下書きに戻せません。修正して提出してください。"))
    removed = {str(item.pk) for item in items if item.removed_at is not None}
    answers = {**{k: v for k, v in evaluation.answers.items() if k in removed}, **answers}
    changed = _changed_labels(items, evaluation, answers, recommendation, comment)
    if was_submitted and not changed:
        return SaveResult(evaluation, SaveOutcome.UNCHANGED)
    evaluation.answers, evaluation.recommendation, evaluation.comment = answers, recommendation, comment
    fields = ["answers", "recommendation", "comment", "updated_at"]
    if submit:
        evaluation.version += 1
        evaluation.submitted_at = evaluation.submitted_at or timezone.now()
        fields += ["version", "submitted_at"]
    evaluation.save(update_fields=fields)
    if not submit:
        return SaveResult(evaluation, SaveOutcome.DRAFT)
    _record_submission(evaluation, evaluation.evaluator, changed, request)
    return SaveResult(evaluation, SaveOutcome.CORRECTED if was_submitted else SaveOutcome.SUBMITTED)


# --- the applicant's timeline and personal data -------------------------------------------------------------


def evaluation_timeline_items(applicant: Applicant) -> list[TimelineItem]:
    """One item per submission and correction, without its content (one query): the evaluation page
    applies the blind rule to whoever follows the link."""
    revisions = EvaluationRevision.objects.filter(evaluation__applicant_id=applicant.pk).select_related(
        "evaluation__selection_meeting", "edited_by"
    )
    items = []
    for revision in revisions:
        meeting = revision.evaluation.selection_meeting
        title = (
            _("評価を提出: %(meeting)s") % {"meeting": meeting.name}
            if revision.version == 1
            else _("評価を修正: %(meeting)s（第%(version)d版）")
            % {"meeting": meeting.name, "version": revision.version}
        )
        items.append(
            TimelineItem(
                at=revision.edited_at,
                kind="evaluation",
                title=title,
                actor=revision.edited_by.display_name if revision.edited_by else "",
                url=reverse("interviews:evaluation_detail", args=[applicant.pk, meeting.pk]),
            )
        )
    return items


def erase_applicant_evaluation_texts(*, applicant: Applicant) -> None:
    """Personal-data deletion: the comments and free-text answers about the applicant go (the 5段階, the
    choices and the 推奨度 stay for the counts)."""
    evaluations = Evaluation.objects.filter(applicant_id=applicant.pk)
    text_ids = {
        str(pk)
        for pk in EvaluationItem.objects.filter(
            sheet__selection_meeting__evaluations__applicant_id=applicant.pk, kind=ItemKind.TEXT
        ).values_list("pk", flat=True)
    }
    for evaluation in evaluations:
        evaluation.comment, evaluation.answers = "", _without(evaluation.answers, text_ids)
        evaluation.save(update_fields=["comment", "answers"])
    for revision in EvaluationRevision.objects.filter(evaluation__applicant_id=applicant.pk):
        revision.comment, revision.answers = "", _without(revision.answers, text_ids)
        revision.save(update_fields=["comment", "answers"])


def _without(answers: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {key: value for key, value in answers.items() if key not in keys}


def on_applicant_anonymizing(*, applicant: Applicant, **_kwargs: Any) -> None:
    erase_applicant_evaluation_texts(applicant=applicant)


def connect() -> None:
    """Connect this area's receivers and registries."""
    from accounts import audit
    from applicants.registry import applicant_panels
    from applicants.signals import applicant_anonymizing
    from applicants.timeline import timeline_sources
    from interviews import evaluation_panels

    audit.register_actions(
        {
            "interview.evaluation_submitted": gettext_lazy("評価を提出"),
            "interview.evaluation_corrected": gettext_lazy("評価を修正"),
            "interview.sheet_updated": gettext_lazy("評価シートを変更"),
        }
    )
    applicant_panels.register(evaluation_panels.applicant_evaluations_panel)
    timeline_sources.register(evaluation_timeline_items)
    applicant_anonymizing.connect(on_applicant_anonymizing, dispatch_uid="interviews.evaluations")
