"""Interviews: who interviews which slot (面接官 per event and per slot).

An event's interviewers interview every slot of it, unless the slot names its own (then only those). Any
active user of the company can be chosen, whatever their role. The writes below are keyword-only services
that own their transaction and write the audit log; when an event's Zoom meetings follow the slot's
interviewer (InterviewPolicy), a change of interviewers moves the future meetings to the new host.

The apps below learn about the assignments through the registries ``connect()`` fills: booking lets
assigned interviewers read their slots' bookings and mails them 面接官への通知 with the booking's invite;
scheduling asks who should host a slot's Zoom meeting and shows the 面接官 section of the slot page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, Role, User
from booking.registry import SlotNoticeRecipient
from interviews import evaluation_backlog
from interviews.models import EventInterviewer, InterviewPolicy, SlotInterviewer
from interviews.selectors import interviewers_of_slot, interviewers_of_slots, slots_interviewed_by
from scheduling import services as scheduling_services
from scheduling.models import Event, Slot
from web_meetings.providers import Host, provider_for

MAX_OVERLAPS_PER_USER = 20


class AssignmentError(ValidationError):
    """A refused assignment, with a message for the user."""


@dataclass
class AssignmentChange:
    """What a service changed: the users added and removed, and the slots whose Zoom meeting moves host."""

    added: list[User] = field(default_factory=list)
    removed: list[User] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


# --- reads -----------------------------------------------------------------------------------------------


def candidates(company: Company) -> QuerySet[User]:
    """The users who can be chosen as 面接官: the company's active users, 面接官 first, then by name."""
    first = Case(When(role=Role.INTERVIEWER, then=Value(0)), default=Value(1), output_field=IntegerField())
    return User.objects.filter(company=company, is_active=True).order_by(first, "name", "email")


def event_interviewers(event: Event) -> list[User]:
    rows = EventInterviewer.objects.filter(event=event).select_related("user").order_by("user__name", "pk")
    return [row.user for row in rows]


def own_interviewers(slot: Slot) -> list[User]:
    """The slot's own interviewers (empty: the slot uses its event's)."""
    rows = SlotInterviewer.objects.filter(slot=slot).select_related("user").order_by("user__name", "pk")
    return [row.user for row in rows]


def event_slots_using_event_interviewers(event: Event, *, future_only: bool = True) -> list[Slot]:
    """The event's slots without interviewers of their own (those the event's interviewers interview)."""
    slots = Slot.objects.filter(event=event).exclude(interviewer_assignments__isnull=False)
    if future_only:
        slots = slots.filter(ends_at__gt=timezone.now())
    return list(slots.select_related("company", "event__selection_meeting").order_by("starts_at", "pk"))


@dataclass(frozen=True)
class SlotRow:
    """A slot on the event's 面接官 page: its interviewers, and whether they are its own."""

    slot: Slot
    own: bool
    interviewers: list[User]


def event_slot_rows(event: Event, *, limit: int = 200) -> list[SlotRow]:
    """The event's slots not over yet, with their interviewers (four queries)."""
    slots = list(
        Slot.objects.filter(event=event, ends_at__gte=timezone.now())
        .select_related("company", "event__selection_meeting")
        .order_by("starts_at", "pk")[:limit]
    )
    own = set(SlotInterviewer.objects.filter(slot__in=slots).values_list("slot_id", flat=True))
    interviewers = interviewers_of_slots(slots)
    return [SlotRow(slot, slot.pk in own, interviewers[slot.pk]) for slot in slots]


def has_own_interviewers(slot: Slot) -> bool:
    return SlotInterviewer.objects.filter(slot=slot).exists()


def policy_of(event: Event) -> InterviewPolicy | None:
    """The event's InterviewPolicy, or None (cached on the event, so a loop over its slots asks once)."""
    try:
        # The reverse one-to-one of InterviewPolicy.event (django-stubs does not see it on Event).
        return cast(Any, event).interview_policy
    except ObjectDoesNotExist:
        return None


def follows_interviewer(event: Event) -> bool:
    policy = policy_of(event)
    return bool(event.has_web_meeting and policy is not None and policy.zoom_host_follows_interviewer)


@dataclass(frozen=True)
class Overlap:
    """``user`` would interview ``slot`` while already interviewing ``other`` at the same time."""

    user: User
    slot: Slot
    other: Slot


def overlaps(users: Iterable[User], slots: list[Slot]) -> list[Overlap]:
    """For each user, the future slots they already interview that overlap one of ``slots`` (one query per
    user; slots already over are not compared)."""
    now = timezone.now()
    slots = [slot for slot in slots if slot.ends_at > now]
    if not slots:
        return []
    ids = {slot.pk for slot in slots}
    first, last = min(slot.starts_at for slot in slots), max(slot.ends_at for slot in slots)
    found: list[Overlap] = []
    for user in users:
        others = list(
            slots_interviewed_by(user)
            .filter(starts_at__lt=last, ends_at__gt=max(first, now))
            .exclude(pk__in=ids)
            .select_related("company", "event__selection_meeting")
            .order_by("starts_at", "pk")[:200]
        )
        clashes = [
            Overlap(user, slot, other)
            for slot in slots
            for other in others
            if other.starts_at < slot.ends_at and other.ends_at > slot.starts_at
        ]
        found.extend(clashes[:MAX_OVERLAPS_PER_USER])
    return found


