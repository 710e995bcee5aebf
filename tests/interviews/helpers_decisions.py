"""Helpers for the 合否判定 and 合否連絡 tests: a 選考会 with a booked applicant, decisions and notices made
through the services, and the pages' URLs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Company, User
from applicants.models import Applicant
from interviews import decision_notices, decisions
from interviews.models import Decision, EventInterviewer, ResultNotice
from scheduling.models import Event, SelectionMeeting, Slot
from tests.applicants.factories import ApplicantFactory, stage_named
from tests.booking.helpers import slot_for, staff_book
from tests.helpers import Tenant
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory


@dataclass
class Scene:
    """一次面接 (sort order 10) with a slot the tenant's 面接官 interviews, and 二次面接 after it."""

    tenant: Tenant
    meeting: SelectionMeeting
    next_meeting: SelectionMeeting
    event: Event
    slot: Slot

    @property
    def company(self) -> Company:
        return self.tenant.company

    @property
    def recruiter(self) -> User:
        return self.tenant.recruiter

    def booked(self, name: str = "佐藤 花子", **fields) -> Applicant:
        """An applicant booked into the slot (booking moves them to 一次面接)."""
        applicant = ApplicantFactory(company=self.company, name=name, **fields)
        staff_book(self.slot, applicant, self.recruiter)
        applicant.refresh_from_db()
        return applicant


def make_scene(tenant: Tenant, *, capacity: int = 50) -> Scene:
    company = tenant.company
    meeting = SelectionMeetingFactory(company=company, name="一次面接", sort_order=10)
    next_meeting = SelectionMeetingFactory(company=company, name="二次面接（役員）", sort_order=20)
    event = EventFactory(
        selection_meeting=meeting, name="対面面接", booking_stage=stage_named(company, "一次面接")
    )
    # The tenant's 面接官 interviews the event's slots: they read its applicants.
    EventInterviewer.objects.create(company=company, event=event, user=tenant.interviewer)
    slot = slot_for(event, capacity=capacity)
    return Scene(tenant=tenant, meeting=meeting, next_meeting=next_meeting, event=event, slot=slot)


def decide(
    scene: Scene, applicant: Applicant, result: str, *, meeting: SelectionMeeting | None = None, **kwargs
) -> Decision:
    kwargs.setdefault("actor", scene.recruiter)
    return decisions.record_decision(
        applicant=applicant, selection_meeting=meeting or scene.meeting, result=result, **kwargs
    ).decision


def schedule(decision: Decision, actor: User, send_at: datetime | None = None) -> ResultNotice:
    return decision_notices.schedule_result_notice(
        decision=decision, notice=decision_notices.NoticePlan(send_at), actor=actor
    )


def in_hours(hours: float) -> datetime:
    return timezone.now() + timedelta(hours=hours)


def decision_url(applicant: Applicant, meeting: SelectionMeeting) -> str:
    return reverse("interviews:decision_create", args=[applicant.pk, meeting.pk])


def notice_url(decision: Decision) -> str:
    return reverse("interviews:result_notice_create", args=[decision.pk])


def cancel_url(notice: ResultNotice) -> str:
    return reverse("interviews:result_notice_cancel", args=[notice.pk])


def bulk_url(meeting: SelectionMeeting) -> str:
    return reverse("interviews:meeting_results", args=[meeting.pk])


def detail_url(applicant: Applicant) -> str:
    return reverse("applicants:detail", args=[applicant.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []
