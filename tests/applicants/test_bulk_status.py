"""Bulk status change from the list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from applicants.models import StatusChange
from applicants.selectors import company_stages
from tests.applicants.factories import ApplicantFactory, stage_named

pytestmark = pytest.mark.django_db
BULK = reverse("applicants:bulk_status")


def test_selected_applicants_move_together_with_history(world, as_recruiter):
    company = world.acme.company
    interview = stage_named(company, "一次面接")
    chosen = [ApplicantFactory(company=company) for _ in range(3)]
    already = ApplicantFactory(company=company, stage=interview)
    untouched = ApplicantFactory(company=company)
    response = as_recruiter.post(
        BULK, {"ids": [a.pk for a in [*chosen, already]], "stage": interview.pk, "query": "q=%E5%B1%B1"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("applicants:list") + "?q=%E5%B1%B1"
    for applicant in chosen:
        applicant.refresh_from_db()
        assert applicant.stage == interview
    untouched.refresh_from_db()
    assert untouched.stage.name == "エントリー"
    changes = StatusChange.objects.filter(to_stage=interview)
    assert changes.count() == 3  # the one already there has no new history
    assert {c.changed_by for c in changes} == {world.acme.recruiter}
    entry = AuditEntry.objects.get(action="applicant.bulk_status_changed")
    assert entry.details["count"] == 3
    assert sorted(entry.details["applicant_ids"]) == sorted(a.pk for a in chosen)
    messages = [str(m) for m in as_recruiter.get(reverse("applicants:list")).context["messages"]]
    assert messages == ["3名の選考ステータスを「一次面接」に変更しました。"]


def test_the_way_back_to_the_list_is_only_ever_a_query_string(world, as_recruiter, acme_applicant):
    interview = stage_named(world.acme.company, "一次面接")
    data = {"ids": [acme_applicant.pk], "stage": interview.pk, "query": "q=a\r\nSet-Cookie: x=1"}
    response = as_recruiter.post(BULK, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("applicants:list") + "?q=a")
    assert "\n" not in response["Location"]


def test_ids_of_another_company_are_left_alone(world, as_recruiter, other_applicant):
    interview = stage_named(world.acme.company, "一次面接")
    as_recruiter.post(BULK, {"ids": [other_applicant.pk], "stage": interview.pk})
    other_applicant.refresh_from_db()
    assert other_applicant.stage.name == "エントリー"
    assert other_applicant.stage.company == world.other.company
    assert not StatusChange.objects.exists()


def test_a_stage_of_another_company_is_refused(world, as_recruiter, acme_applicant):
    foreign = company_stages(world.other.company)[3]
    response = as_recruiter.post(BULK, {"ids": [acme_applicant.pk], "stage": foreign.pk}, follow=True)
    assert "正しく選択してください" in response.content.decode()
    acme_applicant.refresh_from_db()
    assert acme_applicant.stage.name == "エントリー"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stage": "STAGE"}, "応募者を選択してください。"),
        ({"ids": ["1", "x"], "stage": "STAGE"}, "選択内容が正しくありません。"),
        ({"ids": ["APPLICANT"]}, "変更後の選考ステータスを選んでください。"),
    ],
)
def test_an_incomplete_request_explains_what_is_missing(world, as_recruiter, acme_applicant, data, message):
    interview = stage_named(world.acme.company, "一次面接")
    data = {
        key: (
            [str(acme_applicant.pk) if v == "APPLICANT" else v for v in value]
            if isinstance(value, list)
            else (interview.pk if value == "STAGE" else value)
        )
        for key, value in data.items()
    }
    response = as_recruiter.post(BULK, data, follow=True)
    assert message in response.content.decode()
    assert not StatusChange.objects.exists()


def test_the_selection_is_limited(world, as_recruiter, monkeypatch):
    from applicants import forms

    monkeypatch.setattr(forms, "BULK_LIMIT", 2)
    interview = stage_named(world.acme.company, "一次面接")
    response = as_recruiter.post(BULK, {"ids": ["1", "2", "3"], "stage": interview.pk}, follow=True)
    assert "一度に選択できるのは2名までです。" in response.content.decode()


@pytest.mark.parametrize("bad", ["9" * 30, "²", "-1", "1.5", "abc"])
def test_ids_that_cannot_name_a_row_are_refused_with_a_message(world, as_recruiter, acme_applicant, bad):
    """A number beyond 64 bits reached SQLite (OverflowError) and "²" reached int() (ValueError): 500s."""
    interview = stage_named(world.acme.company, "一次面接")
    response = as_recruiter.post(BULK, {"ids": [acme_applicant.pk, bad], "stage": interview.pk})
    assert response.status_code == 302
    acme_applicant.refresh_from_db()
    assert acme_applicant.stage.name == "エントリー"
    messages = [str(m) for m in as_recruiter.get(reverse("applicants:list")).context["messages"]]
    assert messages == ["選択内容が正しくありません。"]


def test_a_way_back_too_long_to_redirect_to_is_the_plain_list(world, as_recruiter, acme_applicant):
    """Django refuses (400) a redirect longer than MAX_URL_REDIRECT_LENGTH: the change was made, yet the
    user saw an error page."""
    interview = stage_named(world.acme.company, "一次面接")
    data = {"ids": [acme_applicant.pk], "stage": interview.pk, "query": "q=" + "x" * 20_000}
    response = as_recruiter.post(BULK, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("applicants:list")
    acme_applicant.refresh_from_db()
    assert acme_applicant.stage == interview
