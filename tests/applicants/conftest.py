from __future__ import annotations

import sys
import types

import pytest

from tests.applicants.factories import ApplicantFactory


@pytest.fixture
def acme_applicant(world):
    return ApplicantFactory(
        company=world.acme.company,
        name="佐藤 花子",
        name_kana="サトウ ハナコ",
        email="hanako.sato@example.jp",
        phone="090-1111-2222",
    )


@pytest.fixture
def other_applicant(world):
    return ApplicantFactory(
        company=world.other.company,
        name="他社 応募者",
        name_kana="タシャ オウボシャ",
        email="someone@other.example.jp",
        phone="080-9999-0000",
    )


@pytest.fixture
def booked_for(monkeypatch):
    """Stand in for scheduling.selectors.applicant_ids_for_interviewer: ``booked_for(user, [ids])``."""
    booked: dict[int, list[int]] = {}
    module = types.ModuleType("scheduling.selectors")
    module.applicant_ids_for_interviewer = lambda user: booked.get(user.pk, [])
    monkeypatch.setitem(sys.modules, "scheduling.selectors", module)

    def book(user, applicant_ids):
        booked[user.pk] = list(applicant_ids)

    return book


@pytest.fixture
def no_bookings_yet(monkeypatch):
    """scheduling.selectors as it is before the booking code adds applicant_ids_for_interviewer."""
    monkeypatch.setitem(sys.modules, "scheduling.selectors", types.ModuleType("scheduling.selectors"))
