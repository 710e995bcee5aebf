"""2段階認証: setting up an authenticator app, signing in with a code or a recovery code, the company's
requirement, the operator policy, and an admin's reset."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEntry, User
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

SETUP = "/accounts/two-factor/setup/"
VERIFY = "/accounts/two-factor/verify/"


def code_for(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for ``secret`` (the key as the setup page prints it)."""
    compact = secret.replace(" ", "")
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time += 30 * steps_ahead
    return f"{totp.token():06d}"


def sign_in(email: str, client: Client | None = None):
    client = client or Client()
    response = client.post(reverse("accounts:login"), {"username": email, "password": TEST_PASSWORD})
    return response, client


def enrol(client: Client) -> tuple[str, list[str]]:
    page = client.get(SETUP).content.decode()
    assert "<svg" in page  # the QR code, drawn here
    secret = re.search(r"data-totp-secret>([A-Z2-7 ]+)<", page).group(1)
    response = client.post(SETUP, {"code": code_for(secret)}, follow=True)
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    return secret, codes


@pytest.fixture
def enrolled_admin(world):
    """The admin with an authenticator app set up: (secret, recovery codes)."""
    _response, client = sign_in("admin@acme.example.com")
    return enrol(client)


def test_setup_shows_a_local_qr_code_and_gives_ten_recovery_codes_once(world, as_recruiter):
    page = as_recruiter.get(SETUP).content.decode()
    assert "<svg" in page and "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    _secret, codes = enrol(as_recruiter)

    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=world.acme.recruiter).confirmed
    assert as_recruiter.get("/accounts/two-factor/recovery-codes/").status_code == 302  # shown only once
    assert AuditEntry.objects.filter(action="user.2fa_enabled", actor=world.acme.recruiter).exists()


def test_a_wrong_code_does_not_confirm_the_app(world, as_recruiter):
    as_recruiter.get(SETUP)

    response = as_recruiter.post(SETUP, {"code": "000000"})

    assert "確認コードが正しくありません" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.acme.recruiter, confirmed=True).exists()


