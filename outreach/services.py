"""一括操作: start a job for many applicants, run it a chunk at a time, retry its failures.

``start_job`` fixes the applicants (the company's only) as one ``JobItem`` each and enqueues the task
after commit. ``run_job`` (the task's body) takes up to ``CHUNK`` pending items in one transaction
(``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent runs take different items), claims each with a
conditional UPDATE (pending → done) and does its work in a savepoint of the same transaction: the mail
is stored exactly when its item is marked done, and the mail leaves after commit. A second or concurrent
run finds nothing pending for the items already done, so nobody is mailed twice; a retry puts only the
failed items back to pending (and queues their undelivered mails again).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, User
from applicants import services as applicant_services
from applicants.models import Applicant, SelectionStage
from booking import invitations
from booking.rules import BookingError
from notifications import compose
from notifications import services as mail_services
from notifications.models import AdhocKind
from outreach import selectors
from outreach.models import ItemState, JobAction, JobItem, JobScope, OutreachJob
from scheduling.models import Event

logger = logging.getLogger(__name__)

CHUNK = 100
# A run hands over to a fresh task after this long, well inside the task time limit.
RUN_BUDGET_SECONDS = 120.0


class JobError(ValidationError):
    """A job that cannot be started (nothing chosen, too many, a missing or foreign parameter)."""


def start_job(
    *,
    company: Company,
    actor: User,
    action: str,
    scope: str,
    applicant_ids: list[int],
    filter_query: str = "",
    event: Event | None = None,
    stage: SelectionStage | None = None,
    mail_kind: str = "",
    subject: str = "",
    body: str = "",
    request: HttpRequest | None = None,
) -> OutreachJob:
    """A job for the company's applicants among ``applicant_ids`` (others are ignored), run in the
    background. Raises JobError or ValidationError (the mail text) before anything is stored."""
    if action not in JobAction.values or scope not in JobScope.values:
        raise JobError(_("操作を選択してください。"))
    if action == JobAction.INVITATION and (event is None or event.company_id != company.pk):
        raise JobError(_("案内するイベントを選んでください。"))
    if action == JobAction.STATUS and (
        stage is None or stage.company_id != company.pk or not stage.is_active
    ):
        raise JobError(_("変更後の選考ステータスを選んでください。"))
    if action == JobAction.MAIL:
        if mail_kind not in (AdhocKind.BULK, *compose.APPLICANT_TEMPLATE_KINDS):
            raise JobError(_("メールの内容を選んでください。"))
        compose.composer_for(company=company, kind=mail_kind, subject=subject, body=body)  # checks the text
    ids = sorted(
        set(Applicant.objects.filter(company=company, pk__in=applicant_ids).values_list("pk", flat=True))
    )
    if not ids:
        raise JobError(_("応募者を選択してください。"))
    if len(ids) > selectors.MAX_JOB_APPLICANTS:
        raise JobError(
            _("一度に操作できる応募者は%(max)s名までです。条件を絞り込んでください。")
            % {"max": f"{selectors.MAX_JOB_APPLICANTS:,}"}
        )
    with transaction.atomic():
        job = OutreachJob.objects.create(
            company=company,
            action=action,
            scope=scope,
            filter_query=filter_query[:2000] if scope == JobScope.FILTER else "",
            event=event if action == JobAction.INVITATION else None,
            stage=stage if action == JobAction.STATUS else None,
            mail_kind=mail_kind if action == JobAction.MAIL else "",
            subject=subject if action == JobAction.MAIL and mail_kind == AdhocKind.BULK else "",
            body=body if action == JobAction.MAIL and mail_kind == AdhocKind.BULK else "",
            total=len(ids),
            created_by=actor,
        )
        JobItem.objects.bulk_create((JobItem(job=job, applicant_id=pk) for pk in ids), batch_size=2000)
        record_audit(
            action="outreach.job_started",
            actor=actor,
            company=company,
            target=job,
            target_label=job.get_action_display(),
            details=_job_details(job),
            request=request,
        )
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def _job_details(job: OutreachJob) -> dict[str, Any]:
    details: dict[str, Any] = {"action": job.action, "scope": job.scope, "count": job.total}
    if job.event_id:
        details["event"] = job.event_id
    if job.stage_id:
        details["stage"] = job.stage.name if job.stage else job.stage_id
    if job.mail_kind:
        details["mail_kind"] = job.mail_kind
    if job.filter_query:
        details["filters"] = job.filter_query
    return details


def enqueue(job_id: int) -> None:
    from outreach import tasks  # tasks imports this module

    try:
        tasks.run_job.delay(job_id)
    except Exception:
        logger.warning("could not enqueue outreach job %s; the sweeper will", job_id, exc_info=True)


# Running


class Skip(Exception):
    """This applicant is left out, for the reason given (shown on the job page, retried by 再実行)."""


@dataclass
class _Outcome:
    reason: str = ""
    sent_mail_id: int | None = None


Handler = Callable[[JobItem, Applicant], _Outcome]


def _composer(job: OutreachJob) -> compose.Composer:
    return compose.composer_for(company=job.company, kind=job.mail_kind, subject=job.subject, body=job.body)


def _handler(job: OutreachJob) -> Handler:
    """What the job does for one applicant, prepared once per run."""
    actor = job.created_by
    if job.action == JobAction.MAIL:
        composer = _composer(job)

        def mail(item: JobItem, applicant: Applicant) -> _Outcome:
            reason = compose.can_mail(applicant)
            if reason:
                raise Skip(reason)
            sent = composer.queue(
                to=applicant.email,
                context=compose.applicant_context(applicant),
                applicant=applicant,
                actor=actor,
                dedupe_key=_dedupe_key(job, item),
            )
            return _Outcome(sent_mail_id=sent.pk)

        return mail
    if job.action == JobAction.INVITATION:
        event = job.event

        def invite(item: JobItem, applicant: Applicant) -> _Outcome:
            if event is None:
                raise Skip(_("イベントが削除されています。"))
            if actor is None:
                raise Skip(_("操作したユーザーが削除されています。"))
            try:
                _invitation, sent = invitations.invite_to_event(applicant=applicant, event=event, actor=actor)
            except BookingError as exc:
                raise Skip(" ".join(exc.messages)) from exc
            return _Outcome(sent_mail_id=sent.pk)

        return invite
    stage = job.stage

    def change(item: JobItem, applicant: Applicant) -> _Outcome:
        if stage is None:
            raise Skip(_("選考ステータスが削除されています。"))
        if actor is None:
            raise Skip(_("操作したユーザーが削除されています。"))
        if applicant.is_anonymized:
            raise Skip(_("個人情報を削除した応募者です。"))
        try:
            applicant_services.change_status(applicant=applicant, stage=stage, actor=actor)
        except ValidationError as exc:
            raise Skip(" ".join(exc.messages)) from exc
        return _Outcome()

    return change


class _Contended(Exception):
    """Another run holds some of this chunk's items (or stored one of its mails): go one by one."""


