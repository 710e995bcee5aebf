"""The reports' numbers, each a fixed number of aggregate queries whatever the number of applicants.

**Funnel (選考ファネル).** The funnel's steps are the company's 選考ステータス in their order (表示順), except
the 不合格・辞退 kind, which ends a selection rather than being a step of it. An applicant *reached* a step
when their furthest step is at or beyond it; the furthest step is the later of their current stage and
every stage a 選考ステータス履歴 moved them into (``StatusChange.to_stage``). So an applicant who skipped a
step (書類選考 → 二次面接) counts as having passed the skipped one, an applicant now 不合格 keeps the
steps they reached before, and a stage moved back from still counts as reached. Anonymised applicants keep
their row and their history, so they are counted like any other; the report shows no personal data.
The applicants are those whose 応募日 lies in the period (both days included), optionally of one 応募経路 and
one 募集職種. One query, which does not read the history: ``Applicant.reached_stages`` holds the bit
(``SelectionStage.bit``) of every stage the applicant has been in (the first stage and every history
entry's ``to_stage``, kept by the same statements that move the applicant), so the furthest step is at or
beyond step *i* exactly when the applicant has a bit of the steps from *i* on: per step one
``COUNT(*) FILTER (WHERE reached_stages & M_i > 0)`` (bits 0..62: never negative), M_i the bits of the
steps ranked *i* and later (a closed stage's bit is in no M_i), with the total, in one pass over the
period's applicants, read from the ``applicant_funnel`` index alone (company, 応募日, reached stages,
応募経路, 募集職種).

**Attendance (出欠).** Active bookings of slots (not deleted) that started within the period's days in the
company's zone and before now, grouped by 選考会 with one count per 出欠 kind and 未記録. The rates are of the
recorded bookings: 出席率 = (出席 + 遅刻) / recorded, 無断欠席率 = 無断欠席 / recorded. On PostgreSQL the
query starts from the period's slots and counts each one's bookings (LATERAL, the (slot, status) index);
elsewhere it joins the bookings to their slots. The same rows either way (a test compares them).

**Web-meeting issuance health.** Upcoming (not yet ended) live slots of events with Web面接連携, counted by
発行状況, with 失敗 and 要対応 (failed, deleted or moved at the service) counts. Not limited by the period:
it is about what comes next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connections
from django.db.models import Count, F, Q, QuerySet
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from accounts.models import Company
from applicants.models import Applicant, Position, SelectionStage, Source, StageKind
from booking.models import Attendance, Booking, BookingStatus
from scheduling.models import Event, MeetingState, SelectionMeeting, Slot, WebMeeting
from scheduling.selectors import day_bounds, problem_q

DEFAULT_PERIOD_DAYS = 90


def default_period(company: Company, now: datetime | None = None) -> tuple[date, date]:
    """The last 90 days (today included) in the company's zone."""
    today = timezone.localtime(now or timezone.now(), company.tzinfo).date()
    return today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    source: Source | None = None
    position: Position | None = None


@dataclass
class FunnelStep:
    stage: SelectionStage
    reached: int
    # reached / reached at the step before, in percent (None for the first step or after an empty one).
    conversion: float | None
    # reached / reached at the first step, in percent.
    of_first: float | None


@dataclass
class Funnel:
    steps: list[FunnelStep]
    total: int


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def funnel_stages(company: Company) -> list[SelectionStage]:
    """The steps: every stage except the 不合格・辞退 kind, in order (one query)."""
    return list(SelectionStage.objects.filter(company=company).exclude(kind=StageKind.CLOSED))


def funnel_applicants(company: Company, filters: Filters) -> QuerySet[Applicant]:
    """The funnel's population: the company's applicants whose 応募日 lies in the period (both days
    included), of the chosen 応募経路 and 募集職種 when one is chosen."""
    applicants = Applicant.objects.filter(
        company=company, applied_on__gte=filters.date_from, applied_on__lte=filters.date_to
    )
    if filters.source is not None:
        applicants = applicants.filter(source=filters.source)
    if filters.position is not None:
        applicants = applicants.filter(position=filters.position)
    return applicants


