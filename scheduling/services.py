"""Writes for selection meetings, events and slots. Each service owns its transaction, writes the audit
log, and enqueues the meeting sync after commit (scheduling.issuance does the service side).

``resume_issuance`` and ``handle_meeting_change`` answer the web-meeting providers' signals (connected in
scheduling.receivers).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Model, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, User
from scheduling import issuance, signals, tasks
from scheduling.models import Event, MeetingState, SelectionMeeting, Slot, no_meeting_fields
from scheduling.signals import SlotChange

logger = logging.getLogger(__name__)

EVENT_SETTING_FIELDS = [
    "name",
    "web_meeting",
    "meeting_host_id",
    "meeting_host_email",
    "meeting_host_name",
    "duration_minutes",
    "default_capacity",
    "booking_opens_hours_before",
    "booking_closes_hours_before",
    "cancel_deadline_hours_before",
    "reminder_hours_before",
    "booking_stage",
    "place",
    "notes",
    "waiting_room",
    "join_before_host",
    "use_passcode",
    "use_pmi",
]


class SchedulingError(ValidationError):
    """A refused action, with a message for the user."""


# --- meeting sync bookkeeping ----------------------------------------------------------------------------


def _needs_service_work(slot: Slot) -> bool:
    """A worker holds the slot (it must look again), or the service does not match the slot."""
    return slot.claim_token is not None or issuance.plan(slot) is not None


def _request_sync(slots: list[Slot], *, keep_deleted: bool = True) -> list[int]:
    """Mark slots whose meeting must change as pending (version raised) and enqueue them after commit.

    Slots whose meeting was deleted at the service stay 削除済み until staff re-issue (``keep_deleted``),
    unless the slot itself goes away. Slots with nothing to do at the service are settled here without a task.
    """
    pending_ids: list[int] = []
    settled: dict[str, list[int]] = {MeetingState.NONE: [], MeetingState.ISSUED: []}
    for slot in slots:
        if keep_deleted and slot.meeting_state == MeetingState.DELETED and slot.deleted_at is None:
            continue
        if _needs_service_work(slot):
            pending_ids.append(slot.pk)
        elif slot.meeting_id is not None:
            settled[MeetingState.ISSUED].append(slot.pk)
        else:
            settled[MeetingState.NONE].append(slot.pk)
    if pending_ids:
        Slot.all_objects.filter(pk__in=pending_ids).update(
            meeting_state=MeetingState.PENDING,
            meeting_version=F("meeting_version") + 1,
            meeting_error="",
            wait_reason="",
            not_before=None,
            attempts=0,
        )
        transaction.on_commit(lambda: tasks.enqueue(pending_ids))
    for state, ids in settled.items():
        if ids:
            Slot.all_objects.filter(pk__in=ids).update(
                meeting_state=state, meeting_error="", wait_reason="", not_before=None
            )
    return pending_ids


# --- 選考会 ------------------------------------------------------------------------------------------------


def create_selection_meeting(
    *,
    company: Company,
    actor: User,
    name: str,
    description: str = "",
    sort_order: int = 0,
    request: HttpRequest | None = None,
) -> SelectionMeeting:
    """Create a 選考会."""
    with transaction.atomic():
        meeting = SelectionMeeting.objects.create(
            company=company, name=name, description=description, sort_order=sort_order
        )
        record_audit(
            action="selection.created", actor=actor, company=company, target=meeting, request=request
        )
    return meeting


def update_selection_meeting(
    *,
    meeting: SelectionMeeting,
    actor: User,
    name: str,
    description: str,
    sort_order: int,
    request: HttpRequest | None = None,
) -> SelectionMeeting:
    """Rename or describe a 選考会 (meetings already issued keep their topic)."""
    with transaction.atomic():
        meeting.name, meeting.description, meeting.sort_order = name, description, sort_order
        meeting.save(update_fields=["name", "description", "sort_order", "updated_at"])
        record_audit(action="selection.updated", actor=actor, target=meeting, request=request)
    return meeting


def _has_live_slots(slots) -> bool:
    """Slots that still count: not deleted, or deleted but with a meeting not yet dropped."""
    return slots.exclude(deleted_at__isnull=False, meeting_state=MeetingState.NONE).exists()


def delete_selection_meeting(
    *, meeting: SelectionMeeting, actor: User, request: HttpRequest | None = None
) -> None:
    """Delete a 選考会 that has no slots left."""
    with transaction.atomic():
        if _has_live_slots(Slot.all_objects.filter(event__selection_meeting=meeting)):
            raise SchedulingError(
                _("日程が登録されている選考会は削除できません。先に日程を削除してください。")
            )
        record_audit(action="selection.deleted", actor=actor, target=meeting, request=request)
        meeting.delete()


# --- イベント (予約動作設定) -------------------------------------------------------------------------------


def create_event(
    *,
    selection_meeting: SelectionMeeting,
    actor: User,
    settings: dict[str, Any],
    request: HttpRequest | None = None,
) -> Event:
    """Add an event to a 選考会 with its 予約動作設定."""
    with transaction.atomic():
        event = Event(company=selection_meeting.company, selection_meeting=selection_meeting)
        for name in EVENT_SETTING_FIELDS:
            if name in settings:
                setattr(event, name, settings[name])
        event.save()
        record_audit(
            action="event.created",
            actor=actor,
            company=event.company,
            target=event,
            request=request,
            details=_audit_settings(event),
        )
    return event


def _audit_settings(event: Event) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in EVENT_SETTING_FIELDS}
    return {name: str(value) if isinstance(value, Model) else value for name, value in values.items()}


def update_event_settings(
    *, event: Event, actor: User, settings: dict[str, Any], request: HttpRequest | None = None
) -> list[int]:
    """Save 予約動作設定. Switching Web面接連携 (none, Zoom, Teams), or changing the host, re-plans the
    future slots' meetings (issue, delete, or re-issue on the new host). Returns the slots queued for the
    service."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        before = _audit_settings(event)
        for name in EVENT_SETTING_FIELDS:
            if name in settings:
                setattr(event, name, settings[name])
        event.save()
        after = _audit_settings(event)
        changed = {
            name: [before[name], after[name]] for name in EVENT_SETTING_FIELDS if before[name] != after[name]
        }
        queued: list[int] = []
        if changed.keys() & {"web_meeting", "meeting_host_id"}:
            queued = _replan_future_slots(event)
        record_audit(
            action="event.settings_changed",
            actor=actor,
            company=event.company,
            target=event,
            request=request,
            details={
                "changed": {k: [str(v) for v in pair] for k, pair in changed.items()},
                "queued": len(queued),
            },
        )
    return queued


