"""The staff calendar (カレンダー): week and month views of slots across 選考会.

管理者 and 採用担当 see every slot of the company; a 面接官 sees only the slots they interview
(``slots_interviewed_by``: assigned here or hosting the event in Zoom). Days are the company's days
(``company.tzinfo``), weeks start on Monday, and a slot sits on the day it starts.

Every query parameter is optional and an invalid one is dropped (never an error): ``view`` (week|month),
``date`` (YYYY-MM-DD or YYYY-MM; anything else, or outside 2000–2999, is today), ``meeting``, ``event``,
``interviewer`` (an assigned 面接官: EventInterviewer/SlotInterviewer), ``host`` (an event's Zoom host email)
and ``state`` (a MeetingState or ``problem``). Ids are looked up among the company's own rows (another
company's id is ignored). The 面接官 gets no interviewer/host filters (they would list colleagues).

The number of queries is fixed: the filter options (events with their 選考会, the company's users for staff),
the count of slots in range, then either the slots with their interviewers (3 queries), or, when the range
holds more than ``MAX_SLOTS`` slots (``MONTH_MAX_SLOTS`` in the month view), one aggregate per day (count,
booked seats, capacity) instead. The slots are read as ``SlotEntry`` rows (the few fields an entry shows, no
model instances): a busy week has about 400.
"""

from __future__ import annotations

import calendar as pycalendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import QueryDict
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, User
from interviews.assignments import candidates
from interviews.selectors import assigned_slots_q, interviewers_of_slots, slots_interviewed_by
from scheduling.models import Event, MeetingState, SelectionMeeting, Slot, WebMeeting
from scheduling.selectors import problem_q

WEEK, MONTH = "week", "month"
# Above this many slots in the range, each day shows its counts instead of its slots (a month of a large
# company's slots would make a page of megabytes).
MAX_SLOTS = 2000
# The month view lists each slot twice (its cell and the day list for phones): above this many it shows the
# counts, so the page stays around 100 ms to render (measured: about 0.27 ms a slot, benchmarks/scale_pages).
MONTH_MAX_SLOTS = 300
# A month cell shows this many slots and a link to its week for the rest (the day list shows them all).
MONTH_CELL_SLOTS = 5
FIRST_YEAR, LAST_YEAR = 2000, 2999
PROBLEM = "problem"
STATE_CHOICES: list[tuple[str, str | Promise]] = [
    *MeetingState.choices,
    (PROBLEM, _("要対応（失敗・削除済み・Zoom側で変更）")),
]


@dataclass(frozen=True)
class Host:
    email: str
    label: str


@dataclass
class Filters:
    meeting: SelectionMeeting | None = None
    event: Event | None = None
    interviewer: User | None = None
    host: Host | None = None
    state: str = ""

    def params(self) -> dict[str, str]:
        values = {
            "meeting": str(self.meeting.pk) if self.meeting else "",
            "event": str(self.event.pk) if self.event else "",
            "interviewer": str(self.interviewer.pk) if self.interviewer else "",
            "host": self.host.email if self.host else "",
            "state": self.state,
        }
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return bool(self.params())


@dataclass
class DaySummary:
    count: int = 0
    booked: int = 0
    capacity: int = 0


# The fields of a slot that its calendar entry shows (``SlotEntry``), read with values().
ENTRY_FIELDS = {
    "pk": "pk",
    "event_id": "event_id",
    "starts_at": "starts_at",
    "ends_at": "ends_at",
    "booked_count": "booked_count",
    "capacity": "capacity",
    "is_published": "is_published",
    "meeting_state": "meeting_state",
    "meeting_id": "meeting_id",
    "meeting_start": "meeting_start",
    "meeting_end": "meeting_end",
    "event_name": "event__name",
    "web_meeting": "event__web_meeting",
    "meeting_name": "event__selection_meeting__name",
}


@dataclass
class SlotEntry:
    """A slot as the calendar shows it (see ENTRY_FIELDS), with its interviewers' names."""

    pk: int
    event_id: int
    starts_at: datetime
    ends_at: datetime
    booked_count: int
    capacity: int
    is_published: bool
    meeting_state: str
    meeting_id: str | None
    meeting_start: datetime | None
    meeting_end: datetime | None
    event_name: str
    web_meeting: str
    meeting_name: str
    interviewers: list[str] = field(default_factory=list)

    @property
    def has_web_meeting(self) -> bool:
        return self.web_meeting != WebMeeting.NONE

    @property
    def meeting_out_of_sync(self) -> bool:
        # The slot's own rule, on the same fields (one definition).
        return bool(Slot.meeting_out_of_sync.fget(self))  # type: ignore[attr-defined]


