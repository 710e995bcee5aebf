import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry, Role, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url_name", "args"),
    [("accounts:user_list", []), ("accounts:user_create", []), ("accounts:audit_log", [])],
)
@pytest.mark.parametrize(("role", "expected"), [("admin", 200), ("recruiter", 403), ("interviewer", 403)])
def test_user_pages_are_for_admins_only(world, role, expected, url_name, args):
    from tests.helpers import client_for

    client = client_for(world.acme.user(role))
    assert client.get(reverse(url_name, args=args)).status_code == expected


def test_user_list_shows_only_own_company(as_admin):
    content = as_admin.get(reverse("accounts:user_list")).content.decode()
    assert "recruiter@acme.example.com" in content
    assert "other.example.com" not in content


def test_editing_another_companys_user_answers_404(as_admin, world):
    url = reverse("accounts:user_edit", args=[world.other.recruiter.pk])
    assert as_admin.get(url).status_code == 404
    response = as_admin.post(url, {"name": "x", "role": "admin", "is_active": "on"})
    assert response.status_code == 404
    world.other.recruiter.refresh_from_db()
    assert world.other.recruiter.role == Role.RECRUITER


def test_admin_invites_a_user_who_gets_a_set_password_mail(
    as_admin, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(
            reverse("accounts:user_create"),
            {
                "name": "新人 次郎",
                "email": "New@acme.example.com",
                "role": "interviewer",
                "send_invitation": "on",
            },
        )
    assert response.status_code == 302
    user = User.objects.get(email="new@acme.example.com")
    assert user.company == world.acme.company
    assert user.role == Role.INTERVIEWER
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/" in mail.outbox[0].body
    assert AuditEntry.objects.filter(
        action="user.invited", target_id=str(user.pk), company=world.acme.company
    ).exists()


def test_create_with_password_requires_a_strong_one(as_admin):
    response = as_admin.post(
        reverse("accounts:user_create"), {"name": "a", "email": "weak@acme.example.com", "role": "recruiter"}
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@acme.example.com").exists()
    response = as_admin.post(
        reverse("accounts:user_create"),
        {"name": "a", "email": "weak@acme.example.com", "role": "recruiter", "password": "password"},
    )
    assert not User.objects.filter(email="weak@acme.example.com").exists()


def test_duplicate_email_is_refused_with_a_message(as_admin):
    response = as_admin.post(
        reverse("accounts:user_create"),
        {"name": "a", "email": "recruiter@other.example.com", "role": "recruiter", "send_invitation": "on"},
    )
    assert "既に登録されています" in response.content.decode()


def test_admin_changes_role_and_deactivates_with_audit(as_admin, world):
    url = reverse("accounts:user_edit", args=[world.acme.recruiter.pk])
    as_admin.post(url, {"name": "採用 変更", "role": "interviewer", "is_active": "on"})
    world.acme.recruiter.refresh_from_db()
    assert world.acme.recruiter.role == Role.INTERVIEWER
    as_admin.post(url, {"name": "採用 変更", "role": "interviewer"})
    world.acme.recruiter.refresh_from_db()
    assert not world.acme.recruiter.is_active
    actions = list(
        AuditEntry.objects.filter(target_id=str(world.acme.recruiter.pk)).values_list("action", flat=True)
    )
    assert set(actions) == {"user.updated", "user.deactivated"}


@pytest.mark.parametrize("change", [{"role": "recruiter", "is_active": "on"}, {"role": "admin"}])
def test_last_admin_cannot_be_demoted_or_deactivated(as_admin, world, change):
    url = reverse("accounts:user_edit", args=[world.acme.admin.pk])
    response = as_admin.post(url, {"name": "管理", **change})
    assert response.status_code == 200
    assert "最後の管理者" in response.content.decode()
    world.acme.admin.refresh_from_db()
    assert world.acme.admin.role == Role.ADMIN
    assert world.acme.admin.is_active


def test_admin_can_be_demoted_when_another_admin_exists(as_admin, world):
    world.acme.recruiter.role = Role.ADMIN
    world.acme.recruiter.save()
    as_admin.post(
        reverse("accounts:user_edit", args=[world.acme.admin.pk]),
        {"name": "x", "role": "recruiter", "is_active": "on"},
    )
    world.acme.admin.refresh_from_db()
    assert world.acme.admin.role == Role.RECRUITER


def test_deactivated_user_cannot_log_in(world):
    from django.test import Client

    from tests.factories import TEST_PASSWORD

    world.acme.recruiter.is_active = False
    world.acme.recruiter.save()
    assert not Client().login(username="recruiter@acme.example.com", password=TEST_PASSWORD)


def test_the_invitation_subject_stays_on_one_line_whatever_the_company_name(
    world, as_admin, django_capture_on_commit_callbacks
):
    world.acme.company.name = "アクメ\r商事\u2028本社"
    world.acme.company.save()

    with django_capture_on_commit_callbacks(execute=True):
        as_admin.post(
            "/users/new/",
            {"name": "新人", "email": "new@acme.example.com", "role": "recruiter", "send_invitation": "on"},
        )

    assert len(mail.outbox) == 1
    assert "アクメ 商事 本社" in mail.outbox[0].subject
