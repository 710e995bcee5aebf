"""Interviews: 合否連絡 (result notices): scheduling, 取り消し and sending of 合格通知 / 不合格通知.

A notice (the companies' templates in notifications) goes now or at ``send_at`` (翌営業日 10:00 or a chosen
time, in the company's zone). One notice per decision can be live (scheduled or sent: a partial unique
constraint), and a result already mailed in a 選考会 is not mailed again. A notice goes only while its
decision is the current one: a new decision cancels the earlier decisions' scheduled notices
(interviews.decisions), and the sender checks again.

Sending locks the applicant row, then the notice row, both with ``select_for_update(skip_locked=True)`` (the
order a decision takes them), and queues the mail with ``dedupe_key=f"result-notice:{pk}"`` in the same
transaction as the notice becomes 送信済み, so a beat run twice or concurrently sends once. "Now" means due
now: a task is enqueued after commit, and the beat (every minute) sends whatever is due, so nothing is lost
while the broker is down.

{次の選考} in 合格通知: the 選考ステータス the 合格 moved the applicant to when it is a 選考中 stage,
otherwise the company's next 選考会 after the decided one, otherwise empty.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from accounts import business_days
from accounts.audit import record_audit
from accounts.models import Company, User
from applicants import services as applicant_services
from applicants.models import Applicant, StageKind
from interviews import decision_selectors as selectors
from interviews.models import CancelReason, Decision, DecisionResult, NoticeStatus, ResultNotice
from notifications.models import MailKind
from notifications.rendering import MailContext
from notifications.services import StartUrlLeakError, queue_mail
from scheduling.models import SelectionMeeting

logger = logging.getLogger(__name__)

MAIL_KINDS: dict[str, MailKind] = {
    DecisionResult.PASS: MailKind.RESULT_PASS,
    DecisionResult.FAIL: MailKind.RESULT_FAIL,
}
NOTICE_HOUR = 10  # 翌営業日 10:00
MAX_NOTICE_DAYS = 60  # how far ahead a notice may be scheduled
BULK_LIMIT = 500
DUE_BATCH = 1000


def next_business_day(
    now: datetime, tz: ZoneInfo, *, company: Company | None = None, hour: int = NOTICE_HOUR
) -> datetime:
    """翌営業日 ``hour``:00 in ``tz``: the first day after today (in ``tz``) that is a Monday to Friday,
    not a 祝日 (振替休日 and 国民の休日 included) and not one of ``company``'s 休業日
    (``accounts.business_days``)."""
    today = timezone.localtime(now, tz).date()
    return datetime.combine(business_days.next_business_day(company, today), time(hour), tzinfo=tz)


@dataclass(frozen=True)
class NoticePlan:
    """When a notice goes: ``send_at`` None (or past) means now."""

    send_at: datetime | None = None

    def due_at(self, now: datetime) -> datetime:
        if self.send_at is None or self.send_at <= now:
            return now
        if self.send_at > now + timedelta(days=MAX_NOTICE_DAYS):
            raise ValidationError(
                _("送信日時は%(days)d日以内で指定してください。") % {"days": MAX_NOTICE_DAYS}
            )
        return self.send_at


@dataclass(frozen=True)
class Skip:
    applicant: Applicant
    reason: str


@dataclass(frozen=True)
class BulkOutcome:
    created: list[ResultNotice]
    skipped: list[Skip]


# --- why a notice cannot go ------------------------------------------------------------------------------


def _result_label(result: str) -> str:
    return str(DecisionResult(result).label)


def _applicant_problem(applicant: Applicant) -> str:
    if applicant.is_anonymized:
        return _("個人情報を削除した応募者です。")
    if not applicant.email:
        return _("メールアドレスが登録されていません。")
    return ""


def _live_problem(notice: ResultNotice) -> str:
    if notice.status == NoticeStatus.SENT:
        return _("合否連絡は送信済みです。")
    at = timezone.localtime(notice.send_at).strftime("%Y/%m/%d %H:%M")
    return _("送信予定の合否連絡があります（%(at)s）。") % {"at": at}


def notice_problem(
    *, applicant: Applicant, decision: Decision | None, state: selectors.NoticeState, wanted: str = ""
) -> str:
    """Why no notice can be scheduled for ``decision`` ("" when one can). ``wanted``: the result the bulk
    page is sending (合格通知 or 不合格通知)."""
    current = state.current.get(applicant.pk)
    if decision is None or current is None:
        return _("まだ判定していません。")
    if decision.pk != current.pk:
        return _("判定が変更されています。")
    if decision.result == DecisionResult.HOLD:
        return _("保留の判定には合否連絡を送りません。")
    if wanted and decision.result != wanted:
        return _("現在の判定は「%(result)s」です。") % {"result": _result_label(decision.result)}
    live = state.live.get(decision.pk)
    if live is not None:
        return _live_problem(live)
    if decision.result in state.sent_results.get(applicant.pk, set()):
        return _("この選考会の%(kind)sは送信済みです。") % {
            "kind": MailKind(MAIL_KINDS[decision.result]).label
        }
    return _applicant_problem(applicant)


def lock_applicant(applicant: Applicant) -> Applicant:
    locked = Applicant.objects.select_for_update().get(pk=applicant.pk)
    if locked.is_anonymized:
        raise ValidationError(_("個人情報を削除した応募者は変更できません。"))
    return locked


# --- scheduling and cancelling notices --------------------------------------------------------------------


def schedule_locked(
    decision: Decision,
    applicant: Applicant,
    plan: NoticePlan,
    actor: User,
    request: HttpRequest | None,
) -> ResultNotice:
    """Create the decision's notice (the applicant row is locked by the caller)."""
    state = selectors.notice_state(decision.selection_meeting_id, [applicant.pk])
    problem = notice_problem(applicant=applicant, decision=decision, state=state)
    if problem:
        raise ValidationError(problem)
    now = timezone.now()
    try:
        with transaction.atomic():
            notice = ResultNotice.objects.create(
                company_id=decision.company_id,
                applicant=applicant,
                decision=decision,
                result=decision.result,
                send_at=plan.due_at(now),
                created_by=actor,
                created_at=now,
            )
    except IntegrityError:
        raise ValidationError(_("この判定の合否連絡は既にあります。")) from None
    _after_commit_send([notice], now)
    record_audit(
        action="interview.result_notice_scheduled",
        actor=actor,
        company=applicant.company,
        target=applicant,
        target_label=applicant_services.applicant_label(applicant),
        details={"notice_id": notice.pk, "result": notice.result, "send_at": notice.send_at.isoformat()},
        request=request,
    )
    return notice