# --- writes ----------------------------------------------------------------------------------------------


def _check_users(company: Company, users: Iterable[User]) -> list[User]:
    chosen = list({user.pk: user for user in users}.values())
    if any(user.company_id != company.pk or not user.is_active for user in chosen):
        raise AssignmentError(_("選択できない面接官が含まれています。"), code="foreign_user")
    return chosen


def _audit_change(
    change: AssignmentChange, *, target: Event | Slot, scope: str, actor: User, request: HttpRequest | None
) -> None:
    for action, users in (("interview.assigned", change.added), ("interview.unassigned", change.removed)):
        for user in users:
            record_audit(
                action=action,
                actor=actor,
                company=target.company,
                target=target,
                details={"user_id": user.pk, "user": user.display_name, "scope": scope},
                request=request,
            )


def _replan(event: Event, slot_ids: list[int]) -> list[int]:
    """Zoom meetings that follow their interviewer move to the new host (future slots only)."""
    if not follows_interviewer(event) or not slot_ids:
        return []
    return scheduling_services.replan_meeting_hosts(slot_ids=slot_ids)


def set_event_interviewers(
    *, event: Event, users: Iterable[User], actor: User, request: HttpRequest | None = None
) -> AssignmentChange:
    """イベントの面接官: make ``users`` the interviewers of every slot of the event without its own."""
    with transaction.atomic():
        event = Event.objects.select_for_update(of=("self",)).select_related("company").get(pk=event.pk)
        chosen = _check_users(event.company, users)
        current = {
            row.user_id: row for row in EventInterviewer.objects.filter(event=event).select_related("user")
        }
        wanted = {user.pk: user for user in chosen}
        change = AssignmentChange(
            added=[user for pk, user in wanted.items() if pk not in current],
            removed=[row.user for pk, row in current.items() if pk not in wanted],
        )
        EventInterviewer.objects.filter(event=event, user__in=change.removed).delete()
        EventInterviewer.objects.bulk_create(
            [EventInterviewer(company=event.company, event=event, user=user) for user in change.added]
        )
        _audit_change(change, target=event, scope="event", actor=actor, request=request)
        if change.changed:
            evaluation_backlog.invalidate(event.company_id)
            slot_ids = [slot.pk for slot in event_slots_using_event_interviewers(event)]
            change.queued = _replan(event, slot_ids)
    return change


def _locked_slot(slot: Slot) -> Slot:
    return (
        Slot.objects.select_for_update(of=("self",))
        .select_related("company", "event__selection_meeting")
        .get(pk=slot.pk)
    )


def set_slot_interviewers(
    *, slot: Slot, users: Iterable[User], actor: User, request: HttpRequest | None = None
) -> AssignmentChange:
    """日程の面接官: ``users`` interview this slot instead of its event's interviewers (none: the event's)."""
    with transaction.atomic():
        slot = _locked_slot(slot)
        chosen = _check_users(slot.company, users)
        current = {
            row.user_id: row for row in SlotInterviewer.objects.filter(slot=slot).select_related("user")
        }
        wanted = {user.pk: user for user in chosen}
        change = AssignmentChange(
            added=[user for pk, user in wanted.items() if pk not in current],
            removed=[row.user for pk, row in current.items() if pk not in wanted],
        )
        SlotInterviewer.objects.filter(slot=slot, user__in=change.removed).delete()
        SlotInterviewer.objects.bulk_create(
            [SlotInterviewer(company=slot.company, slot=slot, user=user) for user in change.added]
        )
        _audit_change(change, target=slot, scope="slot", actor=actor, request=request)
        if change.changed:
            evaluation_backlog.invalidate(slot.company_id)
            change.queued = _replan(slot.event, [slot.pk])
    return change


def reset_slot_interviewers(
    *, slot: Slot, actor: User, request: HttpRequest | None = None
) -> AssignmentChange:
    """イベントの面接官に戻す: the slot drops its own interviewers and uses its event's again."""
    with transaction.atomic():
        slot = _locked_slot(slot)
        rows = list(SlotInterviewer.objects.filter(slot=slot).select_related("user"))
        change = AssignmentChange(removed=[row.user for row in rows])
        SlotInterviewer.objects.filter(slot=slot).delete()
        if rows:
            evaluation_backlog.invalidate(slot.company_id)
            record_audit(
                action="interview.slot_reset",
                actor=actor,
                company=slot.company,
                target=slot,
                details={"removed": [row.user.display_name for row in rows]},
                request=request,
            )
            change.queued = _replan(slot.event, [slot.pk])
    return change


