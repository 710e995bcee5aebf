"""Helpers for the evaluation tests: a 選考会 with a 評価シート, a slot that has taken place, two interviewers
assigned to it and an applicant booked into it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Role, User
from applicants.models import Applicant
from booking import services as booking_services
from booking.models import Booking, BookingSource
from interviews import evaluations
from interviews.models import (
    Evaluation,
    EvaluationItem,
    EventInterviewer,
    ItemKind,
    SlotInterviewer,
)
from scheduling.models import Event, SelectionMeeting, Slot
from tests.applicants.factories import ApplicantFactory
from tests.factories import UserFactory
from tests.helpers import Tenant
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, SlotFactory

SCALE_LABELS = ["不十分", "やや不十分", "普通", "良い", "非常に優れている"]


def hours_ago(hours: float) -> datetime:
    return timezone.now().replace(microsecond=0) - timedelta(hours=hours)


def make_slot(event: Event, *, starts: datetime, minutes: int = 60, capacity: int = 5) -> Slot:
    return SlotFactory(
        event=event, starts_at=starts, ends_at=starts + timedelta(minutes=minutes), capacity=capacity
    )


def book(slot: Slot, applicant: Applicant) -> Booking:
    """An active booking made by staff before the slot (whenever the slot is)."""
    return booking_services.book_slot(
        slot=slot,
        applicant=applicant,
        actor=None,
        source=BookingSource.STAFF,
        now=slot.starts_at - timedelta(days=2),
    ).booking


def assign_event(event: Event, *users: User) -> None:
    for user in users:
        EventInterviewer.objects.create(company=event.company, event=event, user=user)


def assign_slot(slot: Slot, *users: User) -> None:
    for user in users:
        SlotInterviewer.objects.create(company=slot.company, slot=slot, user=user)


def add_item(meeting: SelectionMeeting, label: str, kind: str = ItemKind.SCALE, **fields) -> EvaluationItem:
    sheet = evaluations.get_or_create_sheet(meeting=meeting)
    position = EvaluationItem.objects.filter(sheet=sheet).count() + 1
    defaults = {"scale_labels": SCALE_LABELS if kind == ItemKind.SCALE else []}
    return EvaluationItem.objects.create(
        sheet=sheet, label=label, kind=kind, position=position, **{**defaults, **fields}
    )


@dataclass
class Scene:
    """acme's 一次面接: a sheet (two 5段階 items, a choice, a text), a slot that ended ``ended_hours`` ago
    with ``applicant`` booked, interviewed by ``first`` (acme's interviewer) and ``second``."""

    tenant: Tenant
    meeting: SelectionMeeting
    event: Event
    slot: Slot
    applicant: Applicant
    booking: Booking
    first: User
    second: User
    logic: EvaluationItem
    talk: EvaluationItem
    motive: EvaluationItem
    note: EvaluationItem

    @property
    def company(self):
        return self.tenant.company

    def answers(
        self, logic: int = 4, talk: int = 3, motive: str = "高い", note: str = ""
    ) -> dict[str, object]:
        return {
            str(self.logic.pk): logic,
            str(self.talk.pk): talk,
            str(self.motive.pk): motive,
            str(self.note.pk): note,
        }

    def form_data(self, action: str = "submit", recommendation: str = "B", comment: str = "", **answers):
        data = {
            f"item_{self.logic.pk}": str(answers.get("logic", 4)),
            f"item_{self.talk.pk}": str(answers.get("talk", 3)),
            f"item_{self.motive.pk}": answers.get("motive", "高い"),
            f"item_{self.note.pk}": answers.get("note", ""),
            "recommendation": recommendation,
            "comment": comment,
            "action": action,
        }
        return {key: value for key, value in data.items() if value is not None}


def make_scene(tenant: Tenant, *, ended_hours: float = 30, name: str = "一次面接") -> Scene:
    company = tenant.company
    meeting = SelectionMeetingFactory(company=company, name=name)
    event = EventFactory(selection_meeting=meeting, name="対面面接")
    slot = make_slot(event, starts=hours_ago(ended_hours + 1))
    applicant = ApplicantFactory(company=company, name="佐藤 花子", email="hanako.sato@example.jp")
    booking = book(slot, applicant)
    second = UserFactory(company=company, role=Role.INTERVIEWER, name="面接 次郎")
    assign_event(event, tenant.interviewer, second)
    logic = add_item(meeting, "論理的思考力", help_text="結論から順序立てて話せるか")
    talk = add_item(meeting, "コミュニケーション力")
    motive = add_item(meeting, "志望度", ItemKind.CHOICE, choices=["高い", "普通", "低い"])
    note = add_item(meeting, "特記事項", ItemKind.TEXT, required=False)
    return Scene(tenant, meeting, event, slot, applicant, booking, tenant.interviewer, second, logic, talk,
                 motive, note)  # fmt: skip


def submit(
    scene: Scene, user: User, *, recommendation: str = "B", comment: str = "", **answers
) -> Evaluation:
    """``user``'s evaluation submitted through the service."""
    result = evaluations.save_evaluation(
        applicant=scene.applicant,
        meeting=scene.meeting,
        evaluator=user,
        slot=scene.slot,
        answers=scene.answers(**answers),
        recommendation=recommendation,
        comment=comment,
        submit=True,
    )
    return result.evaluation


def draft(scene: Scene, user: User, *, comment: str = "", **answers) -> Evaluation:
    result = evaluations.save_evaluation(
        applicant=scene.applicant,
        meeting=scene.meeting,
        evaluator=user,
        slot=scene.slot,
        answers=scene.answers(**answers),
        recommendation="",
        comment=comment,
        submit=False,
    )
    return result.evaluation
