"""Every 一括操作 page: 管理者 and 採用担当 only (面接官 403), another company's job 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outreach import services
from outreach.models import JobAction, JobScope
from tests.applicants.factories import ApplicantFactory, stage_named
from tests.helpers import client_for
from tests.outreach.helpers import NEW, job_url, start_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_job(world):
    company = world.other.company
    applicant = ApplicantFactory(company=company)
    return services.start_job(
        company=company,
        actor=world.other.recruiter,
        action=JobAction.STATUS,
        scope=JobScope.SELECTION,
        applicant_ids=[applicant.pk],
        stage=stage_named(company, "一次面接"),
    )


@pytest.fixture
def own_job(world):
    company = world.acme.company
    applicant = ApplicantFactory(company=company)
    return services.start_job(
        company=company,
        actor=world.acme.recruiter,
        action=JobAction.STATUS,
        scope=JobScope.SELECTION,
        applicant_ids=[applicant.pk],
        stage=stage_named(company, "一次面接"),
    )


def test_the_interviewer_is_refused_every_page(world, as_interviewer, own_job):
    applicant = ApplicantFactory(company=world.acme.company)
    assert as_interviewer.get(reverse("outreach:job_list")).status_code == 403
    assert as_interviewer.post(NEW, start_data("status", ids=[applicant])).status_code == 403
    for name in ("job_detail", "job_status"):
        assert as_interviewer.get(job_url(name, own_job)).status_code == 403
    assert as_interviewer.post(job_url("job_retry", own_job)).status_code == 403
    personal = reverse("notifications:personal_mail", args=[applicant.pk])
    assert as_interviewer.get(personal).status_code == 403
    assert (
        as_interviewer.post(
            personal, {"kind": "personal", "subject": "x", "body": "y", "action": "send"}
        ).status_code
        == 403
    )


@pytest.mark.parametrize("role", ["admin", "recruiter"])
def test_staff_open_their_jobs_and_get_404_for_another_companys(world, role, own_job, other_job):
    client = client_for(world.acme.user(role))
    assert client.get(reverse("outreach:job_list")).status_code == 200
    assert client.get(job_url("job_detail", own_job)).status_code == 200
    assert client.get(job_url("job_status", own_job)).status_code == 200
    for name in ("job_detail", "job_status"):
        assert client.get(job_url(name, other_job)).status_code == 404
    assert client.post(job_url("job_retry", other_job)).status_code == 404
    page = client.get(reverse("outreach:job_list")).content.decode()
    assert job_url("job_detail", own_job) in page and job_url("job_detail", other_job) not in page


def test_visitors_are_sent_to_the_login_page(client, own_job):
    response = client.get(job_url("job_detail", own_job))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_start_page_only_answers_post(as_recruiter):
    assert as_recruiter.get(NEW).status_code == 405
