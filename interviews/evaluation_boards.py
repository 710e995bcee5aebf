"""An applicant's evaluations side by side, and their history, as one viewer may see them.

The blind rule (独立評価) lives here and nowhere else: ``MeetingBoard`` is the only shape in which
evaluations leave for a page. A viewer who is not a recruiter or an admin sees, of an applicant's evaluations
in a 選考会, only their own until they have submitted it; then every submitted one, with the averages and the
推奨度 tally. Drafts are seen by their author only. An interviewer who takes no part in a 選考会 (neither
interviews the applicant there nor has evaluated) sees nothing of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import mean
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applicants.models import Applicant
from booking.models import Booking, BookingStatus
from interviews.evaluation_selectors import SCALE_POINTS
from interviews.models import Evaluation, EvaluationItem, EvaluationRevision, ItemKind, Recommendation
from interviews.selectors import interviewers_of_slots, slots_interviewed_by
from scheduling.models import SelectionMeeting, Slot


def sees_every_evaluation(viewer: User, own: Evaluation | None) -> bool:
    """The blind rule: recruiters and admins see all; anyone else once their own is submitted."""
    return viewer.is_recruiter_or_admin or (own is not None and own.is_submitted)


# --- the evaluations side by side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One answer as shown: ``value`` (1–5, a choice, a text, or None) and the point's label."""

    value: int | str | None
    label: str = ""
    stale: bool = False  # a choice the item no longer offers


@dataclass
class BoardRow:
    item: EvaluationItem
    cells: list[Cell]
    average: float | None = None


@dataclass
class MeetingBoard:
    """An applicant's evaluations in one 選考会 as ``viewer`` may see them (the blind rule applied)."""

    meeting: SelectionMeeting
    viewer: User
    own: Evaluation | None
    columns: list[Evaluation]  # visible evaluations: the viewer's own first
    rows: list[BoardRow]
    blind: bool  # others' evaluations are withheld until the viewer submits
    missing: list[User]  # expected interviewers without a submitted evaluation
    slot: Slot | None  # where the viewer evaluates (None: may not)
    now: datetime
    items: list[EvaluationItem] = field(default_factory=list)  # every item of the sheet, removed ones too
    column_averages: list[float | None] = field(default_factory=list)
    overall_average: float | None = None
    recommendations: list[tuple[str, int]] = field(default_factory=list)
    applicant_anonymized: bool = False

    @property
    def started(self) -> bool:
        return self.slot is not None and self.slot.starts_at <= self.now

    @property
    def can_evaluate(self) -> bool:
        return self.started and not self.applicant_anonymized


@dataclass
class _Inputs:
    """What a board is built from, read once for every 選考会 of the applicant."""

    bookings: list[Booking]
    viewer_slot_ids: set[int]
    evaluations: list[Evaluation]
    items: dict[int, list[EvaluationItem]]
    interviewers: dict[int, list[User]]


def _answer_cell(item: EvaluationItem, raw: Any) -> Cell:
    if raw in (None, ""):
        return Cell(None)
    if item.kind == ItemKind.SCALE:
        labels = item.scale_labels or []
        point = raw if isinstance(raw, int) else None
        label = labels[point - 1] if point and 0 < point <= len(labels) else ""
        return Cell(point, label)
    return Cell(str(raw), stale=item.kind == ItemKind.CHOICE and raw not in (item.choices or []))


def _scale_values(evaluation: Evaluation, item: EvaluationItem) -> int | None:
    raw = evaluation.answers.get(str(item.pk))
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw in SCALE_POINTS else None


def _round(values: list[int]) -> float | None:
    return round(mean(values), 2) if values else None


def _rows(items: list[EvaluationItem], columns: list[Evaluation], scored: bool) -> list[BoardRow]:
    """The sheet's items (and removed ones answered in a visible evaluation), averaged when ``scored``."""
    shown = [
        item
        for item in items
        if item.removed_at is None or any(str(item.pk) in evaluation.answers for evaluation in columns)
    ]
    rows = []
    for item in shown:
        row = BoardRow(item, [_answer_cell(item, e.answers.get(str(item.pk))) for e in columns])
        if scored and item.kind == ItemKind.SCALE:
            values = [v for e in columns if e.is_submitted and (v := _scale_values(e, item)) is not None]
            row.average = _round(values)
        rows.append(row)
    return rows