def set_zoom_host_policy(
    *, event: Event, follows_interviewer: bool, actor: User, request: HttpRequest | None = None
) -> list[int]:
    """Whether the event's Zoom meetings are hosted by the slot's interviewer (their Zoom user, matched by
    email) or by the event's host. The future meetings move to their new host; returns the slots queued."""
    with transaction.atomic():
        event = Event.objects.select_for_update(of=("self",)).select_related("company").get(pk=event.pk)
        policy, _created = InterviewPolicy.objects.get_or_create(event=event)
        if policy.zoom_host_follows_interviewer == follows_interviewer:
            return []
        policy.zoom_host_follows_interviewer = follows_interviewer
        policy.save(update_fields=["zoom_host_follows_interviewer"])
        cast(Any, event).interview_policy = policy
        record_audit(
            action="interview.zoom_host_policy_changed",
            actor=actor,
            company=event.company,
            target=event,
            details={"zoom_host_follows_interviewer": follows_interviewer},
            request=request,
        )
        if not event.has_web_meeting:
            return []
        slot_ids = list(
            Slot.objects.filter(event=event, starts_at__gt=timezone.now()).values_list("pk", flat=True)
        )
        return scheduling_services.replan_meeting_hosts(slot_ids=slot_ids)


# --- answers to the apps below ---------------------------------------------------------------------------


def interviewer_meeting_host(slot: Slot) -> str | None:
    """scheduling.registry.slot_meeting_hosts: when the event says so, the user of the event's web-meeting
    service (able to host, in the company's linked account) whose email is that of the slot's first
    interviewer who has one."""
    if not follows_interviewer(slot.event):
        return None
    users = interviewers_of_slots([slot]).get(slot.pk, [])
    emails = [user.email.lower() for user in users if user.is_active and user.email]
    if not emails:
        return None
    hosts = {host.email.lower(): host.id for host in reversed(event_hosts(slot.event)) if host.usable}
    return next((hosts[email] for email in emails if email in hosts), None)


def event_hosts(event: Event) -> list[Host]:
    try:
        return provider_for(event.web_meeting).hosts(event.company)
    except KeyError:
        return []


def meeting_host_of(slot: Slot) -> Host | None:
    """The service user the slot's meeting is on when it is not the event's host (the slot's interviewer)."""
    host_id = slot.meeting_host_id
    if not slot.event.has_web_meeting or not host_id or host_id == slot.event.meeting_host_id:
        return None
    return next((host for host in event_hosts(slot.event) if host.id == host_id), None)


def interviewer_page_url(user: User, slot: Slot) -> str:
    """Where an interviewer reads the slot: the slot page for staff, their マイ面接 for a 面接官."""
    if user.is_recruiter_or_admin:
        return f"{settings.SITE_URL}{reverse('scheduling:slot_detail', args=[slot.pk])}"
    return f"{settings.SITE_URL}{reverse('interviews:my_interviews')}#slot-{slot.pk}"


def notice_recipients(slot: Slot) -> list[SlotNoticeRecipient]:
    """booking.registry.slot_notice_recipients: the slot's interviewers (its own, else its event's)."""
    users = interviewers_of_slot(slot)
    return [SlotNoticeRecipient(user=user, page_url=interviewer_page_url(user, slot)) for user in users]


def reads_slot(user: User, slot: Slot) -> bool:
    """scheduling.registry.slot_readers: a 面接官 assigned to the slot may open its page."""
    return any(person.pk == user.pk for person in interviewers_of_slot(slot))


def connect() -> None:
    """Assigned interviewers read the active bookings of their slots (booking's interviewer rule), get its
    面接官への通知, may host its web meetings, and show on the slot page."""
    from django.utils.translation import gettext_lazy

    from accounts import audit
    from booking.registry import interviewer_slots, slot_notice_recipients
    from interviews import assignment_views, selectors
    from scheduling.registry import slot_meeting_hosts, slot_panels, slot_readers

    interviewer_slots.register(selectors.assigned_slots_q)
    slot_readers.register(reads_slot)
    slot_notice_recipients.register(notice_recipients)
    slot_meeting_hosts.register(interviewer_meeting_host)
    slot_panels.register(assignment_views.slot_interviewers_panel)
    audit.register_actions(
        {
            "interview.assigned": gettext_lazy("面接官を割り当て"),
            "interview.unassigned": gettext_lazy("面接官の割り当てを解除"),
            "interview.slot_reset": gettext_lazy("日程の面接官をイベントの設定に戻す"),
            "interview.zoom_host_policy_changed": gettext_lazy("Zoomのホストの設定を変更"),
            "interview.feed_issued": gettext_lazy("カレンダー配信URLを発行"),
            "interview.feed_stopped": gettext_lazy("カレンダー配信を停止"),
            "interview.feed_settings_changed": gettext_lazy("カレンダー配信の設定を変更"),
        }
    )
