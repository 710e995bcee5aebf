"""日程の一括操作: show, hide or delete many slots of a 選考会 as a background job with progress.

``start_slot_batch`` fixes the slot ids (the user's company and 選考会 only) and enqueues the task after
commit; ``run_slot_batch`` (the task's body) takes the slots not yet processed one at a time, each in its
own transaction holding the batch row's lock, and changes it through the slot services, so Zoom meetings
are issued or deleted and booked applicants are told exactly as for a single slot. A booked slot is not
deleted (the same rule as 削除 of one slot): it is reported as a failure with the reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import User
from scheduling import services
from scheduling.models import BatchAction, Event, SelectionMeeting, Slot, SlotBatch

logger = logging.getLogger(__name__)

MAX_BATCH_SLOTS = 5000


class BatchError(services.SchedulingError):
    """A batch that cannot be started."""


def start_slot_batch(
    *,
    meeting: SelectionMeeting,
    actor: User,
    action: str,
    slot_ids: list[int],
    event: Event | None = None,
    request: HttpRequest | None = None,
) -> SlotBatch:
    """Make a batch of the given slots of ``meeting`` (ids of other companies or meetings are ignored)."""
    if action not in BatchAction.values:
        raise BatchError(_("操作を選択してください。"))
    ids = sorted(
        set(
            Slot.objects.filter(
                company_id=meeting.company_id, event__selection_meeting=meeting, pk__in=slot_ids
            ).values_list("pk", flat=True)
        )
    )
    if not ids:
        raise BatchError(_("日程を選択してください。"))
    if len(ids) > MAX_BATCH_SLOTS:
        raise BatchError(_("一度に操作できる日程は%(max)s件までです。") % {"max": MAX_BATCH_SLOTS})
    with transaction.atomic():
        batch = SlotBatch.objects.create(
            company_id=meeting.company_id,
            selection_meeting=meeting,
            event=event,
            action=action,
            slot_ids=ids,
            total=len(ids),
            created_by=actor,
        )
        record_audit(
            action="slot.batch_started",
            actor=actor,
            company=meeting.company,
            target=batch,
            request=request,
            details={"action": action, "count": len(ids), "selection_meeting": meeting.pk},
        )
        transaction.on_commit(lambda: _enqueue(batch.pk))
    return batch


def _enqueue(batch_id: int) -> None:
    from scheduling import tasks  # tasks imports this module

    try:
        tasks.run_slot_batch.delay(batch_id)
    except Exception:  # broker down (or, eagerly, the task failed): the sweeper resumes it
        logger.warning("could not enqueue slot batch %s; the sweeper will", batch_id, exc_info=True)


def _apply(batch: SlotBatch, slot: Slot | None, actor: User) -> str:
    """Change one slot; returns "" or the reason it was not changed."""
    if slot is None:
        if batch.action == BatchAction.DELETE:
            return ""  # already deleted: what was asked
        return _("日程は削除されています。")
    if batch.action == BatchAction.DELETE:
        services.delete_slot(slot=slot, actor=actor)
        return ""
    publish = batch.action == BatchAction.SHOW
    if slot.is_published == publish:
        return ""
    services.update_slot(
        slot=slot,
        actor=actor,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=slot.capacity,
        is_published=publish,
        note=slot.note,
    )
    return ""


def run_slot_batch(*, batch_id: int) -> int:
    """Process the batch's slots not yet processed; returns how many this run processed. Safe to run twice
    and concurrently (each slot is handled under the batch row's lock, and skipped once processed)."""
    batch = SlotBatch.objects.select_related("company", "created_by").filter(pk=batch_id).first()
    if batch is None or batch.is_finished:
        return 0
    ran = 0
    for slot_id in list(batch.slot_ids):
        with transaction.atomic():
            # of=self: the nullable created_by join cannot be locked (PostgreSQL refuses FOR UPDATE on it).
            locked = SlotBatch.objects.select_for_update(of=("self",))
            batch = locked.select_related("created_by").get(pk=batch_id)
            if slot_id in batch.processed:
                continue
            actor = batch.created_by
            slot = (
                Slot.objects.select_related("company", "event__selection_meeting")
                .filter(pk=slot_id, company_id=batch.company_id)
                .first()
            )
            label = str(slot) if slot is not None else f"#{slot_id}"
            try:
                if actor is None:
                    reason = _("操作したユーザーが削除されています。")
                else:
                    with transaction.atomic():  # a refusal rolls back this slot only
                        reason = _apply(batch, slot, actor)
            except services.SchedulingError as exc:
                reason = " ".join(exc.messages)
            batch.processed = [*batch.processed, slot_id]
            batch.done += 1
            if reason:
                batch.failed += 1
                batch.failures = [*batch.failures, {"slot_id": slot_id, "label": label, "reason": reason}]
            batch.save(update_fields=["processed", "done", "failed", "failures"])
            ran += 1
    _finish(batch_id)
    return ran


def _finish(batch_id: int) -> None:
    with transaction.atomic():
        batch = SlotBatch.objects.select_for_update().select_related("company").get(pk=batch_id)
        if batch.is_finished or batch.done < batch.total:
            return
        batch.finished_at = timezone.now()
        batch.save(update_fields=["finished_at"])
        record_audit(
            action="slot.batch_finished",
            company=batch.company,
            target=batch,
            details={"action": batch.action, "done": batch.done, "failed": batch.failed},
        )


def unfinished_batch_ids(*, older_than_minutes: int = 5) -> list[int]:
    """Batches whose task was lost (not finished some minutes after they were made)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return list(
        SlotBatch.objects.filter(finished_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True)
    )
