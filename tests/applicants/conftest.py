from __future__ import annotations

import pytest

from applicants.registry import interviewer_scopes
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
    """The 面接官's applicant scope replaced by a fixed one: ``booked_for(user, [ids])``."""
    booked: dict[int, list[int]] = {}

    def scope(user):
        return booked.get(user.pk, [])

    monkeypatch.setattr(interviewer_scopes, "_functions", {"test": scope})

    def book(user, applicant_ids):
        booked[user.pk] = list(applicant_ids)

    return book