def test_sign_in_asks_for_the_code_and_nothing_opens_before_it(enrolled_admin):
    secret, _codes = enrolled_admin
    response, client = sign_in("admin@acme.example.com")

    assert response["Location"].startswith(VERIFY)
    for path in ("/", "/applicants/", "/users/", "/accounts/two-factor/", "/admin/"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked["Location"].startswith(VERIFY), path
    regenerate = client.post("/accounts/two-factor/recovery-codes/new/")
    assert regenerate.status_code == 302 and regenerate["Location"].startswith(VERIFY)

    client.post(VERIFY, {"code": code_for(secret, steps_ahead=1)})
    assert client.get("/").status_code == 200


def test_a_used_code_cannot_sign_in_again(enrolled_admin):
    secret, _codes = enrolled_admin
    _response, first = sign_in("admin@acme.example.com")
    code = code_for(secret, steps_ahead=1)
    first.post(VERIFY, {"code": code})

    _response, second = sign_in("admin@acme.example.com")
    response = second.post(VERIFY, {"code": code})

    assert "確認コードが正しくありません" in response.content.decode()
    assert second.get("/").status_code == 302


def test_a_recovery_code_signs_in_once(world, enrolled_admin):
    _secret, codes = enrolled_admin
    _response, client = sign_in("admin@acme.example.com")

    response = client.post(VERIFY, {"code": codes[0].upper()[:4] + "-" + codes[0][4:], "next": "/users/"})

    assert response.status_code == 302 and response["Location"] == "/users/"
    assert StaticToken.objects.filter(device__user=world.acme.admin).count() == 9
    entry = AuditEntry.objects.get(action="user.recovery_code_used")
    assert entry.details == {"remaining": 9}
    _response, again = sign_in("admin@acme.example.com")
    assert "確認コードが正しくありません" in again.post(VERIFY, {"code": codes[0]}).content.decode()


def test_the_verify_page_sends_only_to_this_site(enrolled_admin):
    _secret, codes = enrolled_admin
    _response, client = sign_in("admin@acme.example.com")

    response = client.post(VERIFY, {"code": codes[1], "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_the_company_requirement_sends_users_without_an_app_to_setup(world, as_admin):
    response = as_admin.post(reverse("accounts:security_settings"), {"require_two_factor": "on"}, follow=True)
    assert "2段階認証を必須にしました" in response.content.decode()
    assert AuditEntry.objects.filter(action="security.2fa_required").count() == 1

    response, client = sign_in("interviewer@acme.example.com")
    assert response["Location"].startswith(SETUP)
    assert client.get("/applicants/")["Location"].startswith(SETUP)
    enrol(client)
    assert client.get("/").status_code == 200

    _response, other_company = sign_in("interviewer@other.example.com")
    assert other_company.get("/").status_code == 200  # another company's setting


def test_a_required_app_cannot_be_turned_off(world, enrolled_admin):
    secret, _codes = enrolled_admin
    world.acme.company.require_two_factor = True
    world.acme.company.save()
    _response, client = sign_in("admin@acme.example.com")
    client.post(VERIFY, {"code": code_for(secret, steps_ahead=1)})

    response = client.post(
        "/accounts/two-factor/disable/", {"code": code_for(secret, steps_ahead=2)}, follow=True
    )

    assert "無効にできません" in response.content.decode()
    assert TOTPDevice.objects.filter(user=world.acme.admin).exists()


def test_a_user_turns_an_optional_app_off_with_a_code(world, enrolled_admin):
    secret, _codes = enrolled_admin
    _response, client = sign_in("admin@acme.example.com")
    client.post(VERIFY, {"code": code_for(secret, steps_ahead=1)})

    client.post("/accounts/two-factor/disable/", {"code": code_for(secret, steps_ahead=2)})

    assert not TOTPDevice.objects.filter(user=world.acme.admin).exists()
    _response, later = sign_in("admin@acme.example.com")
    assert later.get("/").status_code == 200


def test_an_admin_resets_a_users_app_with_an_audit_entry(world, as_admin):
    _response, recruiter = sign_in("recruiter@acme.example.com")
    enrol(recruiter)
    user_page = as_admin.get(reverse("accounts:user_edit", args=[world.acme.recruiter.pk])).content.decode()
    assert "2段階認証をリセット" in user_page

    as_admin.post(reverse("accounts:user_two_factor_reset", args=[world.acme.recruiter.pk]))

    assert not TOTPDevice.objects.filter(user=world.acme.recruiter).exists()
    assert not StaticToken.objects.filter(device__user=world.acme.recruiter).exists()
    entry = AuditEntry.objects.get(action="user.2fa_reset")
    assert entry.actor == world.acme.admin and entry.target_id == str(world.acme.recruiter.pk)
    _response, again = sign_in("recruiter@acme.example.com")
    assert again.get("/").status_code == 200  # not required by the company: signs in with the password


def test_reset_is_for_the_admin_of_the_same_company(world, as_admin, as_recruiter):
    other = world.other.recruiter
    TOTPDevice.objects.create(user=other, name="authenticator", confirmed=True)

    assert as_admin.post(reverse("accounts:user_two_factor_reset", args=[other.pk])).status_code == 404
    target = world.acme.interviewer
    assert as_recruiter.post(reverse("accounts:user_two_factor_reset", args=[target.pk])).status_code == 403
    assert TOTPDevice.objects.filter(user=other).exists()


def test_user_management_shows_who_has_set_it_up(world, as_admin, django_assert_max_num_queries):
    TOTPDevice.objects.create(user=world.acme.recruiter, name="authenticator", confirmed=True)

    with django_assert_max_num_queries(8):
        page = as_admin.get(reverse("accounts:user_list")).content.decode()

    assert page.count("設定済み") == 1 and page.count("未設定") == 2


def test_operators_always_need_it_in_production(db, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_OPERATORS = True
    User.objects.create_superuser(email="operator@example.com", password=TEST_PASSWORD)

    response, client = sign_in("operator@example.com")

    assert response["Location"].startswith(SETUP)
    assert client.get("/admin/")["Location"].startswith(SETUP)
    enrol(client)
    assert client.get("/admin/").status_code == 200


def test_operators_reset_an_app_in_the_django_admin(world):
    operator = User.objects.create_superuser(email="operator@example.com", password=TEST_PASSWORD)
    TOTPDevice.objects.create(user=world.acme.recruiter, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(operator)

    client.post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [world.acme.recruiter.pk]}
    )

    assert not TOTPDevice.objects.filter(user=world.acme.recruiter).exists()
    assert AuditEntry.objects.filter(action="user.2fa_reset", actor=operator).exists()
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404  # keys are never shown


def test_the_english_screens(world, as_recruiter):
    as_recruiter.cookies["django_language"] = "en"

    page = as_recruiter.get(SETUP, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Two-step verification" in page
