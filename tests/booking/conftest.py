"""Fixtures for bookings: an applicant, events and slots days ahead, personal links, an anonymous browser."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking import links
from booking import services as booking_services
from booking.models import BookingInvitation, BookingSource
from scheduling.models import Event
from tests.applicants.factories import ApplicantFactory, stage_named
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, SlotFactory


@pytest.fixture(autouse=True)
def _fast_pacing(fast_pacing):
    return fast_pacing


def days_ahead(days: int, hour: int = 14, *, tz=None) -> datetime:
    """``days`` from today at ``hour``:00 in ``tz`` (the company's zone)."""
    tz = tz or timezone.get_default_timezone()
    local = timezone.localtime(timezone.now(), tz) + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def company(world):
    return world.acme.company


@pytest.fixture
def applicant(company):
    return ApplicantFactory(
        company=company, name="佐藤 花子", name_kana="サトウ ハナコ", email="hanako.sato@example.jp"
    )


@pytest.fixture
def other_applicant(company):
    return ApplicantFactory(company=company, name="鈴木 一郎", email="ichiro.suzuki@example.jp")


@pytest.fixture
def event(company) -> Event:
    """一次面接 / 対面面接 in the office: booking closes 24 h before, changes until 24 h before."""
    meeting = SelectionMeetingFactory(company=company, name="一次面接")
    return EventFactory(
        selection_meeting=meeting,
        name="対面面接",
        place="東京本社 8F 面接室A",
        booking_stage=stage_named(company, "一次面接"),
    )


def slot_for(event, days: int = 5, hour: int = 14, **kwargs):
    starts = days_ahead(days, hour, tz=event.company.tzinfo)
    return SlotFactory(event=event, starts_at=starts, ends_at=starts + timedelta(hours=1), **kwargs)


@pytest.fixture
def slot(event):
    return slot_for(event, capacity=2)


def invite(applicant, *events, days: int = 30) -> BookingInvitation:
    invitation = BookingInvitation.objects.create(
        company=applicant.company, applicant=applicant, expires_at=timezone.now() + timedelta(days=days)
    )
    invitation.events.set(events)
    return invitation


def link(invitation: BookingInvitation, suffix: str = "") -> str:
    return links.invitation_path(invitation) + suffix


@pytest.fixture
def invitation(applicant, event):
    return invite(applicant, event)


@pytest.fixture
def browser() -> Client:
    """The applicant's phone: no login."""
    return Client(HTTP_ACCEPT_LANGUAGE="ja")


def staff_book(slot, applicant, actor=None):
    return booking_services.book_slot(
        slot=slot, applicant=applicant, actor=actor, source=BookingSource.STAFF
    ).booking


def applicant_book(slot, applicant, invitation):
    return booking_services.book_slot(
        slot=slot, applicant=applicant, actor=None, source=BookingSource.APPLICANT, invitation=invitation
    ).booking