@dataclass
class Day:
    date: date
    in_range: bool
    is_today: bool
    slots: list[SlotEntry] = field(default_factory=list)
    summary: DaySummary | None = None
    week_url: str = ""  # this day's week (the link of a month cell's counts and of 他N件)
    # Each slot's full entry as HTML, rendered once by the view for both the week grid and the day list;
    # in the month view also the compact entries of its cell (``shown_slots``).
    rendered: list[str] = field(default_factory=list)
    rendered_compact: list[str] = field(default_factory=list)

    @property
    def weekday(self) -> int:
        return self.date.weekday()

    @property
    def shown_slots(self) -> list[SlotEntry]:
        return self.slots[:MONTH_CELL_SLOTS]

    @property
    def more(self) -> int:
        return max(0, len(self.slots) - MONTH_CELL_SLOTS)


@dataclass
class Options:
    meetings: list[SelectionMeeting]
    events: list[Event]
    interviewers: list[User]
    hosts: list[Host]
    states: list[tuple[str, str | Promise]]


@dataclass
class Calendar:
    view: str
    anchor: date
    today: date
    start: date  # first day in range (inclusive)
    end: date  # first day after the range
    weeks: list[list[Day]]
    filters: Filters
    options: Options
    total: int
    summarized: bool
    weekday_labels: list[tuple[int, str | Promise]]
    staff: bool

    @property
    def days(self) -> list[Day]:
        return [day for week in self.weeks for day in week if day.in_range]

    @property
    def days_with_slots(self) -> list[Day]:
        return [day for day in self.days if day.slots or (day.summary and day.summary.count)]

    def url(self, **changes: str) -> str:
        """The query string of this calendar with ``changes`` (view, date) and its filters."""
        params = {"view": self.view, "date": self.anchor.isoformat(), **self.filters.params(), **changes}
        return "?" + urlencode(params)

    @property
    def prev_url(self) -> str:
        return self.url(date=_shift(self.view, self.anchor, -1).isoformat())

    @property
    def next_url(self) -> str:
        return self.url(date=_shift(self.view, self.anchor, 1).isoformat())

    @property
    def today_url(self) -> str:
        return self.url(date=self.today.isoformat())

    @property
    def week_url(self) -> str:
        return self.url(view=WEEK)

    @property
    def month_url(self) -> str:
        return self.url(view=MONTH)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


# --- parameters ---------------------------------------------------------------------------------------------


def _id(value: str | None) -> int | None:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def parse_date(value: str | None, today: date) -> date:
    text = (value or "").strip()
    if len(text) == 7:  # YYYY-MM
        text += "-01"
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        return today
    return day


def _shift(view: str, anchor: date, step: int) -> date:
    if view == WEEK:
        return anchor + timedelta(days=7 * step)
    month = anchor.year * 12 + anchor.month - 1 + step
    year, month = divmod(month, 12)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return anchor.replace(day=1)
    return date(year, month + 1, 1)


