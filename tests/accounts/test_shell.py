import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NAV = {
    "admin": [
        "ダッシュボード",
        "マイ面接",
        "カレンダー",
        "応募者",
        "選考会設定",
        "合否連絡",
        "レポート",
        "Web面接連携サービス",
        "メール設定",
        "ユーザー管理",
        "操作ログ",
    ],
    "recruiter": [
        "ダッシュボード",
        "マイ面接",
        "カレンダー",
        "応募者",
        "選考会設定",
        "合否連絡",
        "レポート",
        "Web面接連携サービス",
        "メール設定",
    ],
    "interviewer": ["ダッシュボード", "マイ面接", "カレンダー", "応募者"],
}


@pytest.mark.parametrize("role", ["admin", "recruiter", "interviewer"])
def test_navigation_shows_what_the_role_may_open(world, role):
    response = client_for(world.acme.user(role)).get(reverse("dashboard"))
    labels = [str(item["label"]) for item in response.context["nav_items"]]
    assert labels == NAV[role]
    for item in response.context["nav_items"]:
        assert client_for(world.acme.user(role)).get(item["url"]).status_code == 200


def test_operator_without_company_gets_403_on_product_pages(db):
    from accounts.models import User

    operator = User.objects.create_superuser(email="op@example.com", password="x-very-long-pass")
    assert client_for(operator).get(reverse("dashboard")).status_code == 403


def test_pages_are_japanese_by_default_and_english_on_request(as_admin):
    page = as_admin.get(reverse("accounts:user_list")).content.decode()
    assert "ユーザー管理" in page
    assert '<html lang="ja">' in page
    as_admin.post(reverse("set_language"), {"language": "en", "next": "/users/"})
    page = as_admin.get(reverse("accounts:user_list")).content.decode()
    assert '<html lang="en">' in page
    assert "User management" in page
    assert "Dashboard" in page


def test_compiled_english_catalog_translates_labels():
    with translation.override("en"):
        assert translation.gettext("ダッシュボード") == "Dashboard"
        assert translation.gettext("操作ログ") == "Audit log"


def test_pages_send_a_strict_content_security_policy(as_admin):
    response = as_admin.get(reverse("dashboard"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"


def test_times_are_shown_in_the_company_time_zone(as_admin, world):
    from datetime import UTC, datetime

    from accounts.audit import record_audit
    from accounts.models import AuditEntry

    entry = record_audit(action="user.updated", actor=world.acme.admin, target=world.acme.recruiter)
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
    assert "2026/01/01 09:30:00" in as_admin.get(reverse("accounts:audit_log")).content.decode()


def test_healthz_reports_database_ok(db, settings):
    settings.CELERY_BROKER_URL = ""
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True}}


def test_healthz_checks_the_broker_when_one_is_configured(db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    import redis

    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True}


def test_healthz_reports_broker_down_as_503(db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "broker": False}


def test_production_settings_refuse_to_start_without_secret_key():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "e2rpro.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_unmocked_outbound_http_fails_the_test():
    import requests

    from tests.helpers import OutboundNetworkBlocked

    with pytest.raises((OutboundNetworkBlocked, requests.ConnectionError)) as info:
        requests.get("https://api.zoom.us/v2/users/me", timeout=2)
    assert "mock it" in str(info.value) or isinstance(info.value.__context__, OutboundNetworkBlocked)
