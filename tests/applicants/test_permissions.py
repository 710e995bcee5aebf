"""Every view × role, anonymous users, and another company's records."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applicants.models import Applicant, ApplicantImport
from applicants.selectors import company_stages
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def _views(applicant, stage, position_kind="positions"):
    """(method, url, data) for every applicants page, pointed at ``applicant`` / ``stage``."""
    pk = applicant.pk
    return {
        "list": ("get", reverse("applicants:list"), None),
        "create": ("get", reverse("applicants:create"), None),
        "detail": ("get", reverse("applicants:detail", args=[pk]), None),
        "edit": ("get", reverse("applicants:edit", args=[pk]), None),
        "edit_post": ("post", reverse("applicants:edit", args=[pk]), {"name": "改ざん"}),
        "change_status": ("post", reverse("applicants:change_status", args=[pk]), {"stage": stage.pk}),
        "add_memo": ("post", reverse("applicants:add_memo", args=[pk]), {"body": "メモ"}),
        "anonymize": ("get", reverse("applicants:anonymize", args=[pk]), None),
        "anonymize_post": ("post", reverse("applicants:anonymize", args=[pk]), {}),
        "bulk_status": ("post", reverse("applicants:bulk_status"), {"ids": [pk], "stage": stage.pk}),
        "export": ("get", reverse("applicants:export"), None),
        "export_selection": ("post", reverse("applicants:export"), {"ids": [pk]}),
        "import": ("get", reverse("applicants:import"), None),
        "import_template": ("get", reverse("applicants:import_template"), None),
        "settings": ("get", reverse("applicants:settings"), None),
        "stage_add": ("post", reverse("applicants:stage_add"), {"name": "適性検査"}),
        "stage_edit": ("get", reverse("applicants:stage_edit", args=[stage.pk]), None),
        "stage_move": (
            "post",
            reverse("applicants:stage_move", args=[stage.pk]),
            {"direction": "up"},
        ),
        "position_add": ("post", reverse("applicants:choice_add", args=[position_kind]), {"name": "経理"}),
    }


ALLOWED = {
    "admin": {
        "list": 200, "create": 200, "detail": 200, "edit": 200, "edit_post": 200, "change_status": 302,
        "add_memo": 302, "anonymize": 200, "anonymize_post": 302, "bulk_status": 302, "export": 200,
        "export_selection": 200, "import": 200, "import_template": 200, "settings": 200, "stage_add": 302,
        "stage_edit": 200, "stage_move": 302, "position_add": 302,
    },
    "recruiter": {
        "list": 200, "create": 200, "detail": 200, "edit": 200, "edit_post": 200, "change_status": 302,
        "add_memo": 302, "anonymize": 200, "anonymize_post": 302, "bulk_status": 302, "export": 200,
        "export_selection": 200, "import": 200, "import_template": 200, "settings": 200, "stage_add": 403,
        "stage_edit": 403, "stage_move": 403, "position_add": 302,
    },
    # 面接官: reads the list (empty until bookings exist); the unbooked applicant is invisible (404).
    "interviewer": {
        "list": 200, "create": 403, "detail": 404, "edit": 403, "edit_post": 403, "change_status": 403,
        "add_memo": 403, "anonymize": 403, "anonymize_post": 403, "bulk_status": 403, "export": 403,
        "export_selection": 403, "import": 403, "import_template": 403, "settings": 403, "stage_add": 403,
        "stage_edit": 403, "stage_move": 403, "position_add": 403,
    },
}  # fmt: skip


@pytest.mark.parametrize("role", ["admin", "recruiter", "interviewer"])
@pytest.mark.parametrize("view", sorted(ALLOWED["admin"]))
def test_each_view_answers_each_role_as_designed(world, acme_applicant, role, view):
    stage = company_stages(world.acme.company)[3]
    method, url, data = _views(acme_applicant, stage)[view]
    response = getattr(client_for(world.acme.user(role)), method)(url, data or {})
    assert response.status_code == ALLOWED[role][view]


@pytest.mark.parametrize("view", sorted(ALLOWED["admin"]))
def test_anonymous_visitors_are_sent_to_the_login_page(client, acme_applicant, view):
    stage = company_stages(acme_applicant.company)[1]
    method, url, data = _views(acme_applicant, stage)[view]
    response = getattr(client, method)(url, data or {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "view", ["detail", "edit", "edit_post", "change_status", "add_memo", "anonymize", "anonymize_post"]
)
def test_another_companys_applicant_answers_404_and_stays_unchanged(world, other_applicant, view):
    stage = company_stages(world.acme.company)[3]
    method, url, data = _views(other_applicant, stage)[view]
    response = getattr(client_for(world.acme.admin), method)(url, data or {})
    assert response.status_code == 404
    other_applicant.refresh_from_db()
    assert other_applicant.name == "他社 応募者"
    assert other_applicant.anonymized_at is None
    assert other_applicant.status_changes.count() == 0
    assert other_applicant.memos.count() == 0


def test_another_companys_stage_cannot_be_edited_or_moved(world):
    foreign = company_stages(world.other.company)[0]
    admin = client_for(world.acme.admin)
    assert admin.get(reverse("applicants:stage_edit", args=[foreign.pk])).status_code == 404
    response = admin.post(reverse("applicants:stage_edit", args=[foreign.pk]), {"name": "乗っ取り"})
    assert response.status_code == 404
    move = admin.post(reverse("applicants:stage_move", args=[foreign.pk]), {"direction": "down"})
    assert move.status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "エントリー"


def test_another_users_import_draft_is_not_found(world):
    draft = ApplicantImport.objects.create(
        company=world.acme.company,
        created_by=world.acme.admin,
        file_name="a.csv",
        content=b"\xe6\xb0\x8f\xe5\x90\x8d\n",
    )
    url = reverse("applicants:import_preview", args=[draft.pk])
    assert client_for(world.acme.recruiter).get(url).status_code == 404
    assert client_for(world.other.admin).get(url).status_code == 404
    assert client_for(world.acme.recruiter).post(url, {"confirm": "1"}).status_code == 404
    assert client_for(world.acme.admin).get(url).status_code == 200
    assert Applicant.objects.count() == 0