def _replan_future_slots(event: Event) -> list[int]:
    slots = list(
        Slot.objects.select_for_update()
        .select_related("company", "event")
        .filter(event=event, starts_at__gt=timezone.now())
    )
    for slot in slots:
        slot.event = event
        slot.meeting_wanted = event.has_web_meeting and (slot.is_published or slot.meeting_id is not None)
    Slot.objects.bulk_update(slots, ["meeting_wanted"])
    # A failed slot is retried: fixing the host is the usual cure for its failure.
    return _request_sync(slots)


def replan_meeting_hosts(*, slot_ids: list[int]) -> list[int]:
    """A higher app changed who should host these slots' meetings
    (``scheduling.registry.slot_meeting_hosts``): the future web-meeting slots whose meeting is on another
    host are re-issued on the new one. Returns the slots queued for the service."""
    with transaction.atomic():
        slots = list(
            Slot.objects.select_for_update(of=("self",))
            .select_related("company", "event")
            .filter(pk__in=slot_ids, starts_at__gt=timezone.now())
            .exclude(event__web_meeting="none")
            .order_by("pk")
        )
        return _request_sync(slots)


def delete_event(*, event: Event, actor: User, request: HttpRequest | None = None) -> None:
    """Delete an event that has no slots left."""
    with transaction.atomic():
        if _has_live_slots(Slot.all_objects.filter(event=event)):
            raise SchedulingError(
                _("日程が登録されているイベントは削除できません。先に日程を削除してください。")
            )
        record_audit(
            action="event.deleted", actor=actor, company=event.company, target=event, request=request
        )
        event.delete()


# --- 日程 --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotSpec:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    is_published: bool
    note: str = ""


def _new_slot(event: Event, spec: SlotSpec, actor: User | None) -> Slot:
    return Slot(
        company=event.company,
        event=event,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        capacity=spec.capacity,
        is_published=spec.is_published,
        note=spec.note,
        created_by=actor,
        meeting_wanted=event.has_web_meeting and spec.is_published,
    )