def _summarise(board: MeetingBoard, items: list[EvaluationItem]) -> None:
    scale_items = [item for item in items if item.kind == ItemKind.SCALE]
    every: list[int] = []
    for evaluation in board.columns:
        values = [v for item in scale_items if (v := _scale_values(evaluation, item)) is not None]
        board.column_averages.append(_round(values))
        if evaluation.is_submitted:
            every.extend(values)
    if board.blind:
        return
    board.overall_average = _round(every)
    submitted = [e.recommendation for e in board.columns if e.is_submitted and e.recommendation]
    board.recommendations = [
        (c.value, submitted.count(c.value)) for c in Recommendation if c.value in submitted
    ]


def _read_inputs(
    viewer: User, applicant: Applicant, meeting_ids: Iterable[int] | None, now: datetime
) -> _Inputs:
    """Bookings, evaluations, items and interviewers of the applicant's 選考会 (six queries at most)."""
    bookings_qs = Booking.objects.filter(
        company_id=applicant.company_id,
        applicant=applicant,
        status=BookingStatus.ACTIVE,
        slot__deleted_at__isnull=True,
    ).select_related("slot__event__selection_meeting")
    evaluations_qs = Evaluation.objects.filter(company_id=applicant.company_id, applicant=applicant)
    if meeting_ids is not None:
        bookings_qs = bookings_qs.filter(slot__event__selection_meeting_id__in=list(meeting_ids))
        evaluations_qs = evaluations_qs.filter(selection_meeting_id__in=list(meeting_ids))
    bookings = list(bookings_qs.order_by("-slot__starts_at", "-pk"))
    evaluations = list(
        evaluations_qs.select_related("evaluator", "selection_meeting").order_by("submitted_at", "pk")
    )
    slot_ids = {booking.slot_id for booking in bookings}
    if viewer.is_recruiter_or_admin:
        viewer_slot_ids = slot_ids
    elif slot_ids:
        viewer_slot_ids = set(
            slots_interviewed_by(viewer).filter(pk__in=slot_ids).values_list("pk", flat=True)
        )
    else:
        viewer_slot_ids = set()
    meetings = {b.slot.event.selection_meeting_id for b in bookings} | {
        e.selection_meeting_id for e in evaluations
    }
    items: dict[int, list[EvaluationItem]] = defaultdict(list)
    if meetings:
        for item in EvaluationItem.objects.filter(sheet__selection_meeting_id__in=meetings).select_related(
            "sheet"
        ):
            items[item.sheet.selection_meeting_id].append(item)
    started = [b.slot for b in bookings if b.slot.starts_at <= now]
    interviewers = interviewers_of_slots(started) if started else {}
    return _Inputs(bookings, viewer_slot_ids, evaluations, items, interviewers)


def _board(
    viewer: User, applicant: Applicant, meeting: SelectionMeeting, inputs: _Inputs, now: datetime
) -> MeetingBoard | None:
    bookings = [b for b in inputs.bookings if b.slot.event.selection_meeting_id == meeting.pk]
    evaluations = [e for e in inputs.evaluations if e.selection_meeting_id == meeting.pk]
    own = next((e for e in evaluations if e.evaluator_id == viewer.pk), None)
    # Where the viewer evaluates: their latest slot that has started, else their next one.
    mine = [b.slot for b in bookings if b.slot_id in inputs.viewer_slot_ids]
    slot = next((s for s in mine if s.starts_at <= now), mine[-1] if mine else None)
    sees_all = sees_every_evaluation(viewer, own)
    if not viewer.is_recruiter_or_admin and slot is None and own is None:
        return None  # an interviewer who takes no part in this 選考会 sees nothing of it
    others = [e for e in evaluations if e.is_submitted and e.evaluator_id != viewer.pk] if sees_all else []
    columns = ([own] if own is not None else []) + others
    done = {e.evaluator_id for e in evaluations if e.is_submitted}
    expected: dict[int, User] = {}
    for booking in bookings:
        for user in inputs.interviewers.get(booking.slot_id, []):
            if user.is_active and user.pk not in done:
                expected.setdefault(user.pk, user)
    items = sorted(inputs.items.get(meeting.pk, []), key=lambda item: (item.position, item.pk))
    board = MeetingBoard(
        meeting=meeting,
        viewer=viewer,
        own=own,
        columns=columns,
        rows=_rows(items, columns, scored=sees_all),
        blind=not sees_all,
        missing=list(expected.values()),
        slot=slot,
        now=now,
        items=items,
        applicant_anonymized=applicant.is_anonymized,
    )
    _summarise(board, items)
    return board


