"""Helpers for the tests of who interviews (assignments, マイ面接, the calendar feed)."""

from __future__ import annotations

from datetime import datetime, timedelta

import icalendar
from django.utils import timezone

from accounts.models import Role, User
from interviews import assignments
from notifications.models import MailKind, SentMail
from scheduling import services as scheduling_services
from scheduling.models import Event, Slot
from scheduling.services import SlotSpec
from tests.booking.helpers import days_ahead
from tests.factories import UserFactory
from tests.scheduling.factories import SlotFactory


def interviewer(company, name: str, email: str, *, role: str = Role.INTERVIEWER, **extra) -> User:
    return UserFactory(company=company, role=role, name=name, email=email, **extra)


def slot_at(event: Event, start: datetime, *, minutes: int = 60, **kwargs) -> Slot:
    return SlotFactory(event=event, starts_at=start, ends_at=start + timedelta(minutes=minutes), **kwargs)


def slot_in(event: Event, days: int, hour: int = 14, **kwargs) -> Slot:
    """A slot ``days`` from today at ``hour``:00 in the company's zone (negative days: in the past)."""
    return slot_at(event, days_ahead(days, hour, tz=event.company.tzinfo), **kwargs)


def zoom_slot(event: Event, days: int, capture, *, hour: int = 10) -> Slot:
    """A shown Zoom slot made through the scheduling service, its meeting issued (tasks run in-process)."""
    start = days_ahead(days, hour, tz=event.company.tzinfo)
    with capture(execute=True):
        slot = scheduling_services.create_slot(
            event=event,
            actor=None,
            spec=SlotSpec(starts_at=start, ends_at=start + timedelta(hours=1), capacity=2, is_published=True),
        )
    slot.refresh_from_db()
    return slot


def assign_event(event: Event, *users: User, actor: User) -> assignments.AssignmentChange:
    return assignments.set_event_interviewers(event=event, users=users, actor=actor)


def assign_slot(slot: Slot, *users: User, actor: User) -> assignments.AssignmentChange:
    return assignments.set_slot_interviewers(slot=slot, users=users, actor=actor)


def notices_to(email: str) -> list[SentMail]:
    return list(SentMail.objects.filter(kind=MailKind.HOST_NOTICE, to_email=email).order_by("pk"))


def vevent(ics: str | bytes) -> icalendar.Event:
    [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    return event


def vevents(ics: str | bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))


def method_of(ics: str | bytes) -> str:
    return str(icalendar.Calendar.from_ical(ics)["METHOD"])


def local(moment: datetime, company) -> datetime:
    return timezone.localtime(moment, company.tzinfo)
