"""Reads for scheduling pages, each a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, User
from scheduling.models import Event, MeetingState, SelectionMeeting, Slot, SlotBatch, WaitReason
from web_meetings.providers import Host, registered_providers


def selection_meetings(company: Company) -> QuerySet[SelectionMeeting]:
    return SelectionMeeting.objects.filter(company=company).annotate(
        event_count=Count("events", distinct=True),
        upcoming_slot_count=Count(
            "events__slots",
            filter=Q(events__slots__deleted_at__isnull=True, events__slots__starts_at__gte=timezone.now()),
            distinct=True,
        ),
    )


def service_hosts(company: Company) -> dict[str, list[Host]]:
    """The host candidates of each web-meeting service, by the service's key (one query per service)."""
    return {provider.key: provider.hosts(company) for provider in registered_providers()}


def linked_services(company: Company) -> set[str]:
    """The keys of the services the company may issue meetings with now (連携中)."""
    return {provider.key for provider in registered_providers() if provider.is_linked(company)}


def host_ids_of(user: User) -> set[str]:
    """The user's ids at every web-meeting service (matched by email), e.g. to tell whether they host."""
    if user.company is None or not user.email:
        return set()
    email = user.email.lower()
    return {
        host.id
        for hosts in service_hosts(user.company).values()
        for host in hosts
        if host.email.lower() == email
    }


def host_problem(event: Event, hosts_by_service: dict[str, list[Host]]) -> str:
    """Why the event's web-meeting host cannot host right now, or "" when it can (or the event has no
    web meeting)."""
    if not event.has_web_meeting:
        return ""
    service = event.get_web_meeting_display()
    host = next(
        (h for h in hosts_by_service.get(event.web_meeting, []) if h.id == event.meeting_host_id), None
    )
    if host is None:
        return _(
            "ホストの%(service)sユーザー（%(host)s）が見つかりません。"
            "%(service)s連携の再連携・ユーザー同期後に確認してください。"
        ) % {"service": service, "host": event.meeting_host_label}
    if not host.usable:
        if host.problem:
            return host.problem
        return _(
            "ホストの%(service)sユーザー（%(host)s）は%(service)sアカウントから削除されています、"
            "または無効です。ホストを選び直してください。"
        ) % {"service": service, "host": event.meeting_host_label}
    return ""


def out_of_sync_q() -> Q:
    """Issued meetings whose time at the service differs from the slot's (moved there behind our back)."""
    return Q(meeting_state=MeetingState.ISSUED, meeting_start__isnull=False) & (
        ~Q(meeting_start=F("starts_at")) | ~Q(meeting_end=F("ends_at"))
    )


def problem_q() -> Q:
    return Q(meeting_state__in=[MeetingState.FAILED, MeetingState.DELETED]) | out_of_sync_q()


# The first and last days whose bounds exist in every time zone (a day has a next day and a UTC time).
FIRST_DAY, LAST_DAY = date.min + timedelta(days=1), date.max - timedelta(days=1)


def day_bounds(day, tz) -> tuple[datetime, datetime]:
    """The start of ``day`` and of the next day in ``tz``; days of the years 1 and 9999 (a filter typed
    as 9999-12-31) are taken as the nearest day that has both, which no slot is near anyway."""
    day = min(max(day, FIRST_DAY), LAST_DAY)
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)


def slot_list(
    company: Company,
    *,
    date_from=None,
    date_to=None,
    state: str = "",
    include_past: bool = False,
    event: Event | None = None,
) -> QuerySet[Slot]:
    """日程一覧 with filters by date and issuance status."""
    tz = company.tzinfo
    slots = Slot.objects.filter(company=company).select_related("company", "event__selection_meeting")
    if event is not None:
        slots = slots.filter(event=event)
    if date_from:
        slots = slots.filter(starts_at__gte=day_bounds(date_from, tz)[0])
    elif not include_past:
        slots = slots.filter(ends_at__gte=timezone.now())
    if date_to:
        slots = slots.filter(starts_at__lt=day_bounds(date_to, tz)[1])
    if state == "problem":
        slots = slots.filter(problem_q())
    elif state:
        slots = slots.filter(meeting_state=state)
    return slots.order_by("starts_at", "pk")


def todays_slots(company: Company) -> list[Slot]:
    start, end = day_bounds(timezone.localtime(timezone.now(), company.tzinfo).date(), company.tzinfo)
    return list(
        Slot.objects.filter(company=company, starts_at__gte=start, starts_at__lt=end)
        .select_related("company", "event__selection_meeting")
        .order_by("starts_at", "pk")
    )


def issuance_problems(company: Company, *, limit: int = 50) -> tuple[list[Slot], int]:
    """Failed, deleted in Zoom, moved in Zoom, and slots waiting (link, daily limit, errors, stuck)."""
    stuck = timezone.now() - timedelta(minutes=10)
    waiting = Q(meeting_state=MeetingState.PENDING) & (
        Q(wait_reason__in=[WaitReason.LINK, WaitReason.DAILY_LIMIT, WaitReason.TEMPORARY])
        | Q(updated_at__lt=stuck, claimed_until__isnull=True)
    )
    slots = (
        Slot.objects.filter(company=company, ends_at__gte=timezone.now() - timedelta(days=1))
        .filter(problem_q() | waiting)
        .select_related("company", "event__selection_meeting")
        .order_by("starts_at", "pk")
    )
    rows = list(slots[: limit + 1])
    return rows[:limit], len(rows)


def interviewer_upcoming_slots(user: User, *, limit: int = 50) -> list[Slot]:
    """The 面接官's own upcoming slots: events whose web-meeting host has the user's email."""
    if user.company_id is None:
        return []
    return list(
        Slot.objects.filter(
            company_id=user.company_id,
            event__meeting_host_email__iexact=user.email,
            ends_at__gte=timezone.now(),
        )
        .exclude(event__web_meeting="none")
        .select_related("company", "event__selection_meeting")
        .order_by("starts_at", "pk")[:limit]
    )