def _meetings_in_view(viewer: User, inputs: _Inputs, now: datetime) -> list[SelectionMeeting]:
    """Staff: 選考会 with a started booking or an evaluation. Interviewers: those they take part in."""
    found: dict[int, SelectionMeeting] = {}
    for booking in inputs.bookings:
        meeting = booking.slot.event.selection_meeting
        if booking.slot_id in inputs.viewer_slot_ids and (
            booking.slot.starts_at <= now or not viewer.is_recruiter_or_admin
        ):
            found.setdefault(meeting.pk, meeting)
    for evaluation in inputs.evaluations:
        if viewer.is_recruiter_or_admin or evaluation.evaluator_id == viewer.pk:
            found.setdefault(evaluation.selection_meeting_id, evaluation.selection_meeting)
    return sorted(found.values(), key=lambda meeting: (meeting.sort_order, meeting.pk))


def applicant_boards(
    viewer: User, applicant: Applicant, *, now: datetime | None = None
) -> list[MeetingBoard]:
    """The applicant's evaluations by 選考会, as ``viewer`` may see them (six queries at most)."""
    now = now or timezone.now()
    inputs = _read_inputs(viewer, applicant, None, now)
    boards = [
        _board(viewer, applicant, meeting, inputs, now) for meeting in _meetings_in_view(viewer, inputs, now)
    ]
    return [board for board in boards if board is not None]


def meeting_board(
    viewer: User, applicant: Applicant, meeting: SelectionMeeting, *, now: datetime | None = None
) -> MeetingBoard | None:
    """The applicant's evaluations in one 選考会 as ``viewer`` may see them; None when an interviewer takes
    no part in it (neither interviews the applicant there nor has evaluated)."""
    now = now or timezone.now()
    return _board(viewer, applicant, meeting, _read_inputs(viewer, applicant, [meeting.pk], now), now)


# --- history ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    before: Cell
    after: Cell


@dataclass
class HistoryEntry:
    revision: EvaluationRevision
    changes: list[Change]

    @property
    def is_first(self) -> bool:
        return self.revision.version == 1


def _changes(
    previous: EvaluationRevision | None, current: EvaluationRevision, items: list[EvaluationItem]
) -> list[Change]:
    before_answers = previous.answers if previous else {}
    changes = []
    for item in items:
        key = str(item.pk)
        if before_answers.get(key) != current.answers.get(key):
            before, after = before_answers.get(key), current.answers.get(key)
            changes.append(Change(item.label, _answer_cell(item, before), _answer_cell(item, after)))
    return changes


def _fixed_changes(previous: EvaluationRevision | None, current: EvaluationRevision) -> list[Change]:
    changes = []
    before_rec = previous.get_recommendation_display() if previous and previous.recommendation else None
    after_rec = current.get_recommendation_display() if current.recommendation else None
    if before_rec != after_rec:
        changes.append(Change(_("推奨度"), Cell(before_rec), Cell(after_rec)))
    if (previous.comment if previous else "") != current.comment:
        changes.append(
            Change(_("コメント"), Cell(previous.comment if previous else None), Cell(current.comment))
        )
    return changes


def evaluation_history(board: MeetingBoard) -> dict[int, list[HistoryEntry]]:
    """evaluation id → its submissions and corrections, newest first, each with what changed (one query),
    for the evaluations the board shows."""
    shown = [e for e in board.columns if e.is_submitted]
    revisions = (
        EvaluationRevision.objects.filter(evaluation__in=shown)
        .select_related("edited_by")
        .order_by("version")
    )
    by_evaluation: dict[int, list[EvaluationRevision]] = defaultdict(list)
    for revision in revisions:
        by_evaluation[revision.evaluation_id].append(revision)
    history: dict[int, list[HistoryEntry]] = {}
    for evaluation_id, versions in by_evaluation.items():
        entries, previous = [], None
        for revision in versions:
            changes = _changes(previous, revision, board.items) + _fixed_changes(previous, revision)
            entries.append(HistoryEntry(revision, changes))
            previous = revision
        history[evaluation_id] = entries[::-1]
    return history
