"""Issuing, updating and deleting a slot's web meeting, through the provider of the event's Web面接連携
(``web_meetings.providers``: Zoom, Microsoft Teams, Google Meet).

One entry point, ``sync_slot_meeting(slot_id=...)``, run by the Celery task for a pending slot:

1. Claim the slot with one conditional UPDATE (state pending, no live claim). No row: another worker owns
   it, or there is nothing to do. The claim is a lease longer than the task's hard time limit, so a
   killed worker's claim expires only after that worker can no longer be talking to the service.
2. Compare what the slot wants (service, host, time, duration; wanted at all) with what the service has,
   and make one call at a time: look up (after a create whose outcome is unknown), delete, update or
   create. Every result is stored at once, guarded by the claim. A meeting at another service than the
   event's current choice (Web面接連携 switched) is deleted there before the new one is created.
3. When nothing is left to do, mark the slot issued (or none), guarded by ``meeting_version``: a change
   made meanwhile by staff raises the version, the guard fails and the loop looks again. After a create
   that leaves nothing to do, storing the meeting and marking the slot issued is one UPDATE, also guarded
   by ``booked_count=0`` (then nobody is told of the URL, so no slot_changed); otherwise the meeting is
   stored alone, the slot read back and announced, and the loop goes on as above.

Before a create, ``create_in_doubt`` is committed. If the worker then times out or dies, the next attempt
lists the host's meetings and adopts the one whose agenda carries the slot's marker instead of creating
a second one. Zoom has no idempotency key; this is ours (Teams also gets the marker as the event's
``transactionId``, so a repeated create answers the first event).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_entry, record_audit
from scheduling import limits, pacing, signals
from scheduling.models import MeetingState, Slot, WaitReason, WebMeeting, no_meeting_fields
from scheduling.registry import slot_meeting_hosts
from scheduling.signals import SlotChange
from web_meetings.errors import (
    DailyLimitExceeded,
    NotFound,
    NotLinked,
    PermanentError,
    ReauthorizationRequired,
    TemporaryError,
)
from web_meetings.providers import Meeting, MeetingOptions, MeetingProvider, MeetingSpec, provider_for

logger = logging.getLogger(__name__)

MAX_STEPS = 8
WEEKDAYS_JA = "月火水木金土日"


def lease_seconds() -> int:
    return getattr(settings, "SCHEDULING_CLAIM_LEASE_SECONDS", 180)


def max_temporary_attempts() -> int:
    return getattr(settings, "SCHEDULING_MAX_TEMPORARY_ATTEMPTS", 10)


@dataclass(frozen=True)
class Outcome:
    """What the task should do next: nothing ("done", "busy", "waiting", "failed") or run again later."""

    status: str
    retry_in: float | None = None


@dataclass
class Step:
    kind: str  # lookup | delete | update | create
    provider: str = WebMeeting.ZOOM  # the service the call goes to
    host_id: str = ""
    meeting_id: str | None = None
    spec: MeetingSpec | None = None
    # The slot as stored after the step, when the step read it back anyway (as _load reads it): the next
    # round of _run starts from it instead of reading the same row again.
    reloaded: Slot | None = None

    def wanted(self) -> MeetingSpec:
        """The meeting a create or update step asks for: plan() gives those steps the slot's spec."""
        if self.spec is None:
            raise ValueError(f"a {self.kind} step without a meeting spec")
        return self.spec

    def existing_meeting_id(self) -> str:
        """The meeting an update or delete step acts on: plan() gives those steps the slot's meeting."""
        if self.meeting_id is None:
            raise ValueError(f"a {self.kind} step without a meeting id")
        return self.meeting_id


class DailyLimitReached(Exception):
    def __init__(self, host_id: str) -> None:
        super().__init__(host_id)
        self.host_id = host_id


class IssueRefused(Exception):
    """A reason of ours not to call the service (the slot is over, the host left the account)."""


# --- what the meeting should look like ---------------------------------------------------------------


def meeting_topic(slot: Slot) -> str:
    local = timezone.localtime(slot.starts_at, slot.company.tzinfo)
    event = slot.event
    when = f"{local:%Y/%m/%d}({WEEKDAYS_JA[local.weekday()]}) {local:%H:%M}"
    return f"{event.selection_meeting.name} {event.name} {when}"[:200]


