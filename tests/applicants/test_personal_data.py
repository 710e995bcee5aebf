"""Deleting an applicant's personal data on request."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from applicants.models import Applicant
from applicants.signals import applicant_anonymizing
from tests.applicants.factories import MemoFactory, TagFactory, stage_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelled():
    """Records what applicants announces (applicant_anonymizing) beside the apps' own receivers."""
    calls = []

    def record(*, applicant, actor, **kwargs):
        # Announced before the data goes: the receivers still read the applicant's personal data.
        calls.append((applicant.pk, actor, applicant.email))

    applicant_anonymizing.connect(record, weak=False, dispatch_uid="test-recorder")
    yield calls
    applicant_anonymizing.disconnect(dispatch_uid="test-recorder")


def test_deleting_personal_data_anonymizes_but_keeps_the_record_for_counts(
    world, as_recruiter, acme_applicant, cancelled
):
    interview = stage_named(world.acme.company, "一次面接")
    as_recruiter.post(
        reverse("applicants:change_status", args=[acme_applicant.pk]),
        {"stage": interview.pk, "comment": "電話 090-1111-2222"},
    )
    MemoFactory(applicant=acme_applicant, body="本人の連絡先メモ")
    acme_applicant.tags.set([TagFactory(company=world.acme.company)])
    response = as_recruiter.post(reverse("applicants:anonymize", args=[acme_applicant.pk]))
    assert response.status_code == 302
    applicant = Applicant.objects.get(pk=acme_applicant.pk)
    assert applicant.anonymized_at is not None
    assert applicant.name == "（個人情報削除済み）"
    for field in ("name_kana", "email", "phone", "school", "faculty", "current_employer", "memo"):
        assert getattr(applicant, field) == ""
    assert (applicant.name_key, applicant.email_key, applicant.phone_key) == ("", "", "")
    assert applicant.stage == interview  # still counted in its stage
    assert applicant.status_changes.count() == 1
    assert applicant.status_changes.get().comment == ""
    assert applicant.memos.count() == 0
    assert applicant.tags.count() == 0
    assert cancelled == [(applicant.pk, world.acme.recruiter, "hanako.sato@example.jp")]
    entry = AuditEntry.objects.get(action="applicant.anonymized")
    assert entry.actor == world.acme.recruiter
    labels = AuditEntry.objects.filter(target_id=str(applicant.pk)).values_list("target_label", flat=True)
    assert all("佐藤" not in label for label in labels)


def test_an_anonymized_applicant_is_no_longer_found_or_editable(
    world, as_recruiter, acme_applicant, cancelled
):
    as_recruiter.post(reverse("applicants:anonymize", args=[acme_applicant.pk]))
    assert as_recruiter.get(reverse("applicants:list"), {"q": "佐藤"}).context["page"].object_list == []
    assert as_recruiter.get(reverse("applicants:list"), {"q": "090"}).context["page"].object_list == []
    edit = as_recruiter.get(reverse("applicants:edit", args=[acme_applicant.pk]))
    assert edit.status_code == 302
    interview = stage_named(world.acme.company, "一次面接")
    as_recruiter.post(reverse("applicants:change_status", args=[acme_applicant.pk]), {"stage": interview.pk})
    as_recruiter.post(reverse("applicants:add_memo", args=[acme_applicant.pk]), {"body": "x"})
    applicant = Applicant.objects.get(pk=acme_applicant.pk)
    assert applicant.stage.name == "エントリー"
    assert applicant.memos.count() == 0
    detail = as_recruiter.get(reverse("applicants:detail", args=[acme_applicant.pk])).content.decode()
    assert "個人情報削除済み" in detail
    assert "個人情報を削除</a>" not in detail


def test_deleting_twice_is_harmless(world, as_admin, acme_applicant, cancelled):
    as_admin.post(reverse("applicants:anonymize", args=[acme_applicant.pk]))
    as_admin.post(reverse("applicants:anonymize", args=[acme_applicant.pk]))
    assert AuditEntry.objects.filter(action="applicant.anonymized").count() == 1
    assert len(cancelled) == 1


def test_the_confirmation_page_says_what_will_happen(as_recruiter, acme_applicant):
    content = as_recruiter.get(reverse("applicants:anonymize", args=[acme_applicant.pk])).content.decode()
    assert "元に戻すことはできません" in content
    assert "予約はキャンセルされます" in content
    assert "data-confirm=" in content


def test_deleting_personal_data_also_erases_the_mails_sent_to_the_applicant(
    world, as_recruiter, acme_applicant, cancelled
):
    from notifications.models import MailKind, SentMail
    from notifications.rendering import MailContext
    from notifications.services import queue_mail

    queue_mail(
        company=world.acme.company,
        kind=MailKind.BOOKING_CONFIRMED,
        to=acme_applicant.email,
        context=MailContext(applicant_name=acme_applicant.name),
        applicant=acme_applicant,
    )
    as_recruiter.post(reverse("applicants:anonymize", args=[acme_applicant.pk]))
    mail = SentMail.objects.get(applicant_id=acme_applicant.pk)
    assert mail.to_email == ""
    assert acme_applicant.name not in mail.body
