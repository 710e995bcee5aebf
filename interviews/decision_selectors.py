"""Reads for 合否判定 and 合否連絡, each a fixed number of queries.

The 選考会s an applicant can be decided in are those of their bookings (any status: a cancelled booking
still says they were invited) and those already decided. The newest decision of an (applicant, 選考会) is
the current one; the older ones are its history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from accounts.models import Company
from applicants.models import Applicant, SelectionStage, StageKind
from booking.models import Booking
from interviews.models import Decision, DecisionResult, NoticeStatus, ResultNotice
from scheduling.models import SelectionMeeting

MEETING_APPLICANTS_LIMIT = 1000
LIVE_STATUSES = (NoticeStatus.SCHEDULED, NoticeStatus.SENT)
# The bulk page's filter: a current result, or "none" for applicants not decided yet.
UNDECIDED = "none"
NEWEST_FIRST = ("-decided_at", "-id")


def _applicant_meetings_q(applicant_id: int) -> Q:
    """A Q on SelectionMeeting: the 選考会s ``applicant_id`` was booked into or decided in."""
    booked = Booking.objects.filter(applicant_id=applicant_id).values("event__selection_meeting_id")
    decided = Decision.objects.filter(applicant_id=applicant_id).values("selection_meeting_id")
    return Q(pk__in=booked) | Q(pk__in=decided)


def meeting_applicants_q(meeting: SelectionMeeting) -> Q:
    """A Q on Applicant: the applicants booked into ``meeting`` (any status) or decided in it."""
    booked = Booking.objects.filter(event__selection_meeting=meeting).values("applicant_id")
    decided = Decision.objects.filter(selection_meeting=meeting).values("applicant_id")
    return Q(pk__in=booked) | Q(pk__in=decided)


def decidable_meetings(applicant: Applicant) -> QuerySet[SelectionMeeting]:
    """The 選考会s the applicant can be decided in, in the company's order."""
    return (
        SelectionMeeting.objects.filter(company_id=applicant.company_id)
        .filter(_applicant_meetings_q(applicant.pk))
        .order_by("sort_order", "pk")
    )


def is_decidable(applicant: Applicant, meeting: SelectionMeeting) -> bool:
    return decidable_meetings(applicant).filter(pk=meeting.pk).exists()


def current_decision(applicant_id: int, meeting_id: int) -> Decision | None:
    return (
        Decision.objects.filter(applicant_id=applicant_id, selection_meeting_id=meeting_id)
        .order_by(*NEWEST_FIRST)
        .first()
    )


def next_stage(current: SelectionStage | None, stages: Iterable[SelectionStage]) -> SelectionStage | None:
    """The stage after ``current`` in the company's order, if ``current`` is 選考中 and the next one is not
    a closing stage (不合格・辞退): the default of 合格's 選考ステータス."""
    if current is None or current.kind != StageKind.IN_PROGRESS:
        return None
    ordered = sorted(
        (s for s in stages if s.is_active or s.pk == current.pk), key=lambda s: (s.sort_order, s.pk)
    )
    ids = [stage.pk for stage in ordered]
    if current.pk not in ids or ids.index(current.pk) + 1 >= len(ordered):
        return None
    candidate = ordered[ids.index(current.pk) + 1]
    return None if candidate.kind == StageKind.CLOSED else candidate


def next_meeting(meeting: SelectionMeeting) -> SelectionMeeting | None:
    """The company's 選考会 after ``meeting`` in its order (sort order, then creation)."""
    later = Q(sort_order__gt=meeting.sort_order) | Q(sort_order=meeting.sort_order, pk__gt=meeting.pk)
    return (
        SelectionMeeting.objects.filter(company_id=meeting.company_id)
        .filter(later)
        .order_by("sort_order", "pk")
        .first()
    )


# --- the applicant page ---------------------------------------------------------------------------------


@dataclass
class MeetingDecisions:
    """One 選考会 of an applicant: its decisions (newest first) and the notices of any of them."""

    meeting: SelectionMeeting
    decisions: list[Decision] = field(default_factory=list)
    notices: list[ResultNotice] = field(default_factory=list)

    @property
    def current(self) -> Decision | None:
        return self.decisions[0] if self.decisions else None

    @property
    def history(self) -> list[Decision]:
        return self.decisions[1:]

    @property
    def current_notices(self) -> list[ResultNotice]:
        current = self.current
        return [n for n in self.notices if current is not None and n.decision_id == current.pk]

    @property
    def live_notice(self) -> ResultNotice | None:
        return next((n for n in self.current_notices if n.status in LIVE_STATUSES), None)

    @property
    def earlier_sent(self) -> list[ResultNotice]:
        """Notices sent for a decision that was changed since (the applicant has read them)."""
        current = self.current
        return [
            n
            for n in self.notices
            if n.status == NoticeStatus.SENT and (current is None or n.decision_id != current.pk)
        ]

    @property
    def can_notify(self) -> bool:
        current = self.current
        return current is not None and current.result != DecisionResult.HOLD and self.live_notice is None


