"""`make demo` gives the interview screens something to show: 面接官 assigned, submitted evaluations, one owed
by the 面接官, and an applicant evaluated and waiting for a 合否判定."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from applicants.models import Applicant
from interviews.models import Decision, Evaluation, EventInterviewer
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_demo", stdout=io.StringIO())  # idempotent


def test_the_demo_has_interviewers_evaluations_and_a_pending_decision(seeded):
    assert EventInterviewer.objects.filter(event__name="対面面接").count() == 2
    assert Evaluation.objects.filter(submitted_at__isnull=False).count() == 3
    waiting = Applicant.objects.get(name="山本 大輔")
    assert Evaluation.objects.filter(applicant=waiting).count() == 2
    assert not Decision.objects.exists()


def test_the_demo_interviewer_sees_the_evaluation_they_owe(seeded):
    interviewer = User.objects.get(email="interviewer@demo.example.com")

    page = client_for(interviewer).get("/interviews/mine/").content.decode()

    assert "評価の入力" in page and "松本 彩" in page


def test_the_demo_recruiter_compares_the_evaluations_on_the_applicant_page(seeded):
    recruiter = User.objects.get(email="recruiter@demo.example.com")
    applicant = Applicant.objects.get(name="山本 大輔")

    page = client_for(recruiter).get(f"/applicants/{applicant.pk}/").content.decode()

    assert "結論から簡潔に話せており" in page and "受け答えは丁寧" in page
    assert "合否を判定" in page
