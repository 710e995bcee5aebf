"""The password-reset mail's link is built from settings.SITE_URL, never from the request's Host header (a
client chooses it: a poisoned Host would mail the victim a link to the attacker's site, token included)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

SITE_URL = "https://ats.example.jp"


def reset_link(body: str) -> str:
    return next(line.strip() for line in body.splitlines() if "/accounts/password/reset/" in line)


@override_settings(SITE_URL=SITE_URL, ALLOWED_HOSTS=["testserver", "evil.example"])
@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_the_reset_link_starts_with_site_url_whatever_the_host_header(world, secure):
    client = Client()

    response = client.post(
        reverse("accounts:password_reset"),
        {"email": "recruiter@acme.example.com"},
        HTTP_HOST="evil.example",
        secure=secure,
    )

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    link = reset_link(message.body)
    assert link.startswith(f"{SITE_URL}/accounts/password/reset/"), link
    assert "evil.example" not in message.body and "evil.example" not in message.subject


@override_settings(SITE_URL=SITE_URL)
def test_the_site_url_link_opens_the_new_password_form(world):
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": "recruiter@acme.example.com"})

    path = reset_link(mail.outbox[0].body).removeprefix(SITE_URL)
    page = client.get(path, follow=True)

    assert page.status_code == 200 and 'name="new_password1"' in page.content.decode()