def schedule_result_notice(
    *, decision: Decision, notice: NoticePlan, actor: User, request: HttpRequest | None = None
) -> ResultNotice:
    """Send the decision's 合格通知 or 不合格通知 now or at ``notice.send_at``."""
    with transaction.atomic():
        applicant = lock_applicant(decision.applicant)
        return schedule_locked(decision, applicant, notice, actor, request)


def bulk_schedule_result_notices(
    *,
    selection_meeting: SelectionMeeting,
    applicant_ids: Iterable[int],
    result: str,
    notice: NoticePlan,
    actor: User,
    request: HttpRequest | None = None,
) -> BulkOutcome:
    """The ``result`` notice for each of the 選考会's applicants among ``applicant_ids`` whose current
    decision is ``result`` and who have no live notice; the others are skipped with the reason."""
    wanted = DecisionResult(result)
    if wanted == DecisionResult.HOLD:
        raise ValueError("a notice is 合格 or 不合格")
    ids = list(dict.fromkeys(applicant_ids))[:BULK_LIMIT]
    now = timezone.now()
    send_at = notice.due_at(now)
    with transaction.atomic():
        applicants = list(
            Applicant.objects.select_for_update()
            .filter(company_id=selection_meeting.company_id, pk__in=ids)
            .filter(selectors.meeting_applicants_q(selection_meeting))
            .order_by("pk")
        )
        state = selectors.notice_state(selection_meeting.pk, [a.pk for a in applicants])
        pending: list[ResultNotice] = []
        skipped: list[Skip] = []
        for applicant in applicants:
            decision = state.current.get(applicant.pk)
            problem = notice_problem(applicant=applicant, decision=decision, state=state, wanted=wanted)
            if problem or decision is None:
                skipped.append(Skip(applicant, problem))
                continue
            pending.append(
                ResultNotice(
                    company_id=selection_meeting.company_id,
                    applicant=applicant,
                    decision=decision,
                    result=wanted,
                    send_at=send_at,
                    created_by=actor,
                    created_at=now,
                )
            )
        created = _bulk_create(pending)
        if created:
            _audit_bulk(selection_meeting, created, actor, request)
            _after_commit_send(created, now)
    return BulkOutcome(created=created, skipped=skipped)


