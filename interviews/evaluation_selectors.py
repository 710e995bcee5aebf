"""Reads of the evaluations area: the 評価シート, who may evaluate whom, and the evaluations due and
overdue. Each read runs a fixed number of queries. The evaluations themselves reach pages only through
``interviews.evaluation_boards``, which applies the blind rule.

Who is expected to evaluate: the interviewers of the slot (``interviews.selectors.interviewers_of_slots``,
the ones assigned to it or to its event). Anyone else who interviews the slot (its Zoom host) and the
recruiters and admins may add an evaluation, but are not reminded and not listed as missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Window
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Company, User
from applicants.models import Applicant
from booking.models import Booking, BookingStatus
from interviews import evaluation_backlog
from interviews.evaluation_backlog import EVERY_BOOKING, Row, Walk
from interviews.models import Evaluation, EvaluationItem, EventInterviewer, InterviewSettings, SlotInterviewer
from interviews.selectors import assigned_slots_q, slots_interviewed_by
from scheduling.models import SelectionMeeting, Slot, ends_from_q

SCALE_POINTS = (1, 2, 3, 4, 5)
DASHBOARD_LIMIT = 10
DEFAULT_DUE_HOURS: int = InterviewSettings._meta.get_field("evaluation_due_hours").default
# Reminders go out for slots that ended within this long before their due time; an older miss is listed on
# the dashboard but not mailed (a first run after a long outage must not mail about old interviews).
REMINDER_WINDOW = timedelta(days=7)


def evaluation_due_hours(company: Company) -> int:
    """Hours after a slot's end by which its evaluations are due (the company's 面接設定; one query). A
    company without the settings row has the default: pages read it without writing, and the reminder
    service makes the row (``interview_settings``)."""
    hours = InterviewSettings.objects.filter(company=company).values_list("evaluation_due_hours", flat=True)
    return next(iter(hours), DEFAULT_DUE_HOURS)


def interview_settings(company: Company) -> InterviewSettings:
    """The company's 面接設定, made with the defaults on first use."""
    row, _created = InterviewSettings.objects.get_or_create(company=company)
    return row


def sheet_items(meeting: SelectionMeeting, *, include_removed: bool = False) -> list[EvaluationItem]:
    """The items of the 選考会's 評価シート in order (one query; none when it has no sheet)."""
    items = EvaluationItem.objects.filter(sheet__selection_meeting=meeting)
    if not include_removed:
        items = items.filter(removed_at__isnull=True)
    return list(items.order_by("position", "pk"))


def item_is_answered(item: EvaluationItem) -> bool:
    """Some evaluation (a draft too) holds an answer to ``item``."""
    return Evaluation.objects.filter(
        selection_meeting_id=item.sheet.selection_meeting_id, answers__has_key=str(item.pk)
    ).exists()


# --- who may evaluate ---------------------------------------------------------------------------------------


def evaluation_slot(user: User, *, applicant: Applicant, meeting: SelectionMeeting) -> Slot | None:
    """The slot in which ``user`` evaluates the applicant in the 選考会, or None when they may not: the
    latest that has started, else the next one.

    An interviewer: a slot they interview (``interviews.selectors.slots_interviewed_by``, as
    ``interviews_applicant``) holding the applicant's active booking. A recruiter or an admin: any slot of
    the 選考会 holding the applicant's active booking (they sit in)."""
    if user.company_id != applicant.company_id or user.company_id != meeting.company_id:
        return None
    bookings = Booking.objects.filter(
        company_id=user.company_id,
        applicant=applicant,
        status=BookingStatus.ACTIVE,
        slot__event__selection_meeting=meeting,
        slot__deleted_at__isnull=True,
    ).select_related("slot")
    if not user.is_recruiter_or_admin:
        bookings = bookings.filter(slot__in=slots_interviewed_by(user))
    slots = [booking.slot for booking in bookings.order_by("-slot__starts_at", "-pk")[:20]]
    return next((slot for slot in slots if slot.starts_at <= timezone.now()), slots[-1] if slots else None)


