"""The Zoom link against the local Zoom emulator: link, bad callbacks, refresh rotation, deauthorization,
user paging, and the refresh race over real HTTP on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from tests.helpers import client_for
from web_meetings.crypto import decrypt_token
from zoom_integration import client, services
from zoom_integration.client import ZoomReauthorizationRequired
from zoom_integration.models import ConnectionStatus, WebhookEvent, ZoomConnection, ZoomUser

ZOOM = reverse("zoom_integration:zoom")
AUTHORIZE = reverse("zoom_integration:authorize")
STATUS = reverse("zoom_integration:status")
SEEDED_USERS = 6


def back_at_product(redirect_url: str) -> str:
    """The path + query of the URL Zoom's consent page redirected the browser to."""
    parts = urlsplit(redirect_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://testserver/web-interview/zoom/callback/"
    return f"{parts.path}?{parts.query}"


def link(admin_client, emu, **approve):
    """認可開始 → sign in at Zoom and click Allow → back at the callback; the final response."""
    location = admin_client.post(AUTHORIZE)["Location"]
    return admin_client.get(back_at_product(emu.approve(location, **approve)), follow=True)


def expire_soon(company) -> ZoomConnection:
    connection = ZoomConnection.objects.get(company=company)
    connection.expires_at = timezone.now() + timedelta(minutes=1)
    connection.save(update_fields=["expires_at"])
    return connection


@pytest.mark.django_db(transaction=True)
def test_an_admin_links_zoom_removes_the_app_in_the_marketplace_and_links_again(world, zoom_emulator):
    admin = client_for(world.acme.admin)

    page = link(admin, zoom_emulator)

    content = page.content.decode()
    assert page.redirect_chain[-1][0] == ZOOM
    assert "連携中" in content and zoom_emulator.account_id in content
    assert zoom_emulator.admin_email in content
    assert page.context["zoom"].user_count == SEEDED_USERS
    for email in (
        "recruiter@demo.example.com",
        "interviewer@demo.example.com",
        "pending-user@sample.example.com",
    ):
        assert email in content
    token_request = next(r for r in zoom_emulator.requests if r.path == "/oauth/token")
    assert token_request.form()["grant_type"] == "authorization_code"
    assert len(token_request.form()["code_verifier"]) >= 43
    assert zoom_emulator.state()["installations"][0]["installed"] is True

    zoom_emulator.remove_app()  # Marketplace → Manage → Added Apps → Remove

    assert ("app_deauthorized", 200) in zoom_emulator.webhook_responses
    assert admin.get(STATUS).json() == {"status": "released"}
    content = admin.get(ZOOM).content.decode()
    assert "連携解除" in content and "連携解除日時" in content and "認可開始" in content
    connection = ZoomConnection.objects.get(company=world.acme.company)
    assert connection.access_token_encrypted == connection.refresh_token_encrypted == ""
    assert not ZoomUser.objects.filter(company=world.acme.company).exists()
    assert AuditEntry.objects.filter(action="zoom.deauthorized", company=world.acme.company).exists()

    again = link(admin, zoom_emulator)

    assert "連携中" in again.content.decode()
    assert ZoomUser.objects.filter(company=world.acme.company).count() == SEEDED_USERS


@pytest.mark.django_db
def test_deny_at_zoom_ends_on_a_clear_page_and_stores_nothing(world, zoom_emulator):
    admin = client_for(world.acme.admin)
    location = admin.post(AUTHORIZE)["Location"]
    response = admin.get(back_at_product(zoom_emulator.approve(location, deny=True)))
    assert response.status_code == 400
    assert "Zoomで認可が拒否されました" in response.content.decode()
    assert not ZoomConnection.objects.exists()
    assert not any(r.path == "/oauth/token" for r in zoom_emulator.requests)


@pytest.mark.django_db
def test_an_expired_code_is_refused_by_zoom_and_ends_on_a_clear_page(world, zoom_emulator):
    admin = client_for(world.acme.admin)
    location = admin.post(AUTHORIZE)["Location"]
    redirect = zoom_emulator.approve(location)
    zoom_emulator.advance(301)  # Zoom's code lives 5 minutes
    response = admin.get(back_at_product(redirect))
    assert response.status_code == 400
    assert "Zoomが認可コードを受け付けませんでした" in response.content.decode()
    assert not ZoomConnection.objects.exists()


@pytest.mark.django_db
def test_a_callback_replayed_with_its_code_is_refused_without_asking_zoom_again(world, zoom_emulator):
    admin = client_for(world.acme.admin)
    location = admin.post(AUTHORIZE)["Location"]
    callback = back_at_product(zoom_emulator.approve(location))
    assert admin.get(callback).status_code == 302
    token_calls = sum(r.path == "/oauth/token" for r in zoom_emulator.requests)
    replay = admin.get(callback)
    assert replay.status_code == 400
    assert "この認可リクエストは無効です" in replay.content.decode()
    assert sum(r.path == "/oauth/token" for r in zoom_emulator.requests) == token_calls
    assert ZoomConnection.objects.get(company=world.acme.company).status == ConnectionStatus.LINKED


@pytest.mark.django_db
def test_a_refresh_rotates_the_pair_and_the_old_refresh_token_is_dead(world, zoom_emulator):
    link(client_for(world.acme.admin), zoom_emulator)
    connection = expire_soon(world.acme.company)
    old_refresh = decrypt_token(connection.refresh_token_encrypted)

    me = client.get_me(connection)

    assert me["account_id"] == zoom_emulator.account_id
    refreshes = [
        r
        for r in zoom_emulator.requests
        if r.path == "/oauth/token" and r.form()["grant_type"] != "authorization_code"
    ]
    assert [r.form() for r in refreshes] == [{"grant_type": "refresh_token", "refresh_token": old_refresh}]
    stored = ZoomConnection.objects.get(pk=connection.pk)
    assert decrypt_token(stored.refresh_token_encrypted) != old_refresh
    assert stored.expires_at > timezone.now() + timedelta(minutes=55)
    with pytest.raises(ZoomReauthorizationRequired):
        client.refresh_tokens(refresh_token=old_refresh)  # rotated: Zoom refuses it now
    assert client.get_me(stored)["id"]  # the saved pair keeps working


@pytest.mark.django_db
def test_an_access_token_expired_at_zoom_is_refreshed_once_on_401_and_the_call_retried(world, zoom_emulator):
    link(client_for(world.acme.admin), zoom_emulator)
    connection = ZoomConnection.objects.get(company=world.acme.company)
    zoom_emulator.clear_requests()
    zoom_emulator.advance(3700)  # our clock still says the token is valid; Zoom's says it expired

    assert client.get_me(connection)["account_id"] == zoom_emulator.account_id

    assert [(r.method, r.path) for r in zoom_emulator.requests] == [
        ("GET", "/v2/users/me"),
        ("POST", "/oauth/token"),
        ("GET", "/v2/users/me"),
    ]


@pytest.mark.django_db
def test_a_removal_whose_webhook_was_lost_surfaces_as_reauthorization_required(
    world, zoom_emulator, django_capture_on_commit_callbacks
):
    admin = client_for(world.acme.admin)
    link(admin, zoom_emulator)
    zoom_emulator.core.remove_app()  # removed in Zoom; the webhook has not arrived (yet)
    connection = expire_soon(world.acme.company)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZoomReauthorizationRequired):
        services.sync_zoom_users(connection=connection)

    stored = ZoomConnection.objects.get(pk=connection.pk)
    assert stored.status == ConnectionStatus.ERROR and "invalid_grant" in stored.last_error
    assert [m.to for m in mail.outbox] == [[world.acme.admin.email]]
    assert (
        "Zoom連携が「エラー（再認可が必要）」の状態です" in admin.get(reverse("dashboard")).content.decode()
    )
    # When the webhook finally arrives, the link goes from error to released.
    with django_capture_on_commit_callbacks(execute=True):
        assert zoom_emulator.deliver_webhooks() == [("app_deauthorized", 200)]
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.RELEASED


