"""Fixtures for bookings: an applicant, events and slots days ahead, personal links, an anonymous browser."""

from __future__ import annotations

import pytest
from django.test import Client

from scheduling.models import Event
from tests.applicants.factories import ApplicantFactory, stage_named
from tests.booking.helpers import invite, slot_for
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory


@pytest.fixture(autouse=True)
def _fast_pacing(fast_pacing):
    return fast_pacing


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


@pytest.fixture
def slot(event):
    return slot_for(event, capacity=2)


@pytest.fixture
def invitation(applicant, event):
    return invite(applicant, event)


@pytest.fixture
def browser() -> Client:
    """The applicant's phone: no login."""
    return Client(HTTP_ACCEPT_LANGUAGE="ja")
