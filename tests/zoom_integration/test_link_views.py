"""Web面接連携サービス pages and the OAuth link (認可待ち → 認可開始 → 連携中), bad callbacks, roles."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.urls import reverse

from accounts.models import AuditEntry
from tests.helpers import client_for
from web_meetings import signals
from web_meetings.crypto import decrypt_token
from zoom_integration.models import ConnectionStatus, ZoomConnection, ZoomUser
from zoom_integration.oauth import SESSION_KEY

from .factories import ZoomConnectionFactory, ZoomUserFactory
from .helpers import API, CLIENT_ID, OAUTH, add_users, form, token_json, zoom_user

pytestmark = pytest.mark.django_db

SERVICES = reverse("web_meetings:services")
ZOOM = reverse("zoom_integration:zoom")
AUTHORIZE = reverse("zoom_integration:authorize")
CALLBACK = reverse("zoom_integration:callback")
ME = {
    "id": "zowner01",
    "email": "owner@zoom.example.com",
    "company": "株式会社アクメ",
    "account_id": "AcmeAcct01",
    "type": 2,
}


def start(client) -> dict[str, str]:
    """Click 認可開始; the query of the Zoom authorize URL we were sent to."""
    response = client.post(AUTHORIZE)
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{OAUTH}/oauth/authorize"
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def zoom_accepts(mock, *, me=ME, users=None):
    users = [zoom_user(1), zoom_user(2)] if users is None else users
    mock.post(f"{OAUTH}/oauth/token", json=token_json("at-linked", "rt-linked"))
    mock.get(f"{API}/users/me", json=me)
    add_users(
        mock,
        active=users,
        pending=[zoom_user(8, status="pending")],
        inactive=[zoom_user(9, status="inactive")],
    )


# --- service list and states --------------------------------------------------------------------------------


def test_the_service_list_shows_zoom_awaiting_authorization_with_a_settings_button(as_admin):
    page = as_admin.get(SERVICES).content.decode()
    assert "認可待ち" in page and "設定" in page and ZOOM in page


def test_a_company_without_zoom_sees_unused_and_whom_to_ask(as_admin, world):
    world.acme.company.zoom_enabled = False
    world.acme.company.save()
    for url in (SERVICES, ZOOM):
        page = as_admin.get(url).content.decode()
        assert "未利用" in page
        assert "Zoom連携を利用する場合は営業担当者へお問い合わせください" in page
        assert "認可開始" not in page
    response = as_admin.post(AUTHORIZE)
    assert response.status_code == 302 and response["Location"] == ZOOM
    assert SESSION_KEY not in as_admin.session


def test_without_a_client_id_the_pages_say_zoom_is_not_configured(as_admin, settings):
    settings.ZOOM_CLIENT_ID = ""
    for url in (SERVICES, ZOOM):
        assert "Zoom連携が設定されていません" in as_admin.get(url).content.decode()
    assert as_admin.post(AUTHORIZE)["Location"] == ZOOM


def test_interviewers_see_nothing_of_the_zoom_link(as_interviewer, connection):
    for url in (SERVICES, ZOOM, reverse("zoom_integration:status")):
        assert as_interviewer.get(url).status_code == 403
    page = as_interviewer.get(reverse("dashboard")).content.decode()
    assert "Web面接連携サービス" not in page


def test_recruiters_see_the_status_read_only(as_recruiter, connection, world):
    ZoomUserFactory(company=world.acme.company, email="host@zoom.example.com")
    page = as_recruiter.get(ZOOM).content.decode()
    assert "連携中" in page and "host@zoom.example.com" in page
    assert "認可開始" not in page and "ユーザー再同期" not in page
    assert reverse("zoom_integration:unlink") not in page
    for name in ("authorize", "unlink", "users_sync"):
        assert as_recruiter.post(reverse(f"zoom_integration:{name}")).status_code == 403
    assert as_recruiter.get(CALLBACK, {"code": "c", "state": "s"}).status_code == 403
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.LINKED


# --- the link --------------------------------------------------------------------------------------------


def test_authorize_sends_the_admin_to_zoom_with_a_session_bound_state_and_pkce(as_admin):
    query = start(as_admin)
    pending = as_admin.session[SESSION_KEY]
    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == "http://testserver/web-interview/zoom/callback/"
    assert query["state"] == pending["state"] and len(query["state"]) >= 32
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] != pending["code_verifier"]


def test_authorize_only_answers_post(as_admin):
    assert as_admin.get(AUTHORIZE).status_code == 405


def test_the_zoom_page_lets_the_authorize_form_redirect_to_zoom_under_the_csp(as_admin, settings):
    settings.ZOOM_OAUTH_BASE_URL = "http://127.0.0.1:8765"
    policy = as_admin.get(ZOOM)["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:8765;" in policy
    assert "script-src 'self'" in policy


def test_every_other_page_lets_forms_post_only_to_the_site(as_admin):
    """Finding 8: ``form-action 'self' https:`` let a form post to any https origin."""
    for path in ("/", "/applicants/", "/users/", "/accounts/login/"):
        policy = as_admin.get(path)["Content-Security-Policy"]
        assert "form-action 'self';" in policy, path


def test_linking_shows_linked_with_account_linker_time_scopes_and_users(as_admin, world, zoom_http):
    query = start(as_admin)
    zoom_accepts(zoom_http)

    response = as_admin.get(CALLBACK, {"code": "the-code", "state": query["state"]}, follow=True)

    token_call = zoom_http.calls[0]
    assert form(token_call)["code"] == "the-code"
    assert form(token_call)["redirect_uri"] == "http://testserver/web-interview/zoom/callback/"
    assert len(form(token_call)["code_verifier"]) >= 43
    me_call = zoom_http.calls[1]
    assert me_call.request.headers["Authorization"] == "Bearer at-linked"
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == ZOOM
    assert "Zoomアカウントを連携しました" in page
    assert "連携中" in page
    assert "株式会社アクメ（owner@zoom.example.com）" in page and "AcmeAcct01" in page
    assert world.acme.admin.display_name in page
    assert "meeting:write:meeting:admin" in page
    assert response.context["zoom"].user_count == 4
    for n in (1, 2, 8, 9):
        assert f"user{n}@zoom.example.com" in page
    assert "招待中" in page and "無効" in page
    connection = ZoomConnection.objects.get(company=world.acme.company)
    assert connection.status == ConnectionStatus.LINKED
    assert connection.linked_by == world.acme.admin and connection.linked_at is not None
    assert decrypt_token(connection.refresh_token_encrypted) == "rt-linked"
    assert AuditEntry.objects.filter(action="zoom.linked", company=world.acme.company).exists()
    assert AuditEntry.objects.filter(action="zoom.users_synced", company=world.acme.company).exists()
    assert "at-linked" not in page and "rt-linked" not in page
    log = as_admin.get(reverse("accounts:audit_log")).content.decode()
    assert "Zoomアカウントを連携" in log and "Zoomユーザーを同期" in log


def test_a_missing_scope_is_pointed_out_on_the_linked_page(as_admin, zoom_http):
    query = start(as_admin)
    zoom_http.post(f"{OAUTH}/oauth/token", json=token_json(scope="user:read:admin meeting:read:admin"))
    zoom_http.get(f"{API}/users/me", json=ME)
    add_users(zoom_http)
    page = as_admin.get(CALLBACK, {"code": "c", "state": query["state"]}, follow=True).content.decode()
    assert "スコープが許可されていません" in page and "meeting:write:meeting:admin" in page


def test_after_linking_the_link_is_announced_usable_once_committed(
    as_admin, world, zoom_http, django_capture_on_commit_callbacks
):
    announced = []

    def record(**kwargs):
        announced.append((kwargs["company"], kwargs["provider"]))

    signals.link_usable.connect(record, weak=False, dispatch_uid="test-recorder")
    try:
        query = start(as_admin)
        zoom_accepts(zoom_http)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            as_admin.get(CALLBACK, {"code": "c", "state": query["state"]})
        assert announced == []  # not before the link is committed
        for callback in callbacks:
            callback()
    finally:
        signals.link_usable.disconnect(dispatch_uid="test-recorder")
    assert announced == [(world.acme.company, "zoom")]


def test_a_failing_link_usable_receiver_does_not_undo_the_link(
    as_admin, world, zoom_http, django_capture_on_commit_callbacks
):
    def explode(**kwargs):
        raise RuntimeError("boom")

    signals.link_usable.connect(explode, weak=False, dispatch_uid="test-explode")
    try:
        query = start(as_admin)
        zoom_accepts(zoom_http)
        with django_capture_on_commit_callbacks(execute=True):
            response = as_admin.get(CALLBACK, {"code": "c", "state": query["state"]}, follow=True)
    finally:
        signals.link_usable.disconnect(dispatch_uid="test-explode")
    assert "連携中" in response.content.decode()
    assert ZoomConnection.objects.get(company=world.acme.company).status == ConnectionStatus.LINKED


def test_a_user_sync_failure_after_linking_keeps_the_link_and_says_so(as_admin, world, zoom_http):
    query = start(as_admin)
    zoom_http.post(f"{OAUTH}/oauth/token", json=token_json())
    zoom_http.get(f"{API}/users/me", json=ME)
    zoom_http.get(f"{API}/users", status=503, body="down")
    page = as_admin.get(CALLBACK, {"code": "c", "state": query["state"]}, follow=True).content.decode()
    assert "連携中" in page and "Zoomユーザーを取得できませんでした" in page


# --- bad callbacks: a clear page, nothing stored, the previous link as it was ---------------------------


@pytest.fixture
def previous_link(world):
    connection = ZoomConnectionFactory(company=world.acme.company, zoom_account_id="OldAcct")
    ZoomUserFactory(company=world.acme.company, email="old-host@zoom.example.com")
    return connection


def assert_nothing_changed(previous_link, response, message):
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "連携の状態は変更されていません" in page
    stored = ZoomConnection.objects.get(pk=previous_link.pk)
    assert stored.zoom_account_id == "OldAcct" and stored.status == ConnectionStatus.LINKED
    assert decrypt_token(stored.refresh_token_encrypted) == "rt-initial"
    assert ZoomUser.objects.filter(email="old-host@zoom.example.com").exists()
    assert not AuditEntry.objects.filter(action="zoom.linked").exists()


def test_a_callback_without_a_pending_authorization_is_refused(as_admin, previous_link, zoom_http):
    response = as_admin.get(CALLBACK, {"code": "c", "state": "whatever"})
    assert_nothing_changed(previous_link, response, "この認可リクエストは無効です")
    assert len(zoom_http.calls) == 0


def test_a_callback_without_state_is_refused(as_admin, previous_link, zoom_http):
    start(as_admin)
    response = as_admin.get(CALLBACK, {"code": "c"})
    assert_nothing_changed(previous_link, response, "state が一致しません")
    assert len(zoom_http.calls) == 0


def test_a_callback_with_a_wrong_state_is_refused_and_the_pending_state_is_spent(
    as_admin, previous_link, zoom_http
):
    query = start(as_admin)
    response = as_admin.get(CALLBACK, {"code": "c", "state": query["state"] + "x"})
    assert_nothing_changed(previous_link, response, "state が一致しません")
    retry = as_admin.get(CALLBACK, {"code": "c", "state": query["state"]})
    assert_nothing_changed(previous_link, retry, "この認可リクエストは無効です")
    assert len(zoom_http.calls) == 0


def test_a_reused_state_is_refused(as_admin, world, zoom_http):
    query = start(as_admin)
    zoom_accepts(zoom_http)
    assert as_admin.get(CALLBACK, {"code": "c", "state": query["state"]}).status_code == 302
    calls = len(zoom_http.calls)
    replay = as_admin.get(CALLBACK, {"code": "c", "state": query["state"]})
    assert replay.status_code == 400
    assert "この認可リクエストは無効です" in replay.content.decode()
    assert len(zoom_http.calls) == calls


def test_a_pending_authorization_of_another_user_is_refused(as_admin, world, previous_link, zoom_http):
    query = start(as_admin)
    session = as_admin.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "user_id": world.other.admin.pk}
    session.save()
    response = as_admin.get(CALLBACK, {"code": "c", "state": query["state"]})
    assert_nothing_changed(previous_link, response, "別のユーザーが開始したもの")
    assert len(zoom_http.calls) == 0


def test_an_expired_pending_authorization_is_refused(as_admin, previous_link, zoom_http):
    query = start(as_admin)
    session = as_admin.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "created": session[SESSION_KEY]["created"] - 16 * 60}
    session.save()
    response = as_admin.get(CALLBACK, {"code": "c", "state": query["state"]})
    assert_nothing_changed(previous_link, response, "有効期限が切れました")
    assert len(zoom_http.calls) == 0


def test_access_denied_at_zoom_ends_on_a_clear_page(as_admin, previous_link, zoom_http):
    query = start(as_admin)
    response = as_admin.get(CALLBACK, {"error": "access_denied", "state": query["state"]})
    assert_nothing_changed(previous_link, response, "Zoomで認可が拒否されました")
    assert len(zoom_http.calls) == 0


def test_a_code_refused_by_zoom_ends_on_a_clear_page(as_admin, previous_link, zoom_http):
    query = start(as_admin)
    zoom_http.post(
        f"{OAUTH}/oauth/token",
        status=400,
        json={"reason": "Invalid authorization code", "error": "invalid_grant"},
    )
    response = as_admin.get(CALLBACK, {"code": "expired", "state": query["state"]})
    assert_nothing_changed(previous_link, response, "Zoomが認可コードを受け付けませんでした")


def test_zoom_down_during_the_exchange_ends_on_a_clear_page(as_admin, previous_link, zoom_http):
    query = start(as_admin)
    zoom_http.post(f"{OAUTH}/oauth/token", status=502, body="<html>bad gateway</html>")
    response = as_admin.get(CALLBACK, {"code": "c", "state": query["state"]})
    assert_nothing_changed(previous_link, response, "Zoomに接続できませんでした")


def test_a_zoom_account_linked_to_another_company_is_refused(as_admin, world, zoom_http):
    ZoomConnectionFactory(company=world.other.company, zoom_account_id="AcmeAcct01")
    query = start(as_admin)
    zoom_accepts(zoom_http)
    response = as_admin.get(CALLBACK, {"code": "c", "state": query["state"]})
    assert response.status_code == 400
    assert "別の企業と連携中" in response.content.decode()
    assert not ZoomConnection.objects.filter(company=world.acme.company).exists()


def test_relinking_another_zoom_account_drops_the_old_account_s_users(
    as_admin, world, previous_link, zoom_http
):
    previous_link.status = ConnectionStatus.ERROR
    previous_link.save()
    query = start(as_admin)
    zoom_accepts(zoom_http)
    as_admin.get(CALLBACK, {"code": "c", "state": query["state"]})
    assert not ZoomUser.objects.filter(email="old-host@zoom.example.com").exists()
    assert ZoomConnection.objects.get(pk=previous_link.pk).status == ConnectionStatus.LINKED


# --- unlink ------------------------------------------------------------------------------------------------


def test_unlink_revokes_at_zoom_deletes_tokens_and_users_and_shows_released(
    as_admin, world, connection, zoom_http
):
    ZoomUserFactory(company=world.acme.company)
    zoom_http.post(f"{OAUTH}/oauth/revoke", json={"status": "success"})

    response = as_admin.post(reverse("zoom_integration:unlink"), follow=True)

    assert form(zoom_http.calls[0]) == {"token": "at-initial"}
    page = response.content.decode()
    assert "Zoom連携を解除しました" in page
    assert "連携解除日時" in page and "認可開始" in page
    stored = ZoomConnection.objects.get(pk=connection.pk)
    assert stored.status == ConnectionStatus.RELEASED and stored.released_at is not None
    assert stored.access_token_encrypted == stored.refresh_token_encrypted == ""
    assert not ZoomUser.objects.filter(company=world.acme.company).exists()
    entry = AuditEntry.objects.get(action="zoom.unlinked")
    assert entry.actor == world.acme.admin


def test_unlink_still_releases_when_zoom_cannot_be_reached_and_says_so(as_admin, connection, zoom_http):
    zoom_http.post(f"{OAUTH}/oauth/revoke", body=responses.ConnectionError("down"))
    page = as_admin.post(reverse("zoom_integration:unlink"), follow=True).content.decode()
    assert "Zoom側での連携解除を確認できませんでした" in page
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.RELEASED


def test_unlink_of_a_link_in_error_needs_no_zoom_call(as_admin, connection, zoom_http):
    connection.status = ConnectionStatus.ERROR
    connection.save()
    as_admin.post(reverse("zoom_integration:unlink"))
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.RELEASED
    assert len(zoom_http.calls) == 0


def test_after_unlinking_the_admin_can_link_again(as_admin, world, connection, zoom_http):
    zoom_http.post(f"{OAUTH}/oauth/revoke", json={"status": "success"})
    as_admin.post(reverse("zoom_integration:unlink"))
    query = start(as_admin)
    zoom_accepts(zoom_http)
    as_admin.get(CALLBACK, {"code": "c", "state": query["state"]})
    stored = ZoomConnection.objects.get(pk=connection.pk)
    assert stored.status == ConnectionStatus.LINKED and stored.released_at is None


# --- users -------------------------------------------------------------------------------------------------


def test_resync_marks_users_that_left_the_account_and_adds_new_ones(as_admin, world, connection, zoom_http):
    ZoomUserFactory(company=world.acme.company, zoom_user_id="zuser001", email="old-name@zoom.example.com")
    ZoomUserFactory(company=world.acme.company, zoom_user_id="gone", email="gone@zoom.example.com")
    add_users(zoom_http, active=[zoom_user(1), zoom_user(2)])

    response = as_admin.post(reverse("zoom_integration:users_sync"), follow=True)

    page = response.content.decode()
    assert "Zoomユーザーを同期しました（2 件、追加 1 件、アカウント外 1 件）" in page
    assert "アカウント外" in page
    gone = ZoomUser.objects.get(zoom_user_id="gone")
    assert gone.in_account is False and gone.can_host is False
    assert ZoomUser.objects.get(zoom_user_id="zuser001").email == "user1@zoom.example.com"
    assert AuditEntry.objects.filter(action="zoom.users_synced", actor=world.acme.admin).exists()


def test_each_company_sees_only_its_own_zoom_users(world, connection):
    ZoomConnectionFactory(company=world.other.company)
    ZoomUserFactory(company=world.acme.company, email="acme-host@zoom.example.com")
    ZoomUserFactory(company=world.other.company, email="other-host@zoom.example.com")
    page = client_for(world.other.admin).get(ZOOM).content.decode()
    assert "other-host@zoom.example.com" in page and "acme-host@zoom.example.com" not in page


def test_resync_of_an_unlinked_company_says_why(as_admin, zoom_http):
    page = as_admin.post(reverse("zoom_integration:users_sync"), follow=True).content.decode()
    assert "Zoomユーザーを同期できませんでした" in page and "認可待ち" in page
    assert len(zoom_http.calls) == 0


# --- secrets -----------------------------------------------------------------------------------------------


def test_tokens_are_never_logged_or_rendered(as_admin, world, zoom_http, caplog):
    caplog.set_level(logging.DEBUG)
    query = start(as_admin)
    zoom_accepts(zoom_http)
    pages = [as_admin.get(CALLBACK, {"code": "c", "state": query["state"]}, follow=True).content.decode()]
    connection = ZoomConnection.objects.get(company=world.acme.company)
    connection.expires_at = None
    connection.save()
    zoom_http.post(f"{OAUTH}/oauth/token", json=token_json("at-refreshed", "rt-refreshed"))
    add_users(zoom_http, active=[zoom_user(1)])
    pages.append(as_admin.post(reverse("zoom_integration:users_sync"), follow=True).content.decode())
    pages.append(as_admin.get(SERVICES).content.decode())
    zoom_http.post(f"{OAUTH}/oauth/revoke", json={"status": "success"})
    pages.append(as_admin.post(reverse("zoom_integration:unlink"), follow=True).content.decode())

    secrets = ["at-linked", "rt-linked", "at-refreshed", "rt-refreshed", "the-code", query["state"]]
    for secret in secrets[:4]:
        assert secret not in caplog.text
        assert all(secret not in page for page in pages)
    assert "zoom: POST /oauth/token" in caplog.text  # the calls are logged, without their secrets