def meeting_agenda(slot: Slot) -> str:
    marker = slot.marker
    notes = slot.event.notes.strip()
    room = 2000 - len(marker) - 2
    return f"{notes[:room]}\n\n{marker}" if notes else marker


def utc_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meeting_spec(slot: Slot) -> MeetingSpec:
    event = slot.event
    return MeetingSpec(
        topic=meeting_topic(slot),
        start=slot.starts_at,
        duration_minutes=slot.duration_minutes,
        time_zone=slot.company.time_zone,
        agenda=meeting_agenda(slot),
        marker=slot.marker,
        options=MeetingOptions(
            waiting_room=event.waiting_room,
            join_before_host=event.join_before_host,
            use_passcode=event.use_passcode,
            use_pmi=event.use_pmi,
        ),
    )


def provider_of(key: str) -> MeetingProvider:
    return provider_for(key or WebMeeting.ZOOM)  # slots from before the provider column are Zoom's


@dataclass(frozen=True)
class Placement:
    """Where the slot's meeting should be: the service and the host there."""

    provider: str
    host_id: str


def desired_placement(slot: Slot, now: datetime) -> Placement | None:
    """The service and host that should hold the slot's meeting, or None when no meeting is wanted: the
    host a higher app names for the slot (``scheduling.registry.slot_meeting_hosts``), else the event's."""
    event = slot.event
    if slot.deleted_at or not slot.meeting_wanted or not event.has_web_meeting or not event.meeting_host_id:
        return None
    if slot.meeting_id and slot.meeting_host_id and slot.starts_at <= now:
        # started: a change of host or service applies to future slots only
        return Placement(slot.meeting_provider or WebMeeting.ZOOM, slot.meeting_host_id)
    return Placement(event.web_meeting, registered_host(slot) or event.meeting_host_id)


def registered_host(slot: Slot) -> str | None:
    """The first host a higher app names for the slot at its event's service, or None."""
    for host in slot_meeting_hosts.functions():
        chosen = host(slot)
        if chosen:
            return chosen
    return None


def plan(slot: Slot, now: datetime | None = None) -> Step | None:
    """The next call that brings the meeting in line with the slot, or None when it is."""
    now = now or timezone.now()
    wanted = desired_placement(slot, now)
    current = slot.meeting_provider or WebMeeting.ZOOM
    if slot.meeting_id is None:
        if slot.create_in_doubt and slot.meeting_host_id:
            return Step("lookup", provider=current, host_id=slot.meeting_host_id)
        if wanted is None:
            return None
        return Step("create", provider=wanted.provider, host_id=wanted.host_id, spec=meeting_spec(slot))
    if wanted is None or wanted != Placement(current, slot.meeting_host_id):
        return Step("delete", provider=current, host_id=slot.meeting_host_id, meeting_id=slot.meeting_id)
    if slot.meeting_start != slot.starts_at or slot.meeting_duration != slot.duration_minutes:
        return Step(
            "update",
            provider=current,
            host_id=wanted.host_id,
            meeting_id=slot.meeting_id,
            spec=meeting_spec(slot),
        )
    return None


# --- claim, store, release -----------------------------------------------------------------------------