def _pending_chunk(job: OutreachJob) -> list[JobItem]:
    return list(
        JobItem.objects.select_for_update(skip_locked=True)
        .filter(job_id=job.pk, state=ItemState.PENDING)
        .order_by("pk")[:CHUNK]
    )


def _applicants_of(job: OutreachJob, items: list[JobItem]) -> dict[int, Applicant]:
    return {
        applicant.pk: applicant
        for applicant in Applicant.objects.filter(
            company_id=job.company_id, pk__in=[item.applicant_id for item in items]
        ).select_related("company")
    }


def _count(job: OutreachJob, done: int, failed: int) -> None:
    OutreachJob.objects.filter(pk=job.pk).update(
        done=F("done") + done, failed=F("failed") + failed, touched_at=timezone.now()
    )


def _dedupe_key(job: OutreachJob, item: JobItem) -> str:
    # Once per item and attempt: a second store of the same item finds the first mail.
    return f"outreach:{job.pk}:{item.applicant_id}:{item.attempts}"


def _run_mail_chunk(job: OutreachJob, composer: compose.Composer) -> int:
    """A mail job's chunk in a few statements: claim every item at once, store the mails in one INSERT,
    mark the items in one UPDATE. Raises _Contended (nothing kept) when another run got in between."""
    now = timezone.now()
    with transaction.atomic():
        items = _pending_chunk(job)
        if not items:
            return 0
        ids = [item.pk for item in items]
        claimed = JobItem.objects.filter(pk__in=ids, state=ItemState.PENDING).update(
            state=ItemState.DONE, processed_at=now
        )
        if claimed != len(items):
            raise _Contended
        applicants = _applicants_of(job, items)
        recipients = [
            (applicants[item.applicant_id], _dedupe_key(job, item))
            for item in items
            if item.applicant_id in applicants
        ]
        try:
            with transaction.atomic():
                results = composer.queue_many(recipients, actor=job.created_by)
        except IntegrityError as exc:
            raise _Contended from exc
        reasons: dict[str, list[int]] = {}
        sent: list[JobItem] = []
        for item in items:
            result = results.get(item.applicant_id, _("応募者が削除されています。"))
            if isinstance(result, str):
                reasons.setdefault(result[:500], []).append(item.pk)
            else:
                item.sent_mail_id = result.pk
                sent.append(item)
        for reason, pks in reasons.items():
            JobItem.objects.filter(pk__in=pks).update(state=ItemState.FAILED, reason=reason)
        JobItem.objects.bulk_update(sent, ["sent_mail_id"])
        failed = sum(len(pks) for pks in reasons.values())
        _count(job, len(items) - failed, failed)
    return len(items)


