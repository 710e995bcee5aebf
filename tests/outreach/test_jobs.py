"""応募者の一括操作: mail, 日程選択案内 and 選考ステータス as background jobs with progress and retries."""

from __future__ import annotations

import unittest.mock
from datetime import timedelta

import pytest
from django.core import mail as outbox
from django.urls import reverse

from accounts.models import AuditEntry
from applicants.models import StatusChange
from booking.models import BookingInvitation
from notifications.models import AdhocKind, MailKind, MailStatus, SentMail
from outreach import services, tasks
from outreach.models import ItemState, JobAction, JobItem, JobScope, OutreachJob
from tests.applicants.factories import ApplicantFactory, stage_named
from tests.booking.helpers import slot_for, staff_book
from tests.outreach.helpers import NEW, job_url, start_data
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory

pytestmark = pytest.mark.django_db

BODY = "{応募者名} 様\n\n{会社名} です。説明会のお知らせです。"


@pytest.fixture
def applicants(world):
    return [ApplicantFactory(company=world.acme.company, name=f"候補 {n}") for n in range(3)]


def _bulk_mail(client, ids, capture, **extra):
    data = start_data(
        "mail", ids=ids, kind=AdhocKind.BULK, subject="【{会社名}】お知らせ", body=BODY, **extra
    )
    with capture(execute=True):
        return client.post(NEW, data)


def test_a_bulk_mail_job_mails_each_selected_applicant_once(
    world, as_recruiter, applicants, django_capture_on_commit_callbacks
):
    response = _bulk_mail(as_recruiter, applicants, django_capture_on_commit_callbacks)

    job = OutreachJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url("job_detail", job)
    job.refresh_from_db()
    assert (job.total, job.done, job.failed, job.is_finished) == (3, 3, 0, True)
    assert job.created_by == world.acme.recruiter
    mails = SentMail.objects.filter(kind=AdhocKind.BULK)
    assert sorted(m.to_email for m in mails) == sorted(a.email for a in applicants)
    assert all(m.status == MailStatus.SENT for m in mails)
    first = mails.get(applicant_id=applicants[0].pk)
    assert first.subject == f"【{world.acme.company.name}】お知らせ"
    assert first.body.startswith("候補 0 様")
    assert len(outbox.outbox) == 3
    assert set(JobItem.objects.values_list("state", flat=True)) == {ItemState.DONE}
    actions = list(AuditEntry.objects.filter(action__startswith="outreach.").values_list("action", flat=True))
    assert sorted(actions) == ["outreach.job_finished", "outreach.job_started"]