def create_slots(
    *, event: Event, actor: User | None, specs: list[SlotSpec], request: HttpRequest | None = None
) -> list[Slot]:
    """新規日程作成 (one or many). With Web面接連携, slots created with 日程を表示する get a meeting."""
    with transaction.atomic():
        slots = Slot.objects.bulk_create([_new_slot(event, spec, actor) for spec in specs])
        if any(slot.pk is None for slot in slots):  # backends without RETURNING
            slots = list(Slot.objects.filter(event=event, created_by=actor).order_by("-pk")[: len(specs)])
        for slot in slots:
            slot.event = event
        _request_sync(slots)
        if len(slots) == 1:
            record_audit(
                action="slot.created", actor=actor, company=event.company, target=slots[0], request=request
            )
        else:
            record_audit(
                action="slot.created",
                actor=actor,
                company=event.company,
                target=event,
                request=request,
                details={"count": len(slots), "first": slots[0].starts_at.isoformat() if slots else None},
            )
    return slots


def create_slot(
    *, event: Event, actor: User | None, spec: SlotSpec, request: HttpRequest | None = None
) -> Slot:
    return create_slots(event=event, actor=actor, specs=[spec], request=request)[0]


def update_slot(
    *,
    slot: Slot,
    actor: User,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    is_published: bool,
    note: str = "",
    request: HttpRequest | None = None,
) -> Slot:
    """Move, resize or show/hide a slot. A move updates its meeting; 日程を表示しない keeps the meeting."""
    with transaction.atomic():
        slot = (
            Slot.objects.select_for_update()
            .select_related("company", "event__selection_meeting")
            .get(pk=slot.pk)
        )
        booked = slot.booked_count
        if capacity < booked:
            raise SchedulingError(
                _("定員は現在の予約数（%(booked)s名）より少なくできません。") % {"booked": booked}
            )
        previous_start, previous_end = slot.starts_at, slot.ends_at
        was_published, previous_capacity = slot.is_published, slot.capacity
        moved = starts_at != slot.starts_at or ends_at != slot.ends_at
        slot.starts_at, slot.ends_at, slot.capacity, slot.note = starts_at, ends_at, capacity, note
        slot.is_published = is_published
        if is_published and slot.event.has_web_meeting:
            slot.meeting_wanted = True
        slot.save(
            update_fields=[
                "starts_at",
                "ends_at",
                "capacity",
                "note",
                "is_published",
                "meeting_wanted",
                "updated_at",
            ]
        )
        if moved or (is_published and not was_published):
            _request_sync([slot])
        if capacity > previous_capacity or (is_published and not was_published):
            signals.slot_seats_added.send(sender=Slot, slot=slot)  # the waitlist goes first
        record_audit(
            action="slot.changed",
            actor=actor,
            company=slot.company,
            target=slot,
            request=request,
            details={
                "before": {
                    "starts_at": str(previous_start),
                    "ends_at": str(previous_end),
                    "is_published": str(was_published),
                },
                "after": {"starts_at": str(starts_at), "ends_at": str(ends_at), "is_published": is_published},
                "capacity": capacity,
            },
        )
        if moved:
            signals.announce_slot_change(
                slot,
                change=SlotChange.MOVED,
                details={
                    "previous_start": previous_start.isoformat(),
                    "previous_end": previous_end.isoformat(),
                },
            )
    return slot


def delete_slot(*, slot: Slot, actor: User, request: HttpRequest | None = None) -> None:
    """Delete a slot; its meeting is deleted too (404 at the service counts as done)."""
    with transaction.atomic():
        slot = Slot.objects.select_for_update().select_related("company", "event").get(pk=slot.pk)
        if slot.booked_count > 0:
            raise SchedulingError(
                _("予約がある日程は削除できません。先に予約を移動またはキャンセルしてください。")
            )
        slot.deleted_at = timezone.now()
        slot.meeting_wanted = False
        slot.save(update_fields=["deleted_at", "meeting_wanted", "updated_at"])
        signals.slot_deleted.send(sender=Slot, slot=slot)
        _request_sync([slot], keep_deleted=False)
        record_audit(action="slot.deleted", actor=actor, company=slot.company, target=slot, request=request)


def reissue_slot_meeting(*, slot: Slot, actor: User | None, request: HttpRequest | None = None) -> None:
    """再発行 / 再試行: a failed slot, a meeting deleted at the service, or one moved there behind our
    back."""
    with transaction.atomic():
        slot = (
            Slot.objects.select_for_update()
            .select_related("company", "event__selection_meeting")
            .get(pk=slot.pk)
        )
        if not slot.event.has_web_meeting:
            raise SchedulingError(_("このイベントはWeb面接連携を使用していません。"))
        if slot.ends_at <= timezone.now():
            raise SchedulingError(_("終了した日程のミーティングは再発行できません。"))
        slot.meeting_wanted = True
        slot.save(update_fields=["meeting_wanted", "updated_at"])
        Slot.objects.filter(pk=slot.pk).update(
            meeting_state=MeetingState.PENDING,
            meeting_version=F("meeting_version") + 1,
            meeting_error="",
            wait_reason="",
            not_before=None,
            attempts=0,
        )
        transaction.on_commit(lambda: tasks.enqueue([slot.pk]))
        record_audit(
            action="meeting.reissue_requested",
            actor=actor,
            company=slot.company,
            target=slot,
            request=request,
            details={"previous_state": slot.meeting_state},
        )