def funnel(company: Company, filters: Filters, stages: list[SelectionStage]) -> Funnel:
    """Applicants reaching each step (see the module's docstring): one query."""
    if not stages:
        return Funnel(steps=[], total=0)
    applicants = funnel_applicants(company, filters)
    # masks[rank]: the bits of the steps at or beyond ``rank``; an applicant reached the step when they
    # have been in any of those stages.
    masks, running = [0] * len(stages), 0
    for rank in range(len(stages) - 1, -1, -1):
        running |= stages[rank].mask
        masks[rank] = running
    # Counting 応募日 (never empty), not the id: every column the query reads is in the
    # ``applicant_funnel`` index, so PostgreSQL reads no table row.
    counts = applicants.aggregate(
        total=Count("applied_on"),
        **{
            f"reached_{rank}": Count("applied_on", filter=GreaterThan(F("reached_stages").bitand(mask), 0))
            for rank, mask in enumerate(masks)
        },
    )
    reached = [counts[f"reached_{rank}"] for rank in range(len(stages))]
    steps = []
    for rank, stage in enumerate(stages):
        conversion = _percent(reached[rank], reached[rank - 1]) if rank else None
        steps.append(FunnelStep(stage, reached[rank], conversion, _percent(reached[rank], reached[0])))
    return Funnel(steps=steps, total=counts["total"])


@dataclass
class AttendanceRow:
    meeting_id: int
    meeting_name: str
    slots: int
    bookings: int
    counts: dict[str, int]
    unrecorded: int

    @property
    def recorded(self) -> int:
        return self.bookings - self.unrecorded

    @property
    def attendance_rate(self) -> float | None:
        return _percent(self.counts[Attendance.ATTENDED] + self.counts[Attendance.LATE], self.recorded)

    @property
    def no_show_rate(self) -> float | None:
        return _percent(self.counts[Attendance.NO_SHOW], self.recorded)


@dataclass
class AttendanceReport:
    rows: list[AttendanceRow]
    total: AttendanceRow | None = field(default=None)


def attendance(company: Company, filters: Filters, now: datetime | None = None) -> AttendanceReport:
    """Interviews held and 出欠 per 選考会 (see the module's docstring): one query."""
    tz = company.tzinfo
    start = day_bounds(filters.date_from, tz)[0]
    end = min(day_bounds(filters.date_to, tz)[1], now or timezone.now())
    if connections[Booking.objects.db].vendor == "postgresql":
        return _attendance_report(_attendance_rows_per_slot(company, start, end))
    return _attendance_report(_attendance_rows_joined(company, start, end))


def _attendance_rows_joined(company: Company, start: datetime, end: datetime) -> list[AttendanceRow]:
    """The period's active bookings joined to their slots, grouped per 選考会 (the databases without
    LATERAL; on PostgreSQL the oracle of ``_attendance_rows_per_slot`` in the tests)."""
    aggregates = {f"n_{kind}": Count("pk", filter=Q(attendance=kind)) for kind in [*Attendance.values, ""]}
    rows = (
        Booking.objects.filter(
            company=company,
            status=BookingStatus.ACTIVE,
            # Also on the slot (the same company): the planner then reads the period's slots through the
            # (company, starts_at) index instead of every company's slots in the period.
            slot__company=company,
            slot__deleted_at__isnull=True,
            slot__starts_at__gte=start,
            slot__starts_at__lt=end,
        )
        .order_by()
        .values(
            "slot__event__selection_meeting_id",
            "slot__event__selection_meeting__name",
            "slot__event__selection_meeting__sort_order",
        )
        .annotate(slots=Count("slot", distinct=True), bookings=Count("pk"), **aggregates)
        .order_by("slot__event__selection_meeting__sort_order", "slot__event__selection_meeting_id")
    )
    return [
        AttendanceRow(
            meeting_id=row["slot__event__selection_meeting_id"],
            meeting_name=row["slot__event__selection_meeting__name"],
            slots=row["slots"],
            bookings=row["bookings"],
            counts={kind: row[f"n_{kind}"] for kind in Attendance.values},
            unrecorded=row["n_"],
        )
        for row in rows
    ]


