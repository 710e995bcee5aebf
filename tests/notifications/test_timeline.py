"""Mails appear on the applicant's timeline (applicants.timeline registry)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applicants.timeline import timeline_sources
from notifications.models import MailKind, MailStatus
from notifications.timeline import mail_items
from tests.notifications.factories import SentMailFactory

pytestmark = pytest.mark.django_db


def test_mail_items_are_registered_as_a_timeline_source():
    assert mail_items in timeline_sources.functions()


def test_the_timeline_lists_the_mails_to_that_applicant_only(world):
    applicant = SimpleNamespace(pk=41, company_id=world.acme.company.pk)
    sent = SentMailFactory(
        company=world.acme.company, applicant_id=41, subject="ご予約完了", actor=world.acme.recruiter
    )
    failed = SentMailFactory(
        company=world.acme.company,
        applicant_id=41,
        kind=MailKind.REMINDER,
        status=MailStatus.FAILED,
        sent_at=None,
        created_at=sent.sent_at + timedelta(minutes=1),
    )
    SentMailFactory(company=world.acme.company, applicant_id=42)
    SentMailFactory(company=world.other.company, applicant_id=41)  # another company's applicant 41
    with CaptureQueriesContext(connection) as queries:
        items = mail_items(applicant)
    assert len(queries) == 1
    assert [item.title for item in items] == ["メール送信失敗: リマインド", "メール送信: 予約完了"]
    assert items[1].at == sent.sent_at
    assert items[1].body == f"ご予約完了\n{sent.to_email}"
    assert items[1].actor == world.acme.recruiter.display_name
    assert items[1].url == reverse("notifications:mail_detail", args=[sent.pk])
    assert items[0].kind == "mail"
    assert items[0].at == failed.created_at