def own_evaluation(user: User, *, applicant: Applicant, meeting: SelectionMeeting) -> Evaluation | None:
    return Evaluation.objects.filter(
        company_id=applicant.company_id, applicant=applicant, selection_meeting=meeting, evaluator=user
    ).first()


# --- due and overdue ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueEvaluation:
    """An evaluation ``evaluator`` owes: the applicant booked into ``slot``, which has started."""

    booking: Booking
    evaluator: User
    due_at: datetime
    has_draft: bool = False

    @property
    def slot(self) -> Slot:
        return self.booking.slot

    @property
    def applicant(self) -> Applicant:
        return self.booking.applicant

    @property
    def meeting(self) -> SelectionMeeting:
        return self.booking.slot.event.selection_meeting

    @property
    def overdue(self) -> bool:
        return self.due_at <= timezone.now()


@dataclass(frozen=True)
class DueList:
    items: list[DueEvaluation]
    count: int


def _evaluated_bookings(company_id: int, *, now: datetime) -> QuerySet[Booking]:
    """Active bookings of live slots that have started, of applicants who still have their data."""
    # Not a join on the applicant (one lookup per past booking) but an anti-join on the few anonymized
    # applicants, which a partial index on anonymized_at answers at once.
    anonymized = Applicant.objects.filter(pk=OuterRef("applicant_id"), anonymized_at__isnull=False)
    return Booking.objects.filter(
        ~Exists(anonymized),
        company_id=company_id,
        status=BookingStatus.ACTIVE,
        slot__deleted_at__isnull=True,
        slot__starts_at__lte=now,
    )


def _submitted_by(evaluator: Any) -> Exists:
    return Exists(
        Evaluation.objects.filter(
            applicant_id=OuterRef("applicant_id"),
            selection_meeting_id=OuterRef("slot__event__selection_meeting_id"),
            evaluator_id=evaluator,
            submitted_at__isnull=False,
        )
    )


def evaluations_due(user: User, *, now: datetime | None = None, limit: int = 50) -> DueList:
    """The evaluations ``user`` owes as an interviewer of the slot: applicants booked into slots assigned
    to them that have started, without their submitted evaluation; the longest overdue first (one query
    for a user assigned nowhere; else seven while the company's record holds,
    ``interviews.evaluation_backlog``: whether assigned, the due hours, the record, the walk's slots and
    bookings, the count and the rows; only the bookings the record leaves open are walked)."""
    company = user.company
    if company is None or not user.is_active or not _assigned_anywhere(user):
        return DueList([], 0)
    now = now or timezone.now()
    hours = evaluation_due_hours(company)
    walk = evaluation_backlog.settled_walk(company.pk, now=now, hours=hours, count=_overdue_pairs)
    walked = _walked(_evaluated_bookings(company.pk, now=now), walk, company_id=company.pk, now=now)
    if not walked:
        return DueList([], 0)
    pending = walked[0].filter(assigned_slots_q(user, "slot__")).filter(~_submitted_by(user.pk))
    # The first ``limit`` ids with the total beside them (COUNT(*) OVER ()), then those rows with what the
    # page shows: planned apart, neither query joins the page's tables to the walk's long id lists.
    first = list(
        pending.annotate(total=Window(Count("pk")))
        .order_by("slot__ends_at", "pk")
        .values_list("pk", "total")[:limit]
    )
    if not first:
        return DueList([], 0)
    drafts = Evaluation.objects.filter(
        applicant_id=OuterRef("applicant_id"),
        selection_meeting_id=OuterRef("slot__event__selection_meeting_id"),
        evaluator_id=user.pk,
    )
    rows = (
        Booking.objects.filter(pk__in=[pk for pk, _total in first])
        .annotate(has_draft=Exists(drafts))
        .select_related("applicant", "slot__event__selection_meeting", "slot__company")
        .order_by("slot__ends_at", "pk")
    )
    items = [
        DueEvaluation(row, user, row.slot.ends_at + timedelta(hours=hours), row.has_draft) for row in rows
    ]
    return DueList(items, first[0][1])