def _range(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first day in range, day after it, first day of the grid, day after the grid)."""
    if view == WEEK:
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=7), start, start + timedelta(days=7)
    start = anchor.replace(day=1)
    end = start + timedelta(days=pycalendar.monthrange(start.year, start.month)[1])
    grid_start = start - timedelta(days=start.weekday())
    grid_end = end + timedelta(days=(7 - end.weekday()) % 7)
    return start, end, grid_start, grid_end


def _midnight(day: date, company: Company) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), company.tzinfo)


# --- options and filters ---------------------------------------------------------------------------------


def _visible_slots(user: User, company: Company) -> QuerySet[Slot]:
    slots = Slot.objects.filter(company=company)
    if not user.is_recruiter_or_admin:
        slots = slots.filter(pk__in=slots_interviewed_by(user).values("pk"))
    return slots


def _options(user: User, company: Company, staff: bool) -> Options:
    events_qs = Event.objects.filter(company=company).select_related("selection_meeting")
    if not staff:
        events_qs = events_qs.filter(pk__in=slots_interviewed_by(user).values("event_id"))
    events = list(
        events_qs.order_by("selection_meeting__sort_order", "selection_meeting_id", "sort_order", "pk")
    )
    meetings: dict[int, SelectionMeeting] = {}
    hosts: dict[str, Host] = {}
    for event in events:
        meetings.setdefault(event.selection_meeting_id, event.selection_meeting)
        if staff and event.has_web_meeting and event.meeting_host_email:
            email = event.meeting_host_email.lower()
            hosts.setdefault(email, Host(email=email, label=event.meeting_host_label))
    return Options(
        meetings=list(meetings.values()),
        events=events,
        interviewers=list(candidates(company)) if staff else [],
        hosts=sorted(hosts.values(), key=lambda host: host.label),
        states=STATE_CHOICES,
    )


def _filters(params: QueryDict, options: Options) -> Filters:
    filters = Filters()
    meetings = {meeting.pk: meeting for meeting in options.meetings}
    events = {event.pk: event for event in options.events}
    users = {user.pk: user for user in options.interviewers}
    hosts = {host.email: host for host in options.hosts}
    filters.meeting = meetings.get(_id(params.get("meeting")) or 0)
    event = events.get(_id(params.get("event")) or 0)
    if event is not None and (filters.meeting is None or event.selection_meeting_id == filters.meeting.pk):
        filters.event = event
    filters.interviewer = users.get(_id(params.get("interviewer")) or 0)
    filters.host = hosts.get((params.get("host") or "").strip().lower())
    state = params.get("state") or ""
    filters.state = state if state in dict(STATE_CHOICES) else ""
    return filters


def _apply(slots: QuerySet[Slot], filters: Filters) -> QuerySet[Slot]:
    if filters.meeting is not None:
        slots = slots.filter(event__selection_meeting=filters.meeting)
    if filters.event is not None:
        slots = slots.filter(event=filters.event)
    if filters.interviewer is not None:
        slots = slots.filter(assigned_slots_q(filters.interviewer))
    if filters.host is not None:
        slots = slots.filter(event__meeting_host_email__iexact=filters.host.email).exclude(
            event__web_meeting="none"
        )
    if filters.state == PROBLEM:
        slots = slots.filter(problem_q())
    elif filters.state:
        slots = slots.filter(meeting_state=filters.state)
    return slots


# --- the calendar -------------------------------------------------------------------------------------------


def build_calendar(
    *, user: User, company: Company, params: QueryDict, now: datetime | None = None
) -> Calendar:
    """The calendar for ``params`` (see the module docstring), in a fixed number of queries."""
    tz = company.tzinfo
    today = timezone.localtime(now or timezone.now(), tz).date()
    view = MONTH if params.get("view") == MONTH else WEEK
    anchor = parse_date(params.get("date"), today)
    staff = user.is_recruiter_or_admin
    options = _options(user, company, staff)
    filters = _filters(params, options)
    start, end, grid_start, grid_end = _range(view, anchor)

    slots = _apply(_visible_slots(user, company), filters).filter(
        starts_at__gte=_midnight(start, company), starts_at__lt=_midnight(end, company)
    )
    total = slots.count()
    summarized = total > (MAX_SLOTS if view == WEEK else min(MAX_SLOTS, MONTH_MAX_SLOTS))
    by_day: dict[date, list[SlotEntry]] = defaultdict(list)
    summaries: dict[date, DaySummary] = {}
    if summarized:
        rows = (
            slots.annotate(day=TruncDate("starts_at", tzinfo=tz))
            .values("day")
            .annotate(count=Count("pk"), booked=Sum("booked_count"), capacity=Sum("capacity"))
            .order_by("day")
        )
        for row in rows:
            summaries[row["day"]] = DaySummary(row["count"], row["booked"] or 0, row["capacity"] or 0)
    else:
        rows = slots.order_by("starts_at", "pk").values(*ENTRY_FIELDS.values())
        listed = [SlotEntry(**{name: row[key] for name, key in ENTRY_FIELDS.items()}) for row in rows]
        interviewers = interviewers_of_slots(listed)
        for slot in listed:
            slot.interviewers = [person.display_name for person in interviewers.get(slot.pk, [])]
            by_day[timezone.localtime(slot.starts_at, tz).date()].append(slot)

    weeks: list[list[Day]] = []
    day = grid_start
    while day < grid_end:
        week = []
        for _offset in range(7):
            in_range = start <= day < end
            week.append(
                Day(
                    date=day,
                    in_range=in_range,
                    is_today=day == today,
                    slots=by_day.get(day, []) if in_range else [],
                    summary=(summaries.get(day, DaySummary()) if summarized and in_range else None),
                )
            )
            day += timedelta(days=1)
        weeks.append(week)
    calendar = Calendar(
        view=view,
        anchor=anchor,
        today=today,
        start=start,
        end=end,
        weeks=weeks,
        filters=filters,
        options=options,
        total=total,
        summarized=summarized,
        weekday_labels=[(index, WEEKDAYS_ABBR[index]) for index in range(7)],
        staff=staff,
    )
    for week in weeks:
        for entry in week:
            entry.week_url = calendar.url(view=WEEK, date=entry.date.isoformat())
    return calendar