def host_overlaps(slot: Slot) -> list[Slot]:
    """Other live slots of the same web-meeting host that overlap this one (a Zoom user hosts one meeting
    at a time)."""
    event = slot.event
    if not event.has_web_meeting or not event.meeting_host_id:
        return []
    return list(
        Slot.objects.filter(
            company_id=slot.company_id,
            event__web_meeting=event.web_meeting,
            event__meeting_host_id=event.meeting_host_id,
            starts_at__lt=slot.ends_at,
            ends_at__gt=slot.starts_at,
        )
        .exclude(pk=slot.pk)
        .select_related("company", "event__selection_meeting")
        .order_by("starts_at")[:20]
    )


def host_overlaps_for_specs(event: Event, specs: list) -> set[datetime]:
    """Start times among ``specs`` that overlap an existing slot of the event's web-meeting host (one
    query)."""
    if not event.has_web_meeting or not event.meeting_host_id or not specs:
        return set()
    first, last = min(s.starts_at for s in specs), max(s.ends_at for s in specs)
    existing = list(
        Slot.objects.filter(
            company_id=event.company_id,
            event__web_meeting=event.web_meeting,
            event__meeting_host_id=event.meeting_host_id,
            starts_at__lt=last,
            ends_at__gt=first,
        ).values_list("starts_at", "ends_at")
    )
    clashes = set()
    for spec in specs:
        if any(start < spec.ends_at and end > spec.starts_at for start, end in existing):
            clashes.add(spec.starts_at)
    return clashes


def hosted_events_q(user: User, prefix: str = "") -> Q:
    """Events whose web-meeting host is the user (the 面接官 is matched by the host email stored on the
    event)."""
    return Q(**{f"{prefix}meeting_host_email__iexact": user.email}) & ~Q(**{f"{prefix}web_meeting": "none"})


SCHEDULE_SLOTS_PER_PAGE = 100
# 日程設定 without an event filter shows each event's first slots in its section; the rest are one click
# away (the event's own paged list).
SCHEDULE_PREVIEW_SLOTS = 20


def schedule_slots(
    meeting: SelectionMeeting, *, include_past: bool = False, event: Event | None = None
) -> QuerySet[Slot]:
    """The slots of a 選考会 for 日程設定, in time order (paged by the view: one query for the count, one
    for the page, whatever the number of slots)."""
    slots = Slot.objects.filter(company_id=meeting.company_id, event__selection_meeting=meeting)
    if event is not None:
        slots = slots.filter(event=event)
    if not include_past:
        slots = slots.filter(ends_at__gte=timezone.now())
    return slots.select_related("company", "event").order_by("starts_at", "pk")


def schedule_previews(meeting: SelectionMeeting, *, include_past: bool = False) -> dict[int, list[Slot]]:
    """Each event's first SCHEDULE_PREVIEW_SLOTS slots, by event id: one query (a row number per event)."""
    numbered = schedule_slots(meeting, include_past=include_past).annotate(
        position=Window(
            RowNumber(), partition_by=[F("event_id")], order_by=[F("starts_at").asc(), F("pk").asc()]
        )
    )
    previews: dict[int, list[Slot]] = {}
    for slot in numbered.filter(position__lte=SCHEDULE_PREVIEW_SLOTS):
        previews.setdefault(slot.event_id, []).append(slot)
    return previews


def schedule_slot_counts(meeting: SelectionMeeting, *, include_past: bool = False) -> dict[int, int]:
    """How many slots each event of the 選考会 has on 日程設定, by event id: one query."""
    slots = schedule_slots(meeting, include_past=include_past).order_by()
    rows = slots.values("event_id").annotate(n=Count("pk"))
    return {row["event_id"]: row["n"] for row in rows}


def schedule_event_list(meeting: SelectionMeeting) -> list[Event]:
    """The events of a 選考会 (without their slots: those are paged)."""
    return list(
        Event.objects.filter(selection_meeting=meeting).select_related("selection_meeting", "company")
    )


def group_by_day(slots, tz) -> list[tuple[date, list[Slot]]]:
    """(local day, slots) in order, for a page of slots."""
    groups: list[tuple[date, list[Slot]]] = []
    for slot in slots:
        day = timezone.localtime(slot.starts_at, tz).date()
        if not groups or groups[-1][0] != day:
            groups.append((day, []))
        groups[-1][1].append(slot)
    return groups


def issuance_progress(company: Company, *, meeting: SelectionMeeting | None = None) -> dict[str, int]:
    """Zoom issuance of the upcoming slots that want a meeting: ``issued`` of ``total`` (発行済み), with
    ``pending`` and ``failed`` (failed or deleted in Zoom). One aggregate query."""
    slots = Slot.objects.filter(company=company, meeting_wanted=True, ends_at__gte=timezone.now())
    if meeting is not None:
        slots = slots.filter(event__selection_meeting=meeting)
    counts = slots.aggregate(
        total=Count("pk"),
        issued=Count("pk", filter=Q(meeting_state=MeetingState.ISSUED)),
        pending=Count("pk", filter=Q(meeting_state=MeetingState.PENDING)),
        failed=Count("pk", filter=Q(meeting_state__in=[MeetingState.FAILED, MeetingState.DELETED])),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def slot_batches(meeting: SelectionMeeting, *, limit: int = 5) -> list[SlotBatch]:
    """The latest 一括操作 of a 選考会."""
    return list(SlotBatch.objects.filter(selection_meeting=meeting).order_by("-created_at", "-pk")[:limit])