def test_running_the_job_task_again_mails_nobody_twice(
    world, as_recruiter, applicants, django_capture_on_commit_callbacks
):
    _bulk_mail(as_recruiter, applicants, django_capture_on_commit_callbacks)
    job = OutreachJob.objects.get()
    # A redelivered task, the sweeper, or a finished job reopened by mistake: nothing pending, nothing sent.
    OutreachJob.objects.filter(pk=job.pk).update(finished_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.run_job(job.pk) == 0
        assert services.run_job(job_id=job.pk) == 0
    assert SentMail.objects.count() == 3 and len(outbox.outbox) == 3


def test_an_item_claimed_by_another_run_is_not_mailed_again(
    world, applicants, django_capture_on_commit_callbacks
):
    job = services.start_job(
        company=world.acme.company,
        actor=world.acme.recruiter,
        action=JobAction.MAIL,
        scope=JobScope.SELECTION,
        applicant_ids=[a.pk for a in applicants],
        mail_kind=AdhocKind.BULK,
        subject="件名",
        body=BODY,
    )
    # Another run took the first item between this run's read and its claim (the conditional UPDATE).
    first = JobItem.objects.filter(job=job).order_by("pk").first()
    real_filter = JobItem.objects.filter

    def racing_filter(*args, **kwargs):
        claiming = kwargs.get("state") == ItemState.PENDING and (
            kwargs.get("pk") == first.pk or first.pk in kwargs.get("pk__in", ())
        )
        if claiming:  # the other run's claim is there each time this run tries (after any rollback)
            real_filter(pk=first.pk).update(state=ItemState.DONE)
        return real_filter(*args, **kwargs)

    with (
        unittest.mock.patch.object(JobItem.objects, "filter", side_effect=racing_filter),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.run_job(job_id=job.pk)
    assert sorted(SentMail.objects.values_list("applicant_id", flat=True)) == sorted(
        a.pk for a in applicants[1:]
    )


def test_skipped_applicants_are_listed_with_a_reason_and_retried_alone(
    world, as_recruiter, applicants, django_capture_on_commit_callbacks
):
    no_email = ApplicantFactory(company=world.acme.company, name="連絡先 なし", email="")
    _bulk_mail(as_recruiter, [*applicants, no_email], django_capture_on_commit_callbacks)
    job = OutreachJob.objects.get()
    job.refresh_from_db()
    assert (job.done, job.failed) == (3, 1)
    page = as_recruiter.get(job_url("job_detail", job))
    assert (
        "連絡先 なし" in page.content.decode()
        and "メールアドレスが登録されていません。" in page.content.decode()
    )

    no_email.email = "found@example.jp"
    no_email.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        response = as_recruiter.post(job_url("job_retry", job))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.done, job.failed, job.is_finished) == (4, 0, True)
    assert SentMail.objects.count() == 4  # the three done were not mailed again
    assert SentMail.objects.filter(to_email="found@example.jp").count() == 1
    assert AuditEntry.objects.filter(action="outreach.job_retried").count() == 1


def test_a_retry_requeues_mails_that_could_not_be_delivered(
    world, as_recruiter, applicants, django_capture_on_commit_callbacks
):
    _bulk_mail(as_recruiter, applicants, django_capture_on_commit_callbacks)
    job = OutreachJob.objects.get()
    bounced = SentMail.objects.filter(applicant_id=applicants[0].pk)
    bounced.update(status=MailStatus.FAILED, last_error="SMTPRecipientsRefused: 550")
    assert as_recruiter.get(job_url("job_status", job)).json()["mail"] == {
        "queued": 0,
        "sent": 2,
        "failed": 1,
    }
    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        as_recruiter.post(job_url("job_retry", job))
    assert [m.to for m in outbox.outbox] == [[applicants[0].email]]
    assert SentMail.objects.count() == 3


def test_the_progress_endpoint_answers_counts(world, as_recruiter, applicants):
    job = services.start_job(
        company=world.acme.company,
        actor=world.acme.recruiter,
        action=JobAction.STATUS,
        scope=JobScope.SELECTION,
        applicant_ids=[a.pk for a in applicants],
        stage=stage_named(world.acme.company, "一次面接"),
    )  # not committed in this test: the task has not run
    data = as_recruiter.get(job_url("job_status", job)).json()
    assert data == {
        "total": 3,
        "processed": 0,
        "done": 0,
        "failed": 0,
        "finished": False,
        "mail": {"queued": 0, "sent": 0, "failed": 0},
    }
    services.run_job(job_id=job.pk)
    data = as_recruiter.get(job_url("job_status", job)).json()
    assert (data["processed"], data["done"], data["finished"]) == (3, 3, True)
    page = as_recruiter.get(job_url("job_detail", job)).content.decode()
    assert 'data-job-poll="' + job_url("job_status", job) in page
    assert as_recruiter.get(reverse("outreach:job_list")).status_code == 200


def test_a_status_job_moves_applicants_with_history(
    world, as_recruiter, applicants, django_capture_on_commit_callbacks
):
    interview = stage_named(world.acme.company, "一次面接")
    anonymised = ApplicantFactory(company=world.acme.company)
    from applicants import services as applicant_services

    applicant_services.anonymize_applicant(applicant=anonymised, actor=world.acme.admin)
    with django_capture_on_commit_callbacks(execute=True):
        as_recruiter.post(NEW, start_data("status", ids=[*applicants, anonymised], stage=interview.pk))
    job = OutreachJob.objects.get()
    job.refresh_from_db()
    assert (job.done, job.failed) == (3, 1)
    for applicant in applicants:
        applicant.refresh_from_db()
        assert applicant.stage == interview
    changes = StatusChange.objects.filter(to_stage=interview)
    assert changes.count() == 3 and {c.changed_by for c in changes} == {world.acme.recruiter}
    assert JobItem.objects.get(applicant=anonymised).reason == "個人情報を削除した応募者です。"


def test_an_invitation_job_gives_each_applicant_a_personal_link(
    world, as_recruiter, applicants, django_capture_on_commit_callbacks
):
    company = world.acme.company
    event = EventFactory(selection_meeting=SelectionMeetingFactory(company=company, name="会社説明会"))
    booked = applicants[0]
    staff_book(slot_for(event, capacity=5), booked)
    no_email = ApplicantFactory(company=company, email="")
    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        as_recruiter.post(NEW, start_data("invitation", ids=[*applicants, no_email], event=event.pk))
    job = OutreachJob.objects.get()
    job.refresh_from_db()
    assert (job.done, job.failed) == (2, 2)
    invited = BookingInvitation.objects.filter(events=event, created_by=world.acme.recruiter)
    assert sorted(i.applicant_id for i in invited) == sorted(a.pk for a in applicants[1:])
    mails = SentMail.objects.filter(kind=MailKind.SCHEDULE_INVITATION)
    assert mails.count() == 2
    assert all("/b/" in m.body for m in mails)
    reasons = dict(JobItem.objects.filter(state=ItemState.FAILED).values_list("applicant_id", "reason"))
    assert reasons == {
        booked.pk: "このイベントは予約済みです。",
        no_email.pk: "メールアドレスが登録されていません。",
    }


def test_the_filter_wide_scope_is_the_companys_filtered_applicants(
    world, as_recruiter, django_capture_on_commit_callbacks
):
    company = world.acme.company
    interview = stage_named(company, "一次面接")
    matching = [ApplicantFactory(company=company, stage=interview) for _ in range(3)]
    ApplicantFactory(company=company)  # another stage: not in the filter
    ApplicantFactory(company=world.other.company, stage=stage_named(world.other.company, "一次面接"))
    # The other company's stage id in the query matches nothing of ours; ours matches ours only.
    data = start_data(
        "status", scope="filter", query=f"stage={interview.pk}", stage=stage_named(company, "内定").pk
    )
    with django_capture_on_commit_callbacks(execute=True):
        as_recruiter.post(NEW, data)
    job = OutreachJob.objects.get()
    assert job.scope == JobScope.FILTER and job.total == 3
    assert sorted(JobItem.objects.values_list("applicant_id", flat=True)) == sorted(a.pk for a in matching)


def test_selected_ids_of_another_company_are_ignored(world, as_recruiter, applicants):
    stranger = ApplicantFactory(company=world.other.company)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "enqueue", lambda job_id: None)
        as_recruiter.post(
            NEW,
            start_data(
                "status", ids=[applicants[0], stranger], stage=stage_named(world.acme.company, "一次面接").pk
            ),
        )
    assert list(JobItem.objects.values_list("applicant_id", flat=True)) == [applicants[0].pk]
    response = as_recruiter.post(
        NEW, start_data("status", ids=[stranger], stage=stage_named(world.acme.company, "一次面接").pk)
    )
    assert response.status_code == 200 and "応募者を選択してください。" in response.content.decode()
    assert OutreachJob.objects.count() == 1