# --- answers to the web-meeting providers' signals (web_meetings.signals) -------------------------------


def resume_issuance(*, company: Company, provider: str) -> None:
    """After a (re)link to ``provider``: slots waiting for the link (or anything else) go on now."""
    now = timezone.now()
    with transaction.atomic():
        waiting = (
            Slot.all_objects.filter(company=company, meeting_state=MeetingState.PENDING)
            .filter(Q(event__web_meeting=provider) | Q(meeting_provider=provider))
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        )
        ids = list(waiting.values_list("pk", flat=True))
        Slot.all_objects.filter(pk__in=ids, wait_reason__in=["link", "temporary"]).update(not_before=None)
        eligible = list(
            Slot.all_objects.filter(pk__in=ids)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: tasks.enqueue(eligible))


def handle_meeting_change(
    *,
    company: Company,
    provider: str,
    meeting_id: str,
    change: str,
    start: datetime | None = None,
    duration_minutes: int | None = None,
    changed_at: datetime | None = None,
) -> None:
    """A meeting one of our slots owns was changed ("updated") or deleted ("deleted") at the service
    (Zoom's webhook, Graph's change notification). Idempotent; a change older than our last write to the
    meeting (``changed_at`` before ``meeting_synced_at``) is ignored."""
    with transaction.atomic():
        slot = (
            Slot.all_objects.select_for_update()
            .select_related("company", "event")
            .filter(company=company, meeting_id=str(meeting_id))
            .filter(Q(meeting_provider=provider) | Q(meeting_provider=""))
            .first()
        )
        if slot is None:
            return
        stale = changed_at is not None and slot.meeting_synced_at and changed_at < slot.meeting_synced_at
        if change == "deleted":
            _meeting_deleted_at_service(slot)
        elif change == "updated" and not stale:
            _meeting_updated_at_service(slot, start=start, duration=duration_minutes)


def _meeting_deleted_at_service(slot: Slot) -> None:
    wanted = slot.meeting_wanted and slot.deleted_at is None and slot.event.has_web_meeting
    if wanted:
        state = MeetingState.DELETED
        error = _("%(service)s上でミーティングが削除されました。必要であれば再発行してください。") % {
            "service": slot.service_display
        }
    else:
        state = MeetingState.PENDING if slot.meeting_state == MeetingState.PENDING else MeetingState.NONE
        error = ""
    Slot.all_objects.filter(pk=slot.pk, meeting_id=slot.meeting_id).update(
        **no_meeting_fields(),
        meeting_host_id="",
        meeting_provider="",
        meeting_state=state,
        meeting_error=error,
        wait_reason="",
        not_before=None,
        meeting_version=F("meeting_version") + 1,
    )
    record_audit(
        action="meeting.deleted_in_zoom",
        company=slot.company,
        target=slot,
        details={"meeting_id": slot.meeting_id},
    )
    if wanted:
        signals.announce_slot_change(slot, change=SlotChange.DELETED_IN_ZOOM)


def _meeting_updated_at_service(slot: Slot, *, start: datetime | None, duration: int | None) -> None:
    changes: dict[str, Any] = {}
    if start is not None:
        changes["meeting_start"] = start
    if duration is not None:
        changes["meeting_duration"] = duration
    if not changes:
        return
    start = changes.get("meeting_start", slot.meeting_start)
    duration = changes.get("meeting_duration", slot.meeting_duration)
    if start is not None and duration is not None:
        changes["meeting_end"] = start + timedelta(minutes=duration)
    Slot.all_objects.filter(pk=slot.pk, meeting_id=slot.meeting_id).update(**changes)
    slot.refresh_from_db()
    if slot.meeting_out_of_sync:
        record_audit(
            action="meeting.changed_in_zoom",
            company=slot.company,
            target=slot,
            details={"meeting_id": slot.meeting_id, "zoom_start": str(slot.meeting_start)},
        )