@pytest.mark.django_db
def test_unlink_revokes_at_zoom_and_the_resulting_webhook_finds_nothing_left(
    world, zoom_emulator, django_capture_on_commit_callbacks
):
    admin = client_for(world.acme.admin)
    link(admin, zoom_emulator)

    page = admin.post(reverse("zoom_integration:unlink"), follow=True).content.decode()

    assert "Zoom連携を解除しました" in page and "確認できませんでした" not in page
    revoke = next(r for r in zoom_emulator.requests if r.path == "/oauth/revoke")
    assert revoke.form()["token"]
    assert zoom_emulator.state()["installations"][0]["installed"] is False
    with django_capture_on_commit_callbacks(execute=True):
        assert zoom_emulator.deliver_webhooks() == [("app_deauthorized", 200)]
    assert WebhookEvent.objects.get(event="app_deauthorized").result == "released 0"
    assert AuditEntry.objects.filter(action="zoom.unlinked").count() == 1
    assert not AuditEntry.objects.filter(action="zoom.deauthorized").exists()


@pytest.mark.django_db
def test_user_sync_reads_every_page_and_keeps_users_that_left_marked(world, zoom_emulator, monkeypatch):
    admin = client_for(world.acme.admin)
    link(admin, zoom_emulator)
    monkeypatch.setattr(client, "USERS_PAGE_SIZE", 1)  # one user per page: the 2 active users → 2 pages
    zoom_emulator.clear_requests()
    zoom_emulator.set_user_status("basic-user@sample.example.com", "inactive")
    zoom_emulator.core.state["users"] = [
        u for u in zoom_emulator.core.state["users"] if u["email"] != "recruiter@demo.example.com"
    ]

    page = admin.post(reverse("zoom_integration:users_sync"), follow=True).content.decode()

    assert "Zoomユーザーを同期しました（5 件、追加 0 件、アカウント外 1 件）" in page
    active_pages = [
        r.query for r in zoom_emulator.requests if r.path == "/v2/users" and r.query["status"] == "active"
    ]
    assert len(active_pages) == 2 and active_pages[1].get("next_page_token")
    users = {u.email: u for u in ZoomUser.objects.filter(company=world.acme.company)}
    assert users["recruiter@demo.example.com"].in_account is False
    assert users["basic-user@sample.example.com"].zoom_status == "inactive"
    assert not users["basic-user@sample.example.com"].can_host
    assert users["interviewer@demo.example.com"].can_host


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_workers_refreshing_at_once_over_http_make_one_refresh_call_and_all_go_on(
    world, zoom_emulator_server
):
    """Twelve threads find the token expiring at the same moment; against the emulator over real HTTP only
    one refresh reaches Zoom (the row lock), and every thread's API call succeeds with the new token."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    emu = zoom_emulator_server
    emu.configure(latency=0.2)  # a slow token endpoint widens the race window
    link(client_for(world.acme.admin), emu)
    connection = expire_soon(world.acme.company)
    emu.clear_requests()
    barrier = threading.Barrier(12)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker():
        try:
            mine = ZoomConnection.objects.get(pk=connection.pk)
            barrier.wait()
            results.append(client.get_me(mine)["account_id"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert results == [emu.account_id] * 12
    refreshes = [r for r in emu.requests if r.path == "/oauth/token"]
    assert len(refreshes) == 1
    me_calls = [r for r in emu.requests if r.path == "/v2/users/me"]
    assert len(me_calls) == 12
    new_access = decrypt_token(ZoomConnection.objects.get(pk=connection.pk).access_token_encrypted)
    assert {r.headers.get("Authorization") or r.headers.get("authorization") for r in me_calls} == {
        f"Bearer {new_access}"
    }
    assert emu.state()["installations"][0]["live_tokens"]["refresh"] == 1


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