def claim(slot_id: int, *, now: datetime | None = None) -> uuid.UUID | None:
    now = now or timezone.now()
    token = uuid.uuid4()
    taken = (
        Slot.all_objects.filter(pk=slot_id, meeting_state=MeetingState.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .update(claim_token=token, claimed_until=now + timedelta(seconds=lease_seconds()))
    )
    return token if taken else None


def _mine(slot_id: int, token: uuid.UUID):
    return Slot.all_objects.filter(pk=slot_id, claim_token=token)


def _load(slot_id: int) -> Slot | None:
    # [:1] without ORDER BY: .first() would order by the model's ordering, compiled on every call.
    found = Slot.all_objects.select_related("company", "event__selection_meeting").filter(pk=slot_id)
    return next(iter(found.order_by()[:1]), None)


_RELEASE = {"claim_token": None, "claimed_until": None}


def _finish(slot: Slot, token: uuid.UUID) -> bool:
    state = MeetingState.ISSUED if slot.meeting_id else MeetingState.NONE
    done = (
        _mine(slot.pk, token)
        .filter(meeting_version=slot.meeting_version)
        .update(
            meeting_state=state, meeting_error="", wait_reason="", not_before=None, attempts=0, **_RELEASE
        )
    )
    return done == 1


def _release(slot_id: int, token: uuid.UUID, **fields: Any) -> None:
    _mine(slot_id, token).update(**_RELEASE, **fields)


def _fail(slot: Slot, token: uuid.UUID, reason: str) -> Outcome:
    failed = (
        _mine(slot.pk, token)
        .filter(meeting_version=slot.meeting_version)
        .update(
            meeting_state=MeetingState.FAILED,
            meeting_error=reason[:2000],
            wait_reason="",
            not_before=None,
            attempts=0,
            **_RELEASE,
        )
    )
    if not failed:  # staff changed the slot meanwhile: their change may fix it, so look again
        _release(slot.pk, token)
        return Outcome("retry", retry_in=0)
    logger.warning("slot %s: meeting issuance failed: %s", slot.pk, reason)
    record_audit(action="meeting.failed", company=slot.company, target=slot, details={"reason": reason[:500]})
    return Outcome("failed")


def _meeting_fields(slot: Slot, meeting: Meeting, step: Step) -> dict[str, Any]:
    """The slot's columns that record ``meeting``, made by ``step``."""
    start = meeting.start or slot.starts_at
    duration = meeting.duration_minutes or slot.duration_minutes
    return {
        "meeting_provider": step.provider,
        "meeting_id": str(meeting.id),
        "join_url": meeting.join_url,
        "meeting_passcode": meeting.passcode,
        "meeting_host_id": step.host_id,
        "meeting_start": start,
        "meeting_duration": duration,
        "meeting_end": start + timedelta(minutes=duration),
        "create_in_doubt": False,
        "meeting_synced_at": timezone.now(),
        "attempts": 0,
    }


def _store_meeting(slot: Slot, token: uuid.UUID, meeting: Meeting, step: Step) -> None:
    _mine(slot.pk, token).update(**_meeting_fields(slot, meeting, step))


def _store_and_finish(slot: Slot, token: uuid.UUID, fields: dict[str, Any]) -> bool:
    """Store a new meeting and mark the slot issued in one UPDATE, when nothing is left to do and nobody
    has booked the slot: guarded by the claim, by ``meeting_version`` (as ``_finish``) and by
    ``booked_count=0`` (booking changes it only under the row's lock, so a booking waits for this write and
    then sees the join URL). False: no row written; the caller stores the meeting the ordinary way."""
    done = (
        _mine(slot.pk, token)
        .filter(meeting_version=slot.meeting_version, booked_count=0)
        .update(
            **fields,
            meeting_state=MeetingState.ISSUED,
            meeting_error="",
            wait_reason="",
            not_before=None,
            **_RELEASE,
        )
    )
    return done == 1


def _clear_meeting(slot_id: int, token: uuid.UUID, **extra: Any) -> None:
    _mine(slot_id, token).update(**no_meeting_fields(), meeting_synced_at=timezone.now(), **extra)


# --- one call to the service ------------------------------------------------------------------------------


class Call:
    """The provider, its connection and its rate-limit account for one step."""

    def __init__(self, slot: Slot, step: Step) -> None:
        self.provider = provider_of(step.provider)
        self.connection = self.provider.connection(slot.company)
        self.account = self.provider.account_key(self.connection, slot.company_id)
        self.daily_limit = self.provider.limits().daily_host_limit

    def pace(self, operation: str) -> None:
        pacing.pace(account=self.account, operation=operation, provider=self.provider.key)


def _check_host(call: Call, slot: Slot, host_id: str) -> None:
    problem = call.provider.host_problem(slot.company_id, host_id)
    if problem:
        raise IssueRefused(problem)


def _do_lookup(slot: Slot, token: uuid.UUID, call: Call, step: Step) -> None:
    provider, connection = call.provider, call.connection
    call.pace("list_user_meetings")
    try:
        meetings = provider.list_host_meetings(connection, host_id=step.host_id, marker=slot.marker)
    except NotFound:
        meetings = []  # the host is gone, and with it any meeting we might have made on it
    found = [m for m in meetings if slot.marker in (m.agenda or "")]
    if not found:
        # Agenda missing from the list items: check the meetings that could be ours one by one.
        for item in meetings:
            if item.agenda is None and item.topic == meeting_topic(slot):
                call.pace("get_meeting")
                full = provider.get_meeting(connection, host_id=step.host_id, meeting_id=item.id)
                if slot.marker in (full.agenda or ""):
                    found.append(full)
    if not found:
        _mine(slot.pk, token).update(create_in_doubt=False)
        return
    call.pace("get_meeting")
    meeting = provider.get_meeting(connection, host_id=step.host_id, meeting_id=found[0].id)
    _store_meeting(slot, token, meeting, step)
    record_audit(
        action="meeting.issued",
        company=slot.company,
        target=slot,
        details={"meeting_id": meeting.id, "adopted": True},
    )
    for duplicate in found[1:]:  # never two meetings for one slot
        call.pace("delete_meeting")
        with contextlib.suppress(NotFound):
            provider.delete_meeting(connection, host_id=step.host_id, meeting_id=duplicate.id)
        record_audit(
            action="meeting.deleted",
            company=slot.company,
            target=slot,
            details={"meeting_id": duplicate.id, "duplicate": True},
        )


def _take_budget(call: Call, slot: Slot, host_id: str) -> None:
    if call.daily_limit is None:
        return
    if not limits.consume_host_budget(
        company_id=slot.company_id, host_id=host_id, provider=call.provider.key, limit=call.daily_limit
    ):
        raise DailyLimitReached(host_id)


def _exhaust_budget(call: Call, slot: Slot, host_id: str) -> None:
    limits.exhaust_host_budget(
        company_id=slot.company_id, host_id=host_id, provider=call.provider.key, limit=call.daily_limit
    )


def _refund_budget(call: Call, slot: Slot, host_id: str) -> None:
    if call.daily_limit is not None:
        limits.refund_host_budget(company_id=slot.company_id, host_id=host_id, provider=call.provider.key)


def _do_create(slot: Slot, token: uuid.UUID, call: Call, step: Step) -> Outcome | None:
    service = call.provider.display_name
    if slot.ends_at <= timezone.now():
        raise IssueRefused(
            _("日程の終了時刻を過ぎたため、%(service)sミーティングを発行しませんでした。")
            % {"service": service}
        )
    _check_host(call, slot, step.host_id)
    call.pace("create_meeting")
    _take_budget(call, slot, step.host_id)
    _mine(slot.pk, token).update(
        create_in_doubt=True, meeting_host_id=step.host_id, meeting_provider=call.provider.key
    )
    try:
        meeting = call.provider.create_meeting(call.connection, host_id=step.host_id, spec=step.wanted())
    except DailyLimitExceeded:
        _mine(slot.pk, token).update(create_in_doubt=False)
        _exhaust_budget(call, slot, step.host_id)
        raise DailyLimitReached(step.host_id) from None
    except TemporaryError as exc:
        if exc.status == 429:  # refused before anything was made
            _mine(slot.pk, token).update(create_in_doubt=False)
            _refund_budget(call, slot, step.host_id)
        raise  # 5xx, timeout: the meeting may exist; the next attempt looks first
    except NotFound as exc:
        _mine(slot.pk, token).update(create_in_doubt=False)
        raise IssueRefused(
            _("ホストのユーザーが%(service)sのアカウントに見つかりません（%(reason)s）。")
            % {"service": service, "reason": exc.message}
        ) from exc
    except (PermanentError, ReauthorizationRequired):
        # Refused (4xx): nothing was made, so the next attempt need not look for it first.
        _mine(slot.pk, token).update(create_in_doubt=False)
        raise
    reissued = slot.meeting_synced_at is not None
    change = SlotChange.REISSUED if reissued else SlotChange.ISSUED
    change_details = {"previous_join_url_known": str(reissued)}
    fields = _meeting_fields(slot, meeting, step)
    issued = audit_entry(
        action="meeting.issued", company=slot.company, target=slot, details={"meeting_id": meeting.id}
    )
    # The slot as it is once the meeting is stored (same event object: the registry's answers, e.g. the
    # interview policy, are not asked again). When that needs no further call, one UPDATE stores the
    # meeting and finishes the slot.
    stored = copy.copy(slot)
    for name, value in fields.items():
        setattr(stored, name, value)
    if plan(stored) is None and _store_and_finish(slot, token, fields):
        signals.announce_slot_change(
            stored, change=change, details=change_details, audit_with=[issued], nobody_booked=True
        )
        return Outcome("done")
    _mine(slot.pk, token).update(**fields)
    # Read back as _load reads it: the next round of _run starts from this row instead of reading it again.
    fresh = _load(slot.pk)
    step.reloaded = fresh
    signals.announce_slot_change(fresh or stored, change=change, details=change_details, audit_with=[issued])
    return None


def _do_update(slot: Slot, token: uuid.UUID, call: Call, step: Step) -> Outcome | None:
    call.pace("update_meeting")
    _take_budget(call, slot, step.host_id)
    try:
        call.provider.update_meeting(
            call.connection, host_id=step.host_id, meeting_id=step.existing_meeting_id(), spec=step.wanted()
        )
    except NotFound:
        return _meeting_gone(slot, token)
    except DailyLimitExceeded:
        _exhaust_budget(call, slot, step.host_id)
        raise DailyLimitReached(step.host_id) from None
    except TemporaryError as exc:
        if exc.status == 429:
            _refund_budget(call, slot, step.host_id)
        raise
    _mine(slot.pk, token).update(
        meeting_start=slot.starts_at,
        meeting_duration=slot.duration_minutes,
        meeting_end=slot.starts_at + timedelta(minutes=slot.duration_minutes),
        meeting_synced_at=timezone.now(),
    )
    record_audit(
        action="meeting.updated",
        company=slot.company,
        target=slot,
        details={"meeting_id": step.meeting_id, "start_time": utc_z(step.wanted().start)},
    )
    return None


def _meeting_gone(slot: Slot, token: uuid.UUID) -> Outcome:
    """The meeting was deleted at the service behind our back: show it; staff re-issue with one click."""
    reason = _(
        "%(service)s上でミーティングが見つかりませんでした（削除された可能性があります）。再発行してください。"
    ) % {"service": slot.service_display}
    _clear_meeting(
        slot.pk,
        token,
        meeting_state=MeetingState.DELETED,
        meeting_error=reason,
        meeting_version=F("meeting_version") + 1,
        wait_reason="",
        not_before=None,
        **_RELEASE,
    )
    record_audit(
        action="meeting.failed",
        company=slot.company,
        target=slot,
        details={"meeting_id": slot.meeting_id, "reason": "not_found"},
    )
    return Outcome("failed")


def _do_delete(slot: Slot, token: uuid.UUID, call: Call, step: Step) -> None:
    call.pace("delete_meeting")
    with contextlib.suppress(NotFound):  # already gone: that is what we wanted
        call.provider.delete_meeting(
            call.connection, host_id=step.host_id, meeting_id=step.existing_meeting_id()
        )
    _clear_meeting(slot.pk, token, meeting_host_id="", meeting_provider="")
    record_audit(
        action="meeting.deleted", company=slot.company, target=slot, details={"meeting_id": step.meeting_id}
    )


def _perform(slot: Slot, token: uuid.UUID, call: Call, step: Step) -> Outcome | None:
    if step.kind == "lookup":
        _do_lookup(slot, token, call, step)
    elif step.kind == "create":
        return _do_create(slot, token, call, step)
    elif step.kind == "update":
        return _do_update(slot, token, call, step)
    else:
        _do_delete(slot, token, call, step)
    return None


# --- the task's entry point ----------------------------------------------------------------------------


def backoff_seconds(attempt: int, retry_after: datetime | None = None) -> float:
    """Exponential backoff with full jitter, at least until the service's Retry-After."""
    cap = getattr(settings, "SCHEDULING_RETRY_MAX_SECONDS", 300)
    base = getattr(settings, "SCHEDULING_RETRY_BASE_SECONDS", 2.0)
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not security
    if retry_after is not None:
        delay = max(delay, (retry_after - timezone.now()).total_seconds() + random.uniform(0, 0.5))  # noqa: S311
    return max(0.1, delay)


def _run(slot_id: int, token: uuid.UUID) -> Outcome:
    reloaded: Slot | None = None
    for _step in range(MAX_STEPS):
        slot = reloaded or _load(slot_id)
        reloaded = None
        if slot is None or slot.claim_token != token:
            return Outcome("busy")
        if slot.meeting_state != MeetingState.PENDING:
            _release(slot_id, token)
            return Outcome("done")
        step = plan(slot)
        if step is None:
            if _finish(slot, token):
                return Outcome("done")
            continue
        try:
            outcome = _handle_errors(slot, token, step)
        except _Again:
            reloaded = step.reloaded
            continue
        if outcome is not None:
            return outcome
    _release(slot_id, token)
    return Outcome("retry", retry_in=1.0)


class _Again(Exception):
    pass


def _handle_errors(slot: Slot, token: uuid.UUID, step: Step) -> Outcome | None:
    try:
        result = _perform(slot, token, Call(slot, step), step)
    except (NotLinked, ReauthorizationRequired) as exc:
        # Resumed by resume_issuance after relinking; the sweeper looks again now and then.
        recheck = timezone.now() + timedelta(
            seconds=getattr(settings, "SCHEDULING_LINK_RECHECK_SECONDS", 600)
        )
        _release(slot.pk, token, wait_reason=WaitReason.LINK, meeting_error=exc.message, not_before=recheck)
        return Outcome("waiting")
    except DailyLimitReached:
        _release(
            slot.pk,
            token,
            wait_reason=WaitReason.DAILY_LIMIT,
            meeting_error="",
            not_before=limits.next_utc_midnight(),
        )
        return Outcome("waiting")
    except pacing.PacingBusy as exc:
        later = timezone.now() + timedelta(seconds=exc.retry_in)
        _release(slot.pk, token, wait_reason=WaitReason.RATE, not_before=later)
        return Outcome("retry", retry_in=exc.retry_in)
    except IssueRefused as exc:
        return _fail(slot, token, str(exc))
    except TemporaryError as exc:
        return _temporary(slot, token, exc)
    except PermanentError as exc:
        return _fail(
            slot,
            token,
            _("%(service)sがリクエストを受け付けませんでした: %(reason)s")
            % {"service": provider_of(step.provider).display_name, "reason": exc.message},
        )
    except Exception as exc:
        logger.exception("slot %s: unexpected error while syncing its meeting", slot.pk)
        return _temporary(slot, token, exc)
    if result is not None:
        return result
    raise _Again


def _temporary(slot: Slot, token: uuid.UUID, exc: Exception) -> Outcome:
    attempt = slot.attempts + 1
    message = getattr(exc, "message", "") or exc.__class__.__name__
    if attempt >= max_temporary_attempts():
        return _fail(
            slot,
            token,
            _("%(service)sとの通信が繰り返し失敗しました: %(reason)s")
            % {"service": slot.service_display, "reason": message},
        )
    delay = backoff_seconds(attempt, getattr(exc, "retry_after", None))
    _release(
        slot.pk,
        token,
        attempts=attempt,
        wait_reason=WaitReason.TEMPORARY,
        meeting_error=message[:500],
        not_before=timezone.now() + timedelta(seconds=delay),
    )
    logger.info("slot %s: temporary service error (%s), retry %s in %.1fs", slot.pk, message, attempt, delay)
    return Outcome("retry", retry_in=delay)


def sync_slot_meeting(*, slot_id: int) -> Outcome:
    """Bring the slot's web meeting in line with the slot. Safe to run twice, and concurrently."""
    token = claim(slot_id)
    if token is None:
        return Outcome("busy")
    try:
        return _run(slot_id, token)
    except BaseException:
        # Soft time limit, shutdown: give the slot back (a create in flight stays "in doubt").
        _release(slot_id, token, not_before=timezone.now() + timedelta(seconds=5))
        raise


# --- ホストとして開始 ------------------------------------------------------------------------------------


def host_start_url(slot: Slot) -> str:
    """The host's link to start the slot's meeting, asked of its service now (never stored): paced like
    every call, and raising the service's errors (or PacingBusy when the account is busy for seconds)."""
    provider = provider_of(slot.meeting_provider)
    connection = provider.connection(slot.company)
    account = provider.account_key(connection, slot.company_id)
    wait = pacing.reserve(account=account, operation="get_meeting", provider=provider.key, max_wait=3)
    time.sleep(wait)
    return provider.host_start_url(connection, host_id=slot.meeting_host_id, meeting_id=str(slot.meeting_id))


# --- the sweeper -----------------------------------------------------------------------------------------


def slots_to_sweep(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Pending slots whose task was lost, or whose wait (not_before) is over, oldest start first."""
    now = now or timezone.now()
    limit = limit or getattr(settings, "SCHEDULING_SWEEP_LIMIT", 500)
    stale = now - timedelta(seconds=getattr(settings, "SCHEDULING_SWEEP_STALE_SECONDS", 300))
    return list(
        Slot.all_objects.filter(meeting_state=MeetingState.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(
            Q(enqueued_at__isnull=True)
            | Q(enqueued_at__lt=stale)
            | Q(not_before__isnull=False, not_before__gt=F("enqueued_at"))
        )
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