def _bulk_create(notices: list[ResultNotice]) -> list[ResultNotice]:
    if not notices:
        return []
    try:
        with transaction.atomic():
            return ResultNotice.objects.bulk_create(notices)
    except IntegrityError:
        # Another request created a notice for one of these decisions at the same moment.
        raise ValidationError(_("他の操作と重なりました。もう一度お試しください。")) from None


def _audit_bulk(
    meeting: SelectionMeeting, created: list[ResultNotice], actor: User, request: HttpRequest | None
) -> None:
    first = created[0]
    record_audit(
        action="interview.result_notices_scheduled",
        actor=actor,
        company=meeting.company,
        target=meeting,
        target_label=_("%(meeting)s: %(count)d名") % {"meeting": meeting.name, "count": len(created)},
        details={
            "result": first.result,
            "send_at": first.send_at.isoformat(),
            "applicant_ids": [notice.applicant_id for notice in created],
            "notice_ids": [notice.pk for notice in created],
        },
        request=request,
    )


def cancel_result_notice(
    *, notice: ResultNotice, actor: User, request: HttpRequest | None = None
) -> ResultNotice:
    """取り消し: stop a scheduled notice. A sent one cannot be taken back."""
    with transaction.atomic():
        locked = ResultNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.status == NoticeStatus.SENT:
            raise ValidationError(_("送信済みの合否連絡は取り消せません。"))
        if locked.status == NoticeStatus.CANCELLED:
            raise ValidationError(_("この合否連絡は既に取り消されています。"))
        _mark_cancelled(locked, CancelReason.BY_USER, actor, timezone.now())
        applicant = locked.applicant
        record_audit(
            action="interview.result_notice_cancelled",
            actor=actor,
            company=applicant.company,
            target=applicant,
            target_label=applicant_services.applicant_label(applicant),
            details={"notice_id": locked.pk, "result": locked.result, "send_at": locked.send_at.isoformat()},
            request=request,
        )
    return locked


def _mark_cancelled(notice: ResultNotice, reason: str, actor: User | None, now: datetime) -> None:
    notice.status, notice.cancel_reason = NoticeStatus.CANCELLED, reason
    notice.cancelled_by, notice.cancelled_at = actor, now
    notice.save(update_fields=["status", "cancel_reason", "cancelled_by", "cancelled_at"])


# --- sending --------------------------------------------------------------------------------------------


def _after_commit_send(notices: list[ResultNotice], now: datetime) -> None:
    due = [notice.pk for notice in notices if notice.send_at <= now]
    if due:
        transaction.on_commit(partial(_enqueue_send, due))


def _enqueue_send(notice_ids: list[int]) -> None:
    from interviews.decision_tasks import send_result_notices_task

    try:
        send_result_notices_task.delay(notice_ids)
    except (BrokerError, OSError):
        # The notices stay scheduled and due: the beat sends them once the broker is back.
        logger.exception("could not enqueue result notices %s; the beat will send them", notice_ids)


