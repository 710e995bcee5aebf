import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_with_email_and_password_lands_on_dashboard(world):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "ADMIN@acme.example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    page = client.get(reverse("dashboard"))
    assert "株式会社アクメ" in page.content.decode()


def test_login_with_wrong_password_shows_japanese_error(world):
    response = Client().post(
        reverse("accounts:login"), {"username": "admin@acme.example.com", "password": "x"}
    )
    assert response.status_code == 200
    assert "メールアドレスまたはパスワードが正しくありません。" in response.content.decode()


def test_login_is_throttled_after_repeated_failures_even_with_right_password(world, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "admin@acme.example.com", "password": "wrong"})
    response = client.post(
        reverse("accounts:login"), {"username": "admin@acme.example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert "しばらくの間ログインできません" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_user_is_sent_to_login(db):
    response = Client().get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_logout_requires_post_and_ends_the_session(as_admin):
    assert as_admin.get(reverse("accounts:logout")).status_code == 405
    as_admin.post(reverse("accounts:logout"))
    assert as_admin.get(reverse("dashboard")).status_code == 302


def test_password_reset_mails_a_working_link(world):
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": "recruiter@acme.example.com"})
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/accounts/password/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-much-better-pass-42", "new_password2": "a-much-better-pass-42"},
    )
    assert response.status_code == 302
    assert client.login(username="recruiter@acme.example.com", password="a-much-better-pass-42")


def test_password_change_rejects_weak_password(as_recruiter):
    response = as_recruiter.post(
        reverse("accounts:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "12345", "new_password2": "12345"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