def _assigned_anywhere(user: User) -> bool:
    """Whether the user interviews any slot or event (most recruiters and admins do not): one query."""
    assignments = Exists(SlotInterviewer.objects.filter(user_id=OuterRef("pk"))) | Exists(
        EventInterviewer.objects.filter(user_id=OuterRef("pk"))
    )
    return User.objects.filter(assignments, pk=user.pk).exists()


def _expected_pairs(bookings: QuerySet[Booking], path: str) -> QuerySet[Any]:
    """(booking, evaluator, slot end, applicant, 選考会) rows: each active interviewer reached by ``path``."""
    pairs = bookings.annotate(
        evaluator=F(f"{path}__user_id"),
        evaluator_active=F(f"{path}__user__is_active"),
        ends=F("slot__ends_at"),
        applicant_ref=F("applicant_id"),
        meeting_ref=F("slot__event__selection_meeting_id"),
    ).filter(evaluator__isnull=False, evaluator_active=True)
    return pairs.order_by().values_list("pk", "evaluator", "ends", "applicant_ref", "meeting_ref")


def _overdue_pairs(
    company_id: int, *, now: datetime, hours: int, since: datetime | None = None, walk: Walk = EVERY_BOOKING
) -> list[Row]:
    """(booking id, evaluator id, slot end) of each evaluation due by ``now`` and not submitted, the longest
    overdue first (one query), among the bookings ``walk`` names (``interviews.evaluation_backlog``).

    The expected pairs (the slot's own interviewers, else its event's) less the company's submitted
    evaluations. Walking every booking, the submitted ones are read once into a materialized set: a NOT
    EXISTS per pair made PostgreSQL probe the evaluations' index once for each of the past bookings (about
    15,000 in the scale data set) because it expected a few dozen. A shorter walk probes the index per
    pair. The evaluations are the company's (an evaluation's company is its applicant's)."""
    cutoff = now - timedelta(hours=hours)
    bookings = _evaluated_bookings(company_id, now=now).filter(slot__ends_at__lte=cutoff)
    if since is not None:
        bookings = bookings.filter(slot__ends_at__gt=since)
    walked = _walked(bookings, walk, company_id=company_id, now=now, until=cutoff)
    if not walked:
        return []
    parts = [_expected_pairs(part, "slot__interviewer_assignments") for part in walked] + [
        _expected_pairs(
            part.filter(~Exists(SlotInterviewer.objects.filter(slot_id=OuterRef("slot_id")))),
            "slot__event__interviewer_assignments",
        )
        for part in walked
    ]
    expected = parts[0].union(*parts[1:], all=True)
    submitted = Evaluation.objects.filter(company_id=company_id, submitted_at__isnull=False).values_list(
        "applicant_id", "selection_meeting_id", "evaluator_id"
    )
    expected_sql, expected_params = expected.query.sql_with_params()
    submitted_sql, submitted_params = submitted.query.sql_with_params()
    connection = connections[expected.db]
    every = walk.settled_before is None
    materialized = "MATERIALIZED " if every and connection.vendor == "postgresql" else ""
    sql = (
        f"WITH submitted AS {materialized}({submitted_sql}) "  # noqa: S608 - SQL of the ORM, parameters apart
        f'SELECT expected."pk", expected."evaluator", expected."ends" FROM ({expected_sql}) AS expected '
        "WHERE NOT EXISTS (SELECT 1 FROM submitted WHERE submitted.applicant_id = expected.applicant_ref "
        "AND submitted.selection_meeting_id = expected.meeting_ref "
        'AND submitted.evaluator_id = expected."evaluator") '
        'ORDER BY expected."ends", expected."pk", expected."evaluator"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*submitted_params, *expected_params))
        rows = cursor.fetchall()
    return [(pk, evaluator, _as_datetime(ends)) for pk, evaluator, ends in rows]


def _walked(
    bookings: QuerySet[Booking], walk: Walk, *, company_id: int, now: datetime, until: datetime | None = None
) -> list[QuerySet[Booking]]:
    """The part of ``bookings`` a walk covers: all, or those of the slots that started by ``now`` and ended
    since the record's cutoff (and by ``until``), and the ones it listed.

    The slots' ids are read first (a range of the company's slot starts, from MAX_SLOT_LENGTH before the
    cutoff), then the bookings' and their slots' ids, and the caller's query names both: left to plan the
    join, PostgreSQL expected thousands of slots from the two time conditions (it found dozens) and read
    every booking of the company, and left to plan the overdue union, it walked every slot of the
    interviewers' events."""
    if walk.settled_before is None:
        return [bookings]
    slots = Slot.all_objects.filter(
        ends_from_q(walk.settled_before), company_id=company_id, deleted_at__isnull=True, starts_at__lte=now
    )
    if until is not None:
        slots = slots.filter(ends_at__lte=until)
    slot_ids = list(slots.values_list("pk", flat=True))
    parts = [bookings.filter(slot_id__in=slot_ids)] if slot_ids else []
    if walk.open_booking_ids:
        parts.append(bookings.filter(pk__in=walk.open_booking_ids))
    if not parts:
        return []
    columns = [part.order_by().values_list("pk", "slot_id") for part in parts]
    found = dict(columns[0].union(*columns[1:]))
    if not found:
        return []
    return [bookings.filter(pk__in=sorted(found), slot_id__in=sorted(set(found.values())))]


def _as_datetime(value: datetime | str) -> datetime:
    """A slot end read with a raw cursor: PostgreSQL gives it aware; SQLite as text or naive, in UTC."""
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    if parsed is None:
        raise ValueError(value)
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _load_pairs(rows: list[tuple[int, int, datetime]], hours: int) -> list[DueEvaluation]:
    bookings = Booking.objects.select_related("applicant", "slot__event__selection_meeting", "slot__company")
    booking_by_id = bookings.in_bulk([row[0] for row in rows])
    users = User.objects.in_bulk([row[1] for row in rows])
    return [
        DueEvaluation(booking_by_id[pk], users[user_id], ends + timedelta(hours=hours))
        for pk, user_id, ends in rows
        if pk in booking_by_id and user_id in users
    ]


def overdue_evaluations(
    company: Company, *, now: datetime | None = None, offset: int = 0, limit: int = DASHBOARD_LIMIT
) -> DueList:
    """The company's overdue evaluations (each interviewer × applicant), the longest overdue first, and
    how many there are (seven queries while the company's record holds, ``interviews.evaluation_backlog``:
    the due hours, the record, the walk's slots and bookings, the pairs, their bookings and interviewers)."""
    now = now or timezone.now()
    hours = evaluation_due_hours(company)
    # The pairs are read once (three numbers each) and counted and sliced here: counting them in SQL and
    # then reading the page ran the same anti-join over every past booking twice.
    rows = evaluation_backlog.overdue_rows(company.pk, now=now, hours=hours, count=_overdue_pairs)
    if not rows:
        return DueList([], 0)
    return DueList(_load_pairs(rows[offset : offset + limit], hours), len(rows))


def reminder_candidates(company: Company, *, now: datetime) -> list[DueEvaluation]:
    """Overdue evaluations whose slot ended within REMINDER_WINDOW before the due time (to mail once)."""
    hours = evaluation_due_hours(company)
    since = now - timedelta(hours=hours) - REMINDER_WINDOW
    return _load_pairs(_overdue_pairs(company.pk, now=now, hours=hours, since=since), hours)


def companies_with_interviewers() -> list[int]:
    """Ids of the companies that assign interviewers (the only ones with evaluations to remind)."""
    event_level = EventInterviewer.objects.values_list("company_id", flat=True)
    slot_level = SlotInterviewer.objects.values_list("company_id", flat=True)
    return sorted(set(event_level.distinct()) | set(slot_level.distinct()))
