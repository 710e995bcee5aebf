"""評価入力のお願い: once an evaluation is overdue (the slot ended more than the company's due hours ago and
an interviewer of the slot has not submitted it), the beat task mails that interviewer once, however often
it runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail

from booking import services as booking_services
from interviews import tasks
from interviews.models import InterviewSettings
from notifications.models import MailKind, SentMail
from tests.factories import UserFactory
from tests.interviews.helpers_evaluations import assign_slot, make_scene, submit

pytestmark = pytest.mark.django_db


def reminders() -> list[SentMail]:
    return list(SentMail.objects.filter(kind=MailKind.EVALUATION_REMINDER).order_by("to_email"))


def test_the_overdue_interviewer_is_mailed_once_however_often_beat_runs(
    world, django_capture_on_commit_callbacks
):
    scene = make_scene(world.acme)
    submit(scene, scene.first)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_overdue_evaluations() == 1
    tasks.remind_overdue_evaluations()
    tasks.remind_company_overdue_evaluations(world.acme.company.pk)  # a retried task

    [reminder] = reminders()
    assert reminder.to_email == scene.second.email
    assert reminder.applicant_id == scene.applicant.pk
    url = f"{settings.SITE_URL}/interviews/evaluations/{scene.applicant.pk}/{scene.meeting.pk}/edit/"
    assert url in reminder.body
    assert "面接 次郎 様" in reminder.body
    assert "佐藤 花子" in reminder.subject and "一次面接" in reminder.subject
    assert [message.to for message in mail.outbox] == [[scene.second.email]]


def test_each_interviewer_who_owes_the_evaluation_gets_their_own_mail(world):
    scene = make_scene(world.acme)

    sent = tasks.remind_company_overdue_evaluations(world.acme.company.pk)

    assert sent == 2
    assert [m.to_email for m in reminders()] == sorted([scene.first.email, scene.second.email])


def test_nothing_is_mailed_before_the_due_time_which_the_company_sets(world):
    scene = make_scene(world.acme, ended_hours=20)  # due after 24 hours

    assert tasks.remind_company_overdue_evaluations(world.acme.company.pk) == 0
    InterviewSettings.objects.filter(company=world.acme.company).update(evaluation_due_hours=12)
    assert tasks.remind_company_overdue_evaluations(world.acme.company.pk) == 2
    assert {m.to_email for m in reminders()} == {scene.first.email, scene.second.email}


def test_no_mail_for_a_submitted_evaluation_a_cancelled_booking_or_an_inactive_interviewer(world):
    scene = make_scene(world.acme)
    submit(scene, scene.first)
    scene.second.is_active = False
    scene.second.save(update_fields=["is_active"])
    other = make_scene(world.acme, name="二次面接")
    before = other.slot.starts_at - timedelta(days=1)
    booking_services.cancel_booking(booking=other.booking, actor=None, now=before)

    assert tasks.remind_company_overdue_evaluations(world.acme.company.pk) == 0
    assert reminders() == []


def test_a_slots_own_interviewers_replace_the_events(world):
    scene = make_scene(world.acme)
    solo = UserFactory(company=world.acme.company, role="interviewer", email="solo@acme.example.com")
    assign_slot(scene.slot, solo)

    tasks.remind_company_overdue_evaluations(world.acme.company.pk)

    assert [m.to_email for m in reminders()] == ["solo@acme.example.com"]


def test_an_interview_long_past_is_listed_but_not_mailed(world):
    make_scene(world.acme, ended_hours=24 + 24 * 8)  # the reminder window is a week after the due time

    assert tasks.remind_company_overdue_evaluations(world.acme.company.pk) == 0


def test_reminders_stay_within_their_company(world):
    make_scene(world.other)

    tasks.remind_company_overdue_evaluations(world.acme.company.pk)
    assert reminders() == []
    tasks.remind_company_overdue_evaluations(world.other.company.pk)
    assert {m.company_id for m in reminders()} == {world.other.company.pk}


def test_a_company_that_is_gone_is_skipped():
    assert tasks.remind_company_overdue_evaluations(999_999) == 0


def test_beat_runs_the_reminder_task():
    entry = settings.CELERY_BEAT_SCHEDULE["interviews-remind-overdue-evaluations"]
    assert entry["task"] == tasks.remind_overdue_evaluations.name
    assert entry["task"] == "interviews.tasks.remind_overdue_evaluations"