def test_the_preview_is_rendered_on_a_real_recipient_before_starting(world, as_recruiter, applicants):
    data = start_data("mail", ids=applicants, kind=AdhocKind.BULK, subject="{応募者名} 様へ", body=BODY)
    del data["start"]
    data["preview"] = "1"
    response = as_recruiter.post(NEW, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["recipient"] == applicants[0]
    assert "候補 0 様へ" in page and "候補 0 様" in response.context["preview"].body
    assert 'name="start"' in page
    assert not OutreachJob.objects.exists() and not SentMail.objects.exists()


def test_a_template_can_be_sent_in_bulk(world, as_recruiter, applicants, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        as_recruiter.post(NEW, start_data("mail", ids=applicants[:1], kind=MailKind.RESULT_FAIL))
    sent = SentMail.objects.get()
    assert sent.kind == MailKind.RESULT_FAIL and sent.body.startswith("候補 0 様")


def test_a_bad_placeholder_is_refused_and_nothing_starts(world, as_recruiter, applicants):
    response = as_recruiter.post(
        NEW, start_data("mail", ids=applicants, kind=AdhocKind.BULK, subject="件名", body="{ZoomURL} {")
    )
    assert response.status_code == 200
    assert "{ZoomURL} は「一斉メール」のメールでは使えません。" in response.content.decode()
    assert not OutreachJob.objects.exists()


def test_the_list_offers_the_bulk_actions(world, as_recruiter, applicants):
    page = as_recruiter.get(reverse("applicants:list")).content.decode()
    assert f'formaction="{NEW}"' in page
    assert "検索結果のすべて（3名）" in page


def test_a_run_hands_over_to_a_fresh_task_chunk_by_chunk(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "CHUNK", 2)
    monkeypatch.setattr(services, "RUN_BUDGET_SECONDS", 0.0)  # every run stops after one chunk
    people = [ApplicantFactory(company=world.acme.company) for _ in range(5)]
    runs = []
    real_run = services.run_job
    monkeypatch.setattr(services, "run_job", lambda **kwargs: runs.append(1) or real_run(**kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        services.start_job(
            company=world.acme.company,
            actor=world.acme.recruiter,
            action=JobAction.MAIL,
            scope=JobScope.SELECTION,
            applicant_ids=[p.pk for p in people],
            mail_kind=AdhocKind.BULK,
            subject="件名",
            body=BODY,
        )
    job = OutreachJob.objects.get()
    assert (job.done, job.is_finished) == (5, True)
    assert len(runs) >= 3  # three chunks, each in its own task
    assert SentMail.objects.count() == 5


def test_the_sweeper_resumes_a_job_whose_task_was_lost(world, applicants, django_capture_on_commit_callbacks):
    job = services.start_job(
        company=world.acme.company,
        actor=world.acme.recruiter,
        action=JobAction.STATUS,
        scope=JobScope.SELECTION,
        applicant_ids=[a.pk for a in applicants],
        stage=stage_named(world.acme.company, "一次面接"),
    )  # never committed here: its task never ran
    assert services.unfinished_job_ids() == []  # too recent to be called lost
    OutreachJob.objects.filter(pk=job.pk).update(created_at=job.created_at - timedelta(minutes=10))
    assert services.unfinished_job_ids() == [job.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.resume_jobs() == 1
    job.refresh_from_db()
    assert job.is_finished and job.done == 3