def meeting_decisions(applicant: Applicant, meeting: SelectionMeeting) -> MeetingDecisions:
    """One 選考会 of the applicant with its decisions and their notices (two queries)."""
    decisions = list(
        Decision.objects.filter(applicant_id=applicant.pk, selection_meeting=meeting)
        .select_related("decided_by", "moved_to_stage")
        .order_by(*NEWEST_FIRST)
    )
    notices = (
        ResultNotice.objects.filter(decision__in=decisions)
        .select_related("created_by", "cancelled_by")
        .order_by("-created_at", "-id")
    )
    return MeetingDecisions(meeting, decisions, list(notices) if decisions else [])


def applicant_decisions(applicant: Applicant) -> list[MeetingDecisions]:
    """Every 選考会 of the applicant with its decisions and notices (three queries)."""
    groups = {meeting.pk: MeetingDecisions(meeting) for meeting in decidable_meetings(applicant)}
    decisions = (
        Decision.objects.filter(applicant_id=applicant.pk, selection_meeting_id__in=groups)
        .select_related("decided_by", "moved_to_stage")
        .order_by(*NEWEST_FIRST)
    )
    for decision in decisions:
        groups[decision.selection_meeting_id].decisions.append(decision)
    if any(group.decisions for group in groups.values()):
        notices = (
            ResultNotice.objects.filter(applicant_id=applicant.pk)
            .select_related("decision", "created_by", "cancelled_by")
            .order_by("-created_at", "-id")
        )
        for notice in notices:
            group = groups.get(notice.decision.selection_meeting_id)
            if group is not None:
                group.notices.append(notice)
    return list(groups.values())


# --- one 選考会's applicants (the bulk page) -------------------------------------------------------------


@dataclass
class ApplicantRow:
    """An applicant of a 選考会 with their current decision and its live notice."""

    applicant: Applicant
    decision: Decision | None = None
    notice: ResultNotice | None = None

    @property
    def result(self) -> str:
        return self.decision.result if self.decision is not None else UNDECIDED


def meeting_rows(meeting: SelectionMeeting) -> list[ApplicantRow]:
    """The 選考会's applicants (by フリガナ) with their current decision and live notice (three queries)."""
    applicants = (
        Applicant.objects.filter(company_id=meeting.company_id)
        .filter(meeting_applicants_q(meeting))
        .select_related("stage")
        .order_by("kana_key", "pk")[:MEETING_APPLICANTS_LIMIT]
    )
    rows = {applicant.pk: ApplicantRow(applicant) for applicant in applicants}
    for decision in (
        Decision.objects.filter(selection_meeting=meeting, applicant_id__in=rows)
        .select_related("decided_by")
        .order_by("applicant_id", *NEWEST_FIRST)
    ):
        row = rows[decision.applicant_id]
        row.decision = row.decision or decision
    current_ids = [row.decision.pk for row in rows.values() if row.decision is not None]
    for notice in ResultNotice.objects.filter(decision_id__in=current_ids, status__in=LIVE_STATUSES):
        rows[notice.applicant_id].notice = notice
    return list(rows.values())


@dataclass(frozen=True)
class NoticeState:
    """What decides whether a notice may go, for many applicants of one 選考会 (three queries)."""

    current: dict[int, Decision]  # applicant id -> current decision
    live: dict[int, ResultNotice]  # decision id -> its scheduled or sent notice
    sent_results: dict[int, set[str]]  # applicant id -> results whose notice was sent in this 選考会


def notice_state(meeting_id: int, applicant_ids: Iterable[int]) -> NoticeState:
    ids = list(applicant_ids)
    current: dict[int, Decision] = {}
    for decision in Decision.objects.filter(selection_meeting_id=meeting_id, applicant_id__in=ids).order_by(
        "applicant_id", *NEWEST_FIRST
    ):
        current.setdefault(decision.applicant_id, decision)
    live = {
        notice.decision_id: notice
        for notice in ResultNotice.objects.filter(
            decision_id__in=[d.pk for d in current.values()], status__in=LIVE_STATUSES
        )
    }
    sent: dict[int, set[str]] = defaultdict(set)
    for applicant_id, result in ResultNotice.objects.filter(
        applicant_id__in=ids, decision__selection_meeting_id=meeting_id, status=NoticeStatus.SENT
    ).values_list("applicant_id", "result"):
        sent[applicant_id].add(result)
    return NoticeState(current=current, live=live, sent_results=dict(sent))


# --- the notice list ------------------------------------------------------------------------------------


def company_notices(company: Company, *, status: str = "") -> QuerySet[ResultNotice]:
    """The company's notices (one status, or all), the next to go first for 送信予定, else newest first."""
    notices = ResultNotice.objects.filter(company=company).select_related(
        "applicant", "decision__selection_meeting", "created_by", "cancelled_by"
    )
    if status:
        notices = notices.filter(status=status)
    if status == NoticeStatus.SCHEDULED:
        return notices.order_by("send_at", "pk")
    return notices.order_by("-send_at", "-pk")


def company_meetings(company: Company) -> list[SelectionMeeting]:
    return list(SelectionMeeting.objects.filter(company=company).order_by("sort_order", "pk"))