def _run_chunk(job: OutreachJob, handler: Handler) -> int:
    """Process up to CHUNK pending items one by one in one transaction; returns how many were claimed."""
    now = timezone.now()
    done = failed = 0
    with transaction.atomic():
        items = _pending_chunk(job)
        if not items:
            return 0
        applicants = _applicants_of(job, items)
        for item in items:
            # The claim: only one run turns this item from pending to done.
            claimed = JobItem.objects.filter(pk=item.pk, state=ItemState.PENDING).update(
                state=ItemState.DONE, processed_at=now
            )
            if not claimed:
                continue
            applicant = applicants.get(item.applicant_id)
            try:
                with transaction.atomic():  # a refusal rolls back this applicant's work only
                    if applicant is None:
                        raise Skip(_("応募者が削除されています。"))
                    outcome = handler(item, applicant)
            except Skip as exc:
                outcome = _Outcome(reason=str(exc))
            except ValidationError as exc:  # e.g. an address the mail validator refuses
                outcome = _Outcome(reason=" ".join(exc.messages))
            if outcome.reason:
                failed += 1
                JobItem.objects.filter(pk=item.pk).update(state=ItemState.FAILED, reason=outcome.reason[:500])
            else:
                done += 1
                if outcome.sent_mail_id is not None:
                    JobItem.objects.filter(pk=item.pk).update(sent_mail_id=outcome.sent_mail_id, reason="")
        _count(job, done, failed)
    return done + failed


def run_job(*, job_id: int, budget_seconds: float | None = None) -> int:
    """Process the job's pending items; returns how many this run processed. Safe to run twice and
    concurrently. A run that uses up its time budget enqueues the next one and returns."""
    job = (
        OutreachJob.objects.select_related("company", "created_by", "event__selection_meeting", "stage")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.is_finished:
        return 0
    budget = RUN_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    handler = _handler(job)
    composer = _composer(job) if job.action == JobAction.MAIL else None
    started = time.monotonic()
    processed = 0
    while True:
        count = 0
        if composer is not None:
            try:
                count = _run_mail_chunk(job, composer)
            except _Contended:
                count = _run_chunk(job, handler)  # this chunk one item at a time
        else:
            count = _run_chunk(job, handler)
        processed += count
        if count == 0:
            break
        if time.monotonic() - started > budget:
            transaction.on_commit(lambda: enqueue(job_id))
            return processed
    _finish(job_id)
    return processed


def _finish(job_id: int) -> None:
    with transaction.atomic():
        job = OutreachJob.objects.select_for_update().select_related("company").get(pk=job_id)
        if job.is_finished or JobItem.objects.filter(job=job, state=ItemState.PENDING).exists():
            return
        job.finished_at = timezone.now()
        job.save(update_fields=["finished_at"])
        record_audit(
            action="outreach.job_finished",
            company=job.company,
            target=job,
            target_label=job.get_action_display(),
            details={"action": job.action, "done": job.done, "failed": job.failed},
        )


def retry_failed(*, job: OutreachJob, actor: User, request: HttpRequest | None = None) -> int:
    """Run the failed applicants again: failed items go back to pending (a new mail for each), and
    mails that could not be delivered are queued again. Returns how many."""
    with transaction.atomic():
        locked = OutreachJob.objects.select_for_update().get(pk=job.pk)
        failed_items = JobItem.objects.filter(job=locked, state=ItemState.FAILED)
        items = failed_items.update(state=ItemState.PENDING, reason="", attempts=F("attempts") + 1)
        mails = mail_services.resend_failed_mails(
            company=locked.company, sent_mail_ids=selectors.failed_mail_ids(locked)
        )
        if not items and not mails:
            return 0
        locked.failed = max(0, locked.failed - items)
        if items:
            locked.finished_at = None
        locked.save(update_fields=["failed", "finished_at"])
        record_audit(
            action="outreach.job_retried",
            actor=actor,
            company=locked.company,
            target=locked,
            target_label=locked.get_action_display(),
            details={"items": items, "mails": mails},
            request=request,
        )
        if items:
            transaction.on_commit(lambda: enqueue(locked.pk))
    return items + mails


def unfinished_job_ids(*, stale_minutes: int = 5) -> list[int]:
    """Jobs whose run was lost: unfinished, and untouched for some minutes."""
    cutoff = timezone.now() - timedelta(minutes=stale_minutes)
    jobs = OutreachJob.objects.filter(finished_at__isnull=True, created_at__lt=cutoff)
    return list(jobs.exclude(touched_at__gte=cutoff).values_list("pk", flat=True)[:100])
