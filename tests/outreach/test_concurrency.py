"""Several runs of one job at once (a redelivered task beside the sweeper's) mail each applicant once."""

from __future__ import annotations

import pytest
from django.db import connections

from notifications.models import AdhocKind, SentMail
from outreach import services
from outreach.models import ItemState, JobAction, JobItem, JobScope, OutreachJob
from tests.applicants.factories import ApplicantFactory
from tests.concurrency import run_in_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres():
    if connections["default"].vendor != "postgresql":
        pytest.skip("SKIP LOCKED and concurrent writers need PostgreSQL")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_concurrent_runs_of_one_job_mail_each_applicant_once(postgres, world, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 7)
    monkeypatch.setattr(services, "enqueue", lambda job_id: None)
    people = [ApplicantFactory(company=world.acme.company) for _ in range(60)]
    job = services.start_job(
        company=world.acme.company,
        actor=world.acme.recruiter,
        action=JobAction.MAIL,
        scope=JobScope.SELECTION,
        applicant_ids=[p.pk for p in people],
        mail_kind=AdhocKind.BULK,
        subject="お知らせ",
        body="{応募者名} 様",
    )

    results, errors = run_in_threads(6, lambda index: services.run_job(job_id=job.pk))

    assert errors == []
    assert sum(results) == 60
    per_applicant = list(SentMail.objects.values_list("applicant_id", flat=True))
    assert sorted(per_applicant) == sorted(p.pk for p in people)
    job = OutreachJob.objects.get(pk=job.pk)
    assert (job.done, job.failed, job.is_finished) == (60, 0, True)
    assert not JobItem.objects.exclude(state=ItemState.DONE).exists()