def send_due_result_notices(*, now: datetime | None = None, limit: int = DUE_BATCH) -> int:
    """Beat: send every scheduled notice whose time has come; returns how many were sent."""
    now = now or timezone.now()
    due = ResultNotice.objects.filter(status=NoticeStatus.SCHEDULED, send_at__lte=now)
    return send_result_notices(notice_ids=due.order_by("send_at", "pk").values_list("pk", flat=True)[:limit])


def send_result_notices(*, notice_ids: Iterable[int], now: datetime | None = None) -> int:
    """Send each due notice among ``notice_ids`` in its own transaction; one failing holds up no other."""
    sent = 0
    for notice_id in list(notice_ids):
        try:
            notice = send_result_notice(notice_id=notice_id, now=now)
        except Exception:  # logged; the notice stays due and the next beat tries again
            logger.exception("result notice %s could not be sent", notice_id)
            continue
        if notice is not None and notice.status == NoticeStatus.SENT:
            sent += 1
    return sent


def send_result_notice(*, notice_id: int, now: datetime | None = None) -> ResultNotice | None:
    """Send one scheduled notice if it is due. None when it is not due, already sent or cancelled, or its
    applicant or the notice is held by another transaction (the next beat takes it). Safe to run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = ResultNotice.objects.filter(pk=notice_id, status=NoticeStatus.SCHEDULED, send_at__lte=now)
        applicant_id = due.values_list("applicant_id", flat=True).first()
        if applicant_id is None:
            return None
        # Same lock order as a decision (applicant, then notice); skip what another transaction holds.
        applicant = Applicant.objects.select_for_update(skip_locked=True).filter(pk=applicant_id).first()
        notice = due.select_for_update(skip_locked=True).first() if applicant is not None else None
        if applicant is None or notice is None:
            return None
        _deliver(notice, applicant, now)
    return notice


def _deliver(notice: ResultNotice, applicant: Applicant, now: datetime) -> None:
    decision = Decision.objects.select_related("selection_meeting", "moved_to_stage").get(
        pk=notice.decision_id
    )
    current = selectors.current_decision(decision.applicant_id, decision.selection_meeting_id)
    if current is None or current.pk != decision.pk:
        _mark_cancelled(notice, CancelReason.SUPERSEDED, None, now)
        return
    if _applicant_problem(applicant):
        reason = CancelReason.ANONYMIZED if applicant.is_anonymized else CancelReason.NO_ADDRESS
        _mark_cancelled(notice, reason, None, now)
        return
    try:
        mail = queue_mail(
            company=notice.company,
            kind=MAIL_KINDS[notice.result],
            to=applicant.email,
            context=_mail_context(applicant, decision),
            applicant=applicant,
            actor=notice.created_by,
            dedupe_key=f"result-notice:{notice.pk}",
        )
    except (ValidationError, StartUrlLeakError):
        logger.warning("result notice %s: the mail was refused", notice.pk, exc_info=True)
        _mark_cancelled(notice, CancelReason.NO_ADDRESS, None, now)
        return
    notice.status, notice.sent_at, notice.sent_mail_id = NoticeStatus.SENT, now, mail.pk
    notice.save(update_fields=["status", "sent_at", "sent_mail_id"])


def _mail_context(applicant: Applicant, decision: Decision) -> MailContext:
    next_step = ""
    if decision.result == DecisionResult.PASS:
        stage = decision.moved_to_stage
        if stage is not None and stage.kind == StageKind.IN_PROGRESS:
            next_step = stage.name
        else:
            following = selectors.next_meeting(decision.selection_meeting)
            next_step = following.name if following is not None else ""
    return MailContext(
        applicant_name=applicant.name,
        selection_meeting_name=decision.selection_meeting.name,
        next_step=next_step,
    )
