"""個別メール from the applicant's page: write or pick a template, preview, send; it shows on the timeline."""

from __future__ import annotations

import pytest
from django.core import mail as outbox
from django.urls import reverse

from accounts.models import AuditEntry
from applicants.registry import interviewer_scopes
from notifications.models import AdhocKind, MailKind, SentMail
from tests.applicants.factories import ApplicantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant(world):
    return ApplicantFactory(company=world.acme.company, name="佐藤 花子", email="hanako@example.jp")


def _url(applicant) -> str:
    return reverse("notifications:personal_mail", args=[applicant.pk])


def test_the_applicant_page_offers_a_personal_mail(
    as_recruiter, as_interviewer, applicant, world, monkeypatch
):
    page = as_recruiter.get(reverse("applicants:detail", args=[applicant.pk])).content.decode()
    assert _url(applicant) in page
    monkeypatch.setattr(interviewer_scopes, "_functions", {"test": lambda user: [applicant.pk]})
    page = as_interviewer.get(reverse("applicants:detail", args=[applicant.pk])).content.decode()
    assert _url(applicant) not in page


def test_preview_then_send_puts_the_mail_on_the_timeline(
    world, as_recruiter, applicant, django_capture_on_commit_callbacks
):
    data = {
        "kind": AdhocKind.PERSONAL,
        "subject": "{応募者名} 様 面談のご相談",
        "body": "{応募者名} 様\r\nご都合を教えてください。",
    }
    response = as_recruiter.post(_url(applicant), {**data, "action": "preview"})
    assert response.status_code == 200
    assert response.context["preview"].subject == "佐藤 花子 様 面談のご相談"
    assert not SentMail.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = as_recruiter.post(_url(applicant), {**data, "action": "send"})
    assert response.status_code == 302
    assert response["Location"] == reverse("applicants:detail", args=[applicant.pk]) + "#timeline"
    sent = SentMail.objects.get()
    assert (sent.kind, sent.to_email, sent.applicant_id, sent.actor) == (
        AdhocKind.PERSONAL,
        "hanako@example.jp",
        applicant.pk,
        world.acme.recruiter,
    )
    assert sent.body == "佐藤 花子 様\nご都合を教えてください。"
    assert [m.subject for m in outbox.outbox] == ["佐藤 花子 様 面談のご相談"]
    page = as_recruiter.get(reverse("applicants:detail", args=[applicant.pk])).content.decode()
    assert "メール送信: 個別メール" in page and "佐藤 花子 様 面談のご相談" in page
    assert AuditEntry.objects.filter(action="mail.personal_sent").count() == 1


def test_a_template_can_be_picked(as_recruiter, applicant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        as_recruiter.post(_url(applicant), {"kind": MailKind.RESULT_PASS, "action": "send"})
    assert SentMail.objects.get().kind == MailKind.RESULT_PASS


def test_bad_text_is_refused_and_nothing_is_sent(as_recruiter, applicant):
    response = as_recruiter.post(
        _url(applicant),
        {"kind": AdhocKind.PERSONAL, "subject": "", "body": "{予約確認URL}", "action": "send"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["subject"] == ["件名を入力してください。"]
    assert "{予約確認URL} は「個別メール」のメールでは使えません。" in errors["body"]
    assert not SentMail.objects.exists()


def test_an_applicant_without_an_address_gets_no_mail(as_recruiter, world):
    nobody = ApplicantFactory(company=world.acme.company, email="")
    response = as_recruiter.post(
        _url(nobody), {"kind": AdhocKind.PERSONAL, "subject": "件名", "body": "本文", "action": "send"}
    )
    assert response.status_code == 200 and "メールアドレスが登録されていません。" in response.content.decode()
    assert not SentMail.objects.exists()


def test_another_companys_applicant_is_a_404(as_recruiter, world):
    stranger = ApplicantFactory(company=world.other.company)
    assert as_recruiter.get(_url(stranger)).status_code == 404
    assert (
        as_recruiter.post(
            _url(stranger), {"kind": "personal", "subject": "a", "body": "b", "action": "send"}
        ).status_code
        == 404
    )
