"""Registering, reading and editing an applicant: validation, duplicates, status history, memos, timeline."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from applicants import timeline
from applicants.models import Applicant, StatusChange
from applicants.selectors import company_stages
from tests.applicants.factories import PositionFactory, stage_named
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def _form(company, **overrides):
    data = {
        "name": "山田　太郎",
        "name_kana": "やまだ たろう",
        "email": "Taro.Yamada@Example.jp",
        "phone": "０９０-１２３４-５６７８",
        "track": "new_graduate",
        "school": "東京大学",
        "faculty": "経済学部",
        "graduation_year": "2027",
        "current_employer": "",
        "position": "",
        "source": "",
        "stage": company_stages(company)[0].pk,
        "applied_on": "2026-11-20",
        "tags": "要フォロー, 英語可、要フォロー",
        "memo": "",
    }
    data.update(overrides)
    return data


def test_recruiter_registers_an_applicant_with_normalized_values(world, as_recruiter):
    response = as_recruiter.post(reverse("applicants:create"), _form(world.acme.company))
    applicant = Applicant.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("applicants:detail", args=[applicant.pk])
    assert applicant.company == world.acme.company
    assert applicant.name == "山田 太郎"  # full-width space collapsed
    assert applicant.name_kana == "ヤマダ タロウ"  # hiragana → katakana
    assert applicant.email == "taro.yamada@example.jp"
    assert applicant.phone == "090-1234-5678"
    assert applicant.graduation_year == 2027
    assert sorted(applicant.tags.values_list("name", flat=True)) == ["英語可", "要フォロー"]
    first = applicant.status_changes.get()
    assert first.from_stage is None and first.to_stage.name == "エントリー"
    assert first.changed_by == world.acme.recruiter
    assert AuditEntry.objects.filter(action="applicant.created", target_id=str(applicant.pk)).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", "氏名を入力してください。"),
        ("name_kana", "山田", "フリガナはカタカナで入力してください。"),
        ("email", "taro@", "メールアドレスの形式が正しくありません。"),
        ("phone", "12-34", "電話番号の形式が正しくありません"),
        ("graduation_year", "27", "卒業年は西暦4桁で入力してください"),
        ("applied_on", "", "このフィールドは必須です。"),
    ],
)
def test_invalid_values_are_refused_with_a_message(world, as_recruiter, field, value, message):
    response = as_recruiter.post(reverse("applicants:create"), _form(world.acme.company, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Applicant.objects.exists()


def test_a_position_or_stage_of_another_company_is_refused(world, as_recruiter):
    foreign_position = PositionFactory(company=world.other.company)
    foreign_stage = company_stages(world.other.company)[0]
    for override in ({"position": foreign_position.pk}, {"stage": foreign_stage.pk}):
        response = as_recruiter.post(reverse("applicants:create"), _form(world.acme.company, **override))
        assert response.status_code == 200
        assert "正しく選択してください" in response.content.decode()
    assert not Applicant.objects.exists()


def test_same_email_or_phone_warns_and_saves_only_once_confirmed(world, as_recruiter, acme_applicant):
    data = _form(world.acme.company, email="HANAKO.SATO@example.jp", phone="")
    response = as_recruiter.post(reverse("applicants:create"), data)
    content = response.content.decode()
    assert response.status_code == 200
    assert "同じメールアドレスまたは電話番号の応募者が既に登録されています" in content
    assert reverse("applicants:detail", args=[acme_applicant.pk]) in content
    assert Applicant.objects.count() == 1
    by_phone = as_recruiter.post(reverse("applicants:create"), _form(world.acme.company, phone="09011112222"))
    assert "既に登録されています" in by_phone.content.decode()
    confirmed = as_recruiter.post(reverse("applicants:create"), {**data, "confirm_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Applicant.objects.count() == 2


def test_the_same_email_in_another_company_is_not_a_duplicate(world, as_recruiter, other_applicant):
    response = as_recruiter.post(
        reverse("applicants:create"), _form(world.acme.company, email=other_applicant.email)
    )
    assert response.status_code == 302


def test_editing_saves_changes_and_audits_field_names_not_values(world, as_recruiter, acme_applicant):
    url = reverse("applicants:edit", args=[acme_applicant.pk])
    form = as_recruiter.get(url).context["form"]
    assert form.initial["name"] == "佐藤 花子"
    data = _form(world.acme.company, name="佐藤 花", email="hanako.sato@example.jp", phone="090-1111-2222")
    response = as_recruiter.post(url, data)
    assert response.status_code == 302
    acme_applicant.refresh_from_db()
    assert acme_applicant.name == "佐藤 花"
    assert acme_applicant.name_key == "佐藤花"
    entry = AuditEntry.objects.get(action="applicant.updated")
    assert "name" in entry.details["fields"]
    assert "佐藤 花" not in str(entry.details)


def test_editing_does_not_warn_about_the_applicant_itself(world, as_recruiter, acme_applicant):
    url = reverse("applicants:edit", args=[acme_applicant.pk])
    data = _form(world.acme.company, email=acme_applicant.email, phone=acme_applicant.phone)
    assert as_recruiter.post(url, data).status_code == 302


def test_status_change_is_kept_in_history_with_who_and_when(world, as_recruiter, acme_applicant):
    interview = stage_named(world.acme.company, "一次面接")
    url = reverse("applicants:change_status", args=[acme_applicant.pk])
    response = as_recruiter.post(url, {"stage": interview.pk, "comment": "書類通過"})
    assert response.status_code == 302
    acme_applicant.refresh_from_db()
    assert acme_applicant.stage == interview
    change = StatusChange.objects.get(applicant=acme_applicant)
    assert change.from_stage.name == "エントリー"
    assert change.to_stage == interview
    assert change.changed_by == world.acme.recruiter
    assert change.comment == "書類通過"
    assert (timezone.now() - change.created_at).total_seconds() < 60
    entry = AuditEntry.objects.get(action="applicant.status_changed")
    assert entry.details == {"from": "エントリー", "to": "一次面接"}
    detail = as_recruiter.get(reverse("applicants:detail", args=[acme_applicant.pk])).content.decode()
    assert "エントリー → 一次面接" in detail
    assert "書類通過" in detail


def test_choosing_the_current_status_changes_nothing(world, as_recruiter, acme_applicant):
    url = reverse("applicants:change_status", args=[acme_applicant.pk])
    as_recruiter.post(url, {"stage": acme_applicant.stage_id})
    assert not StatusChange.objects.exists()


def test_a_deactivated_or_foreign_status_is_refused(world, as_recruiter, acme_applicant):
    stage = stage_named(world.acme.company, "説明会")
    stage.is_active = False
    stage.save()
    url = reverse("applicants:change_status", args=[acme_applicant.pk])
    as_recruiter.post(url, {"stage": stage.pk})
    as_recruiter.post(url, {"stage": company_stages(world.other.company)[3].pk})
    acme_applicant.refresh_from_db()
    assert acme_applicant.stage.name == "エントリー"
    assert not StatusChange.objects.exists()


def test_memos_appear_on_the_timeline_newest_first(world, as_recruiter, acme_applicant):
    url = reverse("applicants:add_memo", args=[acme_applicant.pk])
    as_recruiter.post(url, {"body": "一次面接の評価: A"})
    as_recruiter.post(url, {"body": ""})  # refused
    detail = as_recruiter.get(reverse("applicants:detail", args=[acme_applicant.pk]))
    items = detail.context["timeline"]
    assert [item.kind for item in items][:1] == ["memo"]
    assert items[0].body == "一次面接の評価: A"
    assert items[0].actor == world.acme.recruiter.display_name
    assert acme_applicant.memos.count() == 1


def test_other_apps_add_items_to_the_timeline_through_the_registry(as_recruiter, acme_applicant, monkeypatch):
    monkeypatch.setattr(timeline.timeline_sources, "_functions", dict(timeline.timeline_sources._functions))

    def bookings(applicant):
        return [
            timeline.TimelineItem(
                at=timezone.now() + datetime.timedelta(minutes=5),
                kind="booking",
                title="一次面接を予約",
                url="/x/",
            )
        ]

    timeline.timeline_sources.register(bookings)
    timeline.timeline_sources.register(bookings)  # twice is once
    detail = as_recruiter.get(reverse("applicants:detail", args=[acme_applicant.pk]))
    kinds = [item.kind for item in detail.context["timeline"]]
    assert kinds.count("booking") == 1  # the applicant has no bookings of their own
    assert kinds[0] == "booking"
    assert '<a href="/x/">一次面接を予約</a>' in detail.content.decode()


def test_the_detail_page_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries, acme_applicant):
    client = client_for(world.acme.recruiter)
    client.get(reverse("applicants:list"))
    for stage in company_stages(world.acme.company)[1:6]:
        client.post(reverse("applicants:change_status", args=[acme_applicant.pk]), {"stage": stage.pk})
        client.post(reverse("applicants:add_memo", args=[acme_applicant.pk]), {"body": stage.name})
    # Session, user, company (twice), applicant, tags, stages and the timeline's sources (status changes,
    # memos, mails, booking log, evaluations, decisions); panels with nothing to show read nothing.
    with django_assert_max_num_queries(13):
        response = client.get(reverse("applicants:detail", args=[acme_applicant.pk]))
    assert len(response.context["history"]) == 5
