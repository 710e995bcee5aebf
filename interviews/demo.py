"""Demo data for interviews: the 面接官 of 一次面接, its 評価シート, an interview that took place yesterday
with two applicants, evaluations (one still owed) and one applicant waiting for a 合否判定.

Runs after booking's demo (apps seed in INSTALLED_APPS order). Idempotent: nothing is added twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Company, Role, User
from applicants.models import Applicant
from applicants.selectors import company_stages
from applicants.services import create_applicant
from booking import services as booking_services
from booking.models import BookingSource
from interviews import assignments, evaluations
from interviews.models import Evaluation, EvaluationItem, ItemKind
from scheduling import services as scheduling_services
from scheduling.models import Event, SelectionMeeting, Slot
from scheduling.services import SlotSpec

INTERVIEWED = [
    ("山本 大輔", "ヤマモト ダイスケ", "daisuke.yamamoto"),
    ("松本 彩", "マツモト アヤ", "aya.matsumoto"),
]
DOMAIN = "demo-applicant.example.jp"


def seed(*, company: Company, users: dict[str, User], stdout: Any) -> None:
    recruiter = users.get(Role.RECRUITER) or users[Role.ADMIN]
    interviewer = users.get(Role.INTERVIEWER)
    meeting = SelectionMeeting.objects.filter(company=company, name="一次面接").first()
    event = Event.objects.filter(selection_meeting=meeting, name="対面面接").first() if meeting else None
    if meeting is None or event is None or interviewer is None:
        return
    assignments.set_event_interviewers(event=event, users=[interviewer, recruiter], actor=recruiter)
    if not EvaluationItem.objects.filter(sheet__selection_meeting=meeting).exists():
        evaluations.add_standard_items(meeting=meeting, actor=recruiter)
    slot = _yesterdays_interview(event, recruiter)
    applicants = [_booked(company, recruiter, slot, *person) for person in INTERVIEWED]
    _evaluate(
        meeting, slot, applicants[0], recruiter, "A", "結論から簡潔に話せており、志望動機も具体的でした。"
    )
    _evaluate(
        meeting, slot, applicants[0], interviewer, "B", "受け答えは丁寧。入社後の希望をもう少し聞きたい。"
    )
    _evaluate(meeting, slot, applicants[1], recruiter, "B", "主体性のある経験談が印象的でした。")
    stdout.write(
        f"  interviews: 面接官 2名, 評価 {Evaluation.objects.filter(company=company).count()}件"
        f"（{INTERVIEWED[0][0]} さんは合否判定待ち、{INTERVIEWED[1][0]} さんは面接官の評価待ち）"
    )


def _yesterdays_interview(event: Event, actor: User) -> Slot:
    """A slot of 対面面接 yesterday at 15:00 (the company's zone) for two applicants."""
    local = timezone.localtime(timezone.now(), event.company.tzinfo) - timedelta(days=1)
    starts = local.replace(hour=15, minute=0, second=0, microsecond=0)
    found = Slot.objects.filter(event=event, starts_at=starts).first()
    if found is not None:
        return found
    spec = SlotSpec(starts_at=starts, ends_at=starts + timedelta(minutes=45), capacity=2, is_published=True)
    return scheduling_services.create_slots(event=event, actor=actor, specs=[spec])[0]


def _booked(company: Company, actor: User, slot: Slot, name: str, kana: str, local: str) -> Applicant:
    email = f"{local}@{DOMAIN}"
    applicant = Applicant.objects.filter(company=company, email=email).first()
    if applicant is None:
        applicant = create_applicant(
            company=company,
            actor=actor,
            fields={
                "name": name,
                "name_kana": kana,
                "email": email,
                "school": "デモ大学",
                "faculty": "文学部",
            },
            stage=company_stages(company)[0],
        )
        # Booked the week before, when the slot was still ahead (staff booking, as on the 代行予約 page).
        booking_services.book_slot(
            slot=slot,
            applicant=applicant,
            actor=actor,
            source=BookingSource.STAFF,
            now=slot.starts_at - timedelta(days=7),
        )
    return applicant


def _evaluate(
    meeting: SelectionMeeting, slot: Slot, applicant: Applicant, evaluator: User, grade: str, comment: str
):
    if Evaluation.objects.filter(
        applicant=applicant, selection_meeting=meeting, evaluator=evaluator
    ).exists():
        return
    items = list(EvaluationItem.objects.filter(sheet__selection_meeting=meeting, removed_at__isnull=True))
    score = {"A": 5, "B": 4}.get(grade, 3)
    answers: dict[str, Any] = {str(item.pk): score for item in items if item.kind == ItemKind.SCALE}
    evaluations.save_evaluation(
        applicant=applicant,
        meeting=meeting,
        evaluator=evaluator,
        slot=slot,
        answers=answers,
        recommendation=grade,
        comment=comment,
        submit=True,
    )
