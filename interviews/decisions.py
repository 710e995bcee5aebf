"""Interviews: 合否判定 (decisions), and the decisions area's wiring.

A decision is kept as a row per judgement; the newest of an (applicant, 選考会) is the current one. 合格 can
move the applicant's 選考ステータス through applicants' own service (history and audit as for a manual
change). A new decision cancels the scheduled 合否連絡 of the earlier ones (取り消し理由: 判定の変更); the
notices themselves are interviews.decision_notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import User
from applicants import services as applicant_services
from applicants.models import Applicant, SelectionStage, StatusChange
from interviews import decision_selectors as selectors
from interviews.decision_notices import NoticePlan, lock_applicant, schedule_locked
from interviews.models import CancelReason, Decision, DecisionResult, NoticeStatus, ResultNotice
from scheduling.models import SelectionMeeting


@dataclass(frozen=True)
class Decided:
    decision: Decision
    status_change: StatusChange | None = None
    notice: ResultNotice | None = None
    cancelled: list[ResultNotice] = field(default_factory=list)


# --- decisions ------------------------------------------------------------------------------------------


def _check_company(company_id: int, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.company_id != company_id:
            raise ValueError(f"{obj!r} belongs to another company")


def _move_stage(
    *,
    applicant: Applicant,
    meeting: SelectionMeeting,
    stage: SelectionStage | None,
    actor: User,
    request: HttpRequest | None,
) -> StatusChange | None:
    if stage is None:
        return None
    comment = _("合否判定（%(meeting)s）: 合格") % {"meeting": meeting.name}
    return applicant_services.change_status(
        applicant=applicant, stage=stage, actor=actor, comment=comment, request=request
    )


def _supersede(decision: Decision, actor: User | None) -> list[ResultNotice]:
    """Cancel the scheduled notices of the decision's predecessors in the same 選考会."""
    stale = list(
        ResultNotice.objects.filter(
            applicant_id=decision.applicant_id,
            decision__selection_meeting_id=decision.selection_meeting_id,
            status=NoticeStatus.SCHEDULED,
        ).exclude(decision=decision)
    )
    if stale:
        ResultNotice.objects.filter(pk__in=[n.pk for n in stale], status=NoticeStatus.SCHEDULED).update(
            status=NoticeStatus.CANCELLED,
            cancelled_by=actor,
            cancelled_at=decision.decided_at,
            cancel_reason=CancelReason.SUPERSEDED,
        )
    return stale


def record_decision(
    *,
    applicant: Applicant,
    selection_meeting: SelectionMeeting,
    result: str,
    actor: User,
    comment: str = "",
    move_to_stage: SelectionStage | None = None,
    notice: NoticePlan | None = None,
    request: HttpRequest | None = None,
) -> Decided:
    """Record 合否 in a 選考会; 合格 may move the 選考ステータス; a notice may follow (one transaction)."""
    result = DecisionResult(result)
    _check_company(applicant.company_id, selection_meeting, move_to_stage)
    with transaction.atomic():
        locked = lock_applicant(applicant)
        if not selectors.is_decidable(locked, selection_meeting):
            raise ValidationError(_("この応募者はこの選考会に参加していません。"))
        change = _move_stage(
            applicant=locked,
            meeting=selection_meeting,
            stage=move_to_stage if result == DecisionResult.PASS else None,
            actor=actor,
            request=request,
        )
        decision = Decision.objects.create(
            company_id=locked.company_id,
            applicant=locked,
            selection_meeting=selection_meeting,
            result=result,
            comment=comment,
            moved_to_stage=change.to_stage if change else None,
            decided_by=actor,
        )
        cancelled = _supersede(decision, actor)
        _audit_decision(decision, locked, cancelled, actor, request)
        created = schedule_locked(decision, locked, notice, actor, request) if notice is not None else None
    applicant.stage, applicant.updated_at = locked.stage, locked.updated_at
    return Decided(decision=decision, status_change=change, notice=created, cancelled=cancelled)


def _audit_decision(
    decision: Decision,
    applicant: Applicant,
    cancelled: list[ResultNotice],
    actor: User,
    request: HttpRequest | None,
) -> None:
    details: dict[str, Any] = {
        "decision_id": decision.pk,
        "selection_meeting": decision.selection_meeting.name,
        "result": decision.result,
    }
    if decision.moved_to_stage is not None:
        details["stage"] = decision.moved_to_stage.name
    if cancelled:
        details["cancelled_notice_ids"] = [notice.pk for notice in cancelled]
    record_audit(
        action="interview.decided",
        actor=actor,
        company=applicant.company,
        target=applicant,
        target_label=applicant_services.applicant_label(applicant),
        details=details,
        request=request,
    )


# --- personal-data deletion and wiring --------------------------------------------------------------------


def on_applicant_anonymizing(
    sender: Any, *, applicant: Applicant, actor: User | None = None, **kwargs: Any
) -> None:
    """The applicant's personal data goes: scheduled notices are cancelled, decision comments erased."""
    ResultNotice.objects.filter(applicant_id=applicant.pk, status=NoticeStatus.SCHEDULED).update(
        status=NoticeStatus.CANCELLED,
        cancel_reason=CancelReason.ANONYMIZED,
        cancelled_by=actor if actor is not None and actor.pk else None,
        cancelled_at=timezone.now(),
    )
    Decision.objects.filter(applicant_id=applicant.pk).exclude(comment="").update(comment="")


def connect() -> None:
    """Connect this area's receivers and registries."""
    from django.utils.translation import gettext_lazy

    from accounts import audit
    from applicants.registry import applicant_panels
    from applicants.signals import applicant_anonymizing
    from applicants.timeline import timeline_sources
    from interviews import decision_panels

    audit.register_actions(
        {
            "interview.decided": gettext_lazy("合否を判定"),
            "interview.result_notice_scheduled": gettext_lazy("合否連絡を予約・送信"),
            "interview.result_notices_scheduled": gettext_lazy("合否連絡を一括で予約・送信"),
            "interview.result_notice_cancelled": gettext_lazy("合否連絡を取り消し"),
        }
    )
    applicant_panels.register(decision_panels.applicant_decisions_panel)
    timeline_sources.register(decision_panels.decision_items)
    applicant_anonymizing.connect(on_applicant_anonymizing, dispatch_uid="interviews.decisions")
    # Celery's autodiscovery imports only tasks.py: importing the module registers this area's tasks.
    import interviews.decision_tasks  # noqa: F401
