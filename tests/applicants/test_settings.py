"""Per-company lists: 選考ステータス (管理者), 募集職種 and 応募経路 (採用担当)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from applicants.models import Position, SelectionStage, Source
from applicants.selectors import company_stages
from tests.applicants.factories import ApplicantFactory, PositionFactory, stage_named
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

DEFAULT_STAGE_NAMES = [
    "エントリー", "説明会", "書類選考", "一次面接", "二次面接", "最終面接",
    "内定", "内定承諾", "入社", "不合格", "辞退",
]  # fmt: skip


def test_a_company_gets_the_japanese_default_stages_and_sources_on_first_use(world, as_recruiter):
    assert not SelectionStage.objects.filter(company=world.acme.company).exists()
    content = as_recruiter.get(reverse("applicants:settings")).content.decode()
    names = list(SelectionStage.objects.filter(company=world.acme.company).values_list("name", flat=True))
    assert names == DEFAULT_STAGE_NAMES
    assert "マイナビ" in Source.objects.filter(company=world.acme.company).values_list("name", flat=True)
    assert "変更できるのは管理者だけです" in content
    assert not SelectionStage.objects.filter(company=world.other.company).exists()
    company_stages(world.acme.company)  # a second call creates nothing more
    assert SelectionStage.objects.filter(company=world.acme.company).count() == 11


def test_admin_adds_renames_reorders_and_deactivates_stages_with_audit(world, as_admin):
    add = reverse("applicants:stage_add")
    as_admin.post(add, {"name": "適性検査", "kind": "in_progress"})
    stage = SelectionStage.objects.get(company=world.acme.company, name="適性検査")
    assert company_stages(world.acme.company)[-1] == stage
    as_admin.post(reverse("applicants:stage_move", args=[stage.pk]), {"direction": "up"})
    assert [s.name for s in company_stages(world.acme.company)][-2:] == ["適性検査", "辞退"]
    edit = reverse("applicants:stage_edit", args=[stage.pk])
    response = as_admin.post(edit, {"name": "適性検査（SPI）", "kind": "in_progress", "is_active": ""})
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.is_active) == ("適性検査（SPI）", False)
    actions = list(
        AuditEntry.objects.filter(action__startswith="applicant.setting").values_list("action", flat=True)
    )
    assert sorted(actions) == [
        "applicant.setting_added",
        "applicant.setting_changed",
        "applicant.setting_reordered",
    ]
    changed = AuditEntry.objects.get(action="applicant.setting_changed")
    assert changed.details["changes"]["name"] == ["適性検査", "適性検査（SPI）"]
    assert changed.actor == world.acme.admin


def test_a_renamed_stage_keeps_its_applicants_and_history(world, as_admin):
    stage = stage_named(world.acme.company, "一次面接")
    applicant = ApplicantFactory(company=world.acme.company, stage=stage)
    as_admin.post(
        reverse("applicants:stage_edit", args=[stage.pk]),
        {"name": "1次面接", "kind": "in_progress", "is_active": "on"},
    )
    applicant.refresh_from_db()
    assert applicant.stage.name == "1次面接"


def test_the_last_active_stage_cannot_be_deactivated(world, as_admin):
    stages = company_stages(world.acme.company)
    SelectionStage.objects.filter(pk__in=[s.pk for s in stages[1:]]).update(is_active=False)
    response = as_admin.post(
        reverse("applicants:stage_edit", args=[stages[0].pk]),
        {"name": "エントリー", "kind": "in_progress"},
    )
    assert "有効な選考ステータスが1つもなくなるため" in response.content.decode()
    stages[0].refresh_from_db()
    assert stages[0].is_active


def test_a_name_already_in_the_list_is_refused(world, as_admin):
    company_stages(world.acme.company)
    response = as_admin.post(reverse("applicants:stage_add"), {"name": "内定", "kind": "offer"}, follow=True)
    assert "「内定」は既にあります。" in response.content.decode()
    assert SelectionStage.objects.filter(company=world.acme.company, name="内定").count() == 1


def test_recruiters_manage_positions_and_sources_but_not_stages(world, as_recruiter):
    as_recruiter.post(reverse("applicants:choice_add", args=["positions"]), {"name": "経理"})
    as_recruiter.post(reverse("applicants:choice_add", args=["sources"]), {"name": "Wantedly"})
    assert Position.objects.filter(company=world.acme.company, name="経理").exists()
    assert Source.objects.filter(company=world.acme.company, name="Wantedly").exists()
    response = as_recruiter.post(reverse("applicants:stage_add"), {"name": "勝手に追加"})
    assert response.status_code == 403
    assert not SelectionStage.objects.filter(name="勝手に追加").exists()


def test_a_deactivated_position_is_not_offered_for_new_applicants_but_kept_on_old_ones(world, as_recruiter):
    old = PositionFactory(company=world.acme.company, name="旧職種", is_active=False)
    applicant = ApplicantFactory(company=world.acme.company, position=old)
    create_form = as_recruiter.get(reverse("applicants:create")).context["form"]
    assert old not in create_form.fields["position"].queryset
    edit_form = as_recruiter.get(reverse("applicants:edit", args=[applicant.pk])).context["form"]
    assert old in edit_form.fields["position"].queryset


def test_an_unknown_list_name_is_not_found(world):
    response = client_for(world.acme.admin).post("/applicants/settings/users/add/", {"name": "x"})
    assert response.status_code == 404
