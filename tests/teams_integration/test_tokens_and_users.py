"""The application token (fetched only when needed, serialized per connection), consent withdrawal
(エラー（再認可が必要）, one mail to the admins), the users sync (paging, users gone), no token in logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEntry
from teams_integration import services
from teams_integration.client import TeamsReauthorizationRequired
from teams_integration.models import ConnectionStatus, TeamsConnection, TeamsUser
from tests.helpers import client_for
from tests.teams_integration.helpers import SEEDED_USERS, TEAMS, link_via_views
from web_meetings.crypto import decrypt_token

pytestmark = pytest.mark.django_db


def client_credential_calls(ms) -> int:
    return sum(
        1
        for r in ms.recorded
        if r.path.endswith("/oauth2/v2.0/token") and r.form().get("grant_type") == "client_credentials"
    )


def expire(connection: TeamsConnection) -> TeamsConnection:
    connection.expires_at = timezone.now() + timedelta(minutes=1)
    connection.save(update_fields=["expires_at"])
    return connection


def test_a_fresh_token_is_used_without_asking_microsoft(linked, ms):
    before = client_credential_calls(ms)

    token = services.get_app_token(linked)

    assert token == decrypt_token(linked.access_token_encrypted)
    assert client_credential_calls(ms) == before


def test_an_expiring_token_is_replaced_once_and_stored_encrypted(linked, ms):
    old = decrypt_token(linked.access_token_encrypted)
    expire(linked)
    before = client_credential_calls(ms)

    token = services.get_app_token(linked)
    again = services.get_app_token(TeamsConnection.objects.get(pk=linked.pk))

    assert token != old and again == token
    assert client_credential_calls(ms) == before + 1
    stored = TeamsConnection.objects.get(pk=linked.pk)
    assert token not in stored.access_token_encrypted
    assert stored.expires_at > timezone.now() + timedelta(minutes=50)


def test_a_worker_that_waited_for_the_lock_uses_the_token_another_worker_fetched(linked, ms):
    """A stale in-memory row (read before another worker refreshed) re-reads under the lock."""
    stale = TeamsConnection.objects.get(pk=linked.pk)
    rejected = decrypt_token(stale.access_token_encrypted)
    fresh = services.get_app_token(linked, rejected_token=rejected)  # the other worker's refresh
    before = client_credential_calls(ms)

    token = services.get_app_token(stale, rejected_token=rejected)

    assert token == fresh
    assert client_credential_calls(ms) == before


def test_withdrawn_consent_puts_the_link_in_error_and_mails_the_admins_once(
    linked, ms, teams_world, django_capture_on_commit_callbacks
):
    ms.revoke_consent()
    expire(linked)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(TeamsReauthorizationRequired) as first:
            services.get_app_token(linked)
        with pytest.raises(TeamsReauthorizationRequired):
            services.get_app_token(TeamsConnection.objects.get(pk=linked.pk))

    connection = TeamsConnection.objects.get(pk=linked.pk)
    assert connection.status == ConnectionStatus.ERROR and connection.access_token_encrypted == ""
    assert "AADSTS700016" in connection.last_error and "AADSTS700016" in first.value.message
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [teams_world.acme.admin.email]
    assert "Microsoft Teams連携の再認可が必要です" in mail.outbox[0].subject
    assert AuditEntry.objects.filter(action="teams.reauthorization_required").count() == 1
    page = client_for(teams_world.acme.recruiter).get(TEAMS).content.decode()
    assert "エラー（再認可が必要）" in page
    banner = "Microsoft Teams連携が「エラー（再認可が必要）」の状態です"
    assert banner in client_for(teams_world.acme.admin).get("/").content.decode()  # every page, for admins
    assert banner not in client_for(teams_world.acme.recruiter).get("/").content.decode()
    assert banner not in client_for(teams_world.other.admin).get("/").content.decode()


def test_graph_rejecting_a_valid_looking_token_after_a_fresh_one_is_reauthorization(
    linked, ms, django_capture_on_commit_callbacks
):
    ms.revoke_consent()  # the stored token is not expired on our side, Graph answers 401

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TeamsReauthorizationRequired):
        services.sync_teams_users(connection=linked)

    assert TeamsConnection.objects.get(pk=linked.pk).status == ConnectionStatus.ERROR
    assert len(mail.outbox) == 1


def test_relinking_after_an_error_links_again(linked, ms, teams_world, django_capture_on_commit_callbacks):
    ms.revoke_consent()
    expire(linked)
    with pytest.raises(TeamsReauthorizationRequired):
        services.get_app_token(linked)

    with django_capture_on_commit_callbacks(execute=True):
        page = link_via_views(ms, teams_world.acme.admin)

    assert "連携中" in page.content.decode()
    assert TeamsConnection.objects.get(pk=linked.pk).status == ConnectionStatus.LINKED


def test_users_sync_follows_every_page_and_marks_users_gone(linked, ms, monkeypatch, teams_world):
    company = teams_world.acme.company
    TeamsUser.objects.create(company=company, user_id="gone-user", email="gone@sample.example.com")
    monkeypatch.setattr(services, "USERS_PAGE_SIZE", 2)
    ms.recorded.clear()

    result = services.sync_teams_users(connection=linked)

    calls = [r for r in ms.recorded if r.path.lower() == "/v1.0/users"]
    assert len(calls) == 3  # 5 users, 2 a page
    assert calls[0].query["$select"] == "id,displayName,mail,userPrincipalName,accountEnabled"
    assert calls[0].headers["Authorization"].startswith("Bearer ")
    assert result.total == SEEDED_USERS and result.left == 1
    assert not TeamsUser.objects.get(company=company, user_id="gone-user").in_tenant
    former = TeamsUser.objects.get(company=company, email="former-user@sample.example.com")
    assert not former.account_enabled and not former.can_host


def test_the_sync_button_is_for_admins(linked, teams_world, ms):
    from django.urls import reverse

    page = client_for(teams_world.acme.admin).post(reverse("teams_integration:users_sync"), follow=True)

    assert "Microsoft Teamsユーザーを同期しました" in page.content.decode()
    assert AuditEntry.objects.filter(action="teams.users_synced", actor=teams_world.acme.admin).exists()


def test_no_token_or_secret_reaches_a_log_line(
    teams_world, ms, caplog, settings, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        link_via_views(ms, teams_world.acme.admin)
    connection = TeamsConnection.objects.get(company=teams_world.acme.company)
    token = decrypt_token(connection.access_token_encrypted)
    ms.revoke_consent()
    expire(connection)
    with pytest.raises(TeamsReauthorizationRequired) as failure:
        services.get_app_token(connection)

    assert token and token not in caplog.text
    assert settings.MICROSOFT_CLIENT_SECRET not in caplog.text
    assert token not in str(failure.value) and settings.MICROSOFT_CLIENT_SECRET not in str(failure.value)
    assert "teams: company" in caplog.text  # the log ran