def _attendance_rows_per_slot(company: Company, start: datetime, end: datetime) -> list[AttendanceRow]:
    """PostgreSQL: the same rows, the period's slots first (the (company, starts_at) index) and each one's
    active bookings counted through the (slot, status) index (LATERAL), then per 選考会. The join above
    reads every active booking of the company through its company index to keep the period's (89,000 for
    22,000 on the scale data set): 90 ms against 40-55 ms."""
    kinds = [*Attendance.values, ""]
    per_kind = ", ".join(f"COUNT(*) FILTER (WHERE b.attendance = %s) AS n{i}" for i in range(len(kinds)))
    sums = ", ".join(f"SUM(p.n{i})" for i in range(len(kinds)))
    sql = f"""
        SELECT e.selection_meeting_id, m.name, COUNT(*), SUM(p.bookings), {sums}
        FROM {Slot._meta.db_table} AS s
        JOIN LATERAL (
            SELECT COUNT(*) AS bookings, {per_kind}
            FROM {Booking._meta.db_table} AS b
            WHERE b.slot_id = s.id AND b.status = %s AND b.company_id = %s
        ) AS p ON p.bookings > 0
        JOIN {Event._meta.db_table} AS e ON e.id = s.event_id
        JOIN {SelectionMeeting._meta.db_table} AS m ON m.id = e.selection_meeting_id
        WHERE s.company_id = %s AND s.deleted_at IS NULL AND s.starts_at >= %s AND s.starts_at < %s
        GROUP BY e.selection_meeting_id, m.name, m.sort_order
        ORDER BY m.sort_order, e.selection_meeting_id
    """  # noqa: S608 - table names from the models, values as parameters
    params: list[str | int | datetime] = [*kinds, BookingStatus.ACTIVE, company.pk, company.pk, start, end]
    with connections[Booking.objects.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        AttendanceRow(
            meeting_id=meeting_id,
            meeting_name=name,
            slots=slots,
            bookings=int(bookings),
            counts={kind: int(counts[i]) for i, kind in enumerate(Attendance.values)},
            unrecorded=int(counts[-1]),
        )
        for meeting_id, name, slots, bookings, *counts in rows
    ]


def _attendance_report(result: list[AttendanceRow]) -> AttendanceReport:
    total = None
    if result:
        total = AttendanceRow(
            meeting_id=0,
            meeting_name="",
            slots=sum(r.slots for r in result),
            bookings=sum(r.bookings for r in result),
            counts={kind: sum(r.counts[kind] for r in result) for kind in Attendance.values},
            unrecorded=sum(r.unrecorded for r in result),
        )
    return AttendanceReport(rows=result, total=total)


@dataclass
class IssuanceHealth:
    counts: dict[str, int]
    total: int
    failed: int
    attention: int


def issuance_health(company: Company, now: datetime | None = None) -> IssuanceHealth:
    """Upcoming slots with Web面接連携 (any service) by 発行状況, with the failures and those needing
    attention: one query."""
    aggregates = {f"n_{state}": Count("pk", filter=Q(meeting_state=state)) for state in MeetingState.values}
    numbers = (
        Slot.objects.filter(company=company, ends_at__gte=now or timezone.now())
        .exclude(event__web_meeting=WebMeeting.NONE)
        .aggregate(total=Count("pk"), attention=Count("pk", filter=problem_q()), **aggregates)
    )
    counts = {state: numbers[f"n_{state}"] for state in MeetingState.values}
    return IssuanceHealth(
        counts=counts,
        total=numbers["total"],
        failed=counts[MeetingState.FAILED],
        attention=numbers["attention"],
    )
