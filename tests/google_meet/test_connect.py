"""The company switch and each host's Google account connect flow against the Google emulator: PKCE, state,
cancel, roles and tenant scoping, tokens never shown."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import AuditEntry
from google_meet.models import ConnectionStatus, GoogleGrant, GoogleMeetLink, GoogleWatch, GrantStatus
from tests.google_meet.helpers import (
    AUTHORIZE,
    CONNECT,
    ENABLE,
    HOST_EMAIL,
    PAGE,
    connect_via_views,
    query,
    walk,
)
from tests.helpers import client_for
from web_meetings import signals
from web_meetings.crypto import decrypt_token
from web_meetings.oauth_state import pkce_challenge
from web_meetings.providers import provider_for

pytestmark = pytest.mark.django_db


def test_states_unused_unconfigured_awaiting_then_linked_after_enable(google_world, google, settings):
    admin = client_for(google_world.acme.admin)
    google_world.acme.company.google_enabled = False
    google_world.acme.company.save(update_fields=["google_enabled"])
    assert 'data-google-status="unused"' in admin.get(PAGE).content.decode()
    assert provider_for("google").link_status(google_world.acme.company).code == "unused"

    google_world.acme.company.google_enabled = True
    google_world.acme.company.save(update_fields=["google_enabled"])
    settings.GOOGLE_CLIENT_ID = ""
    assert 'data-google-status="unconfigured"' in admin.get(PAGE).content.decode()
    settings.GOOGLE_CLIENT_ID = google.config.client_id
    page = admin.get(PAGE).content.decode()
    assert 'data-google-status="awaiting"' in page and "利用開始" in page
    assert not provider_for("google").is_linked(google_world.acme.company)

    admin.post(ENABLE)

    assert GoogleMeetLink.objects.get(company=google_world.acme.company).status == ConnectionStatus.LINKED
    assert 'data-google-status="linked"' in admin.get(PAGE).content.decode()
    assert provider_for("google").is_linked(google_world.acme.company)
    assert not provider_for("google").is_linked(google_world.other.company)
    assert AuditEntry.objects.filter(action="google.enabled", company=google_world.acme.company).exists()


def test_the_admin_page_is_admin_only_and_enable_too(google_world, google):
    for user in (google_world.acme.recruiter, google_world.acme.interviewer):
        http = client_for(user)
        page = http.get(PAGE)
        assert page.status_code == 302 and page["Location"] == CONNECT  # their own account instead
        assert http.post(ENABLE).status_code == 403
    assert client_for(google_world.acme.admin).get(PAGE).status_code == 200
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert not GoogleMeetLink.objects.exists()


def test_authorize_sends_pkce_s256_state_offline_consent_and_the_calendar_events_scope(enabled, google):
    http = client_for(enabled.acme.recruiter)
    location = http.post(AUTHORIZE)["Location"]
    params = query(location)
    pending = http.session["google_oauth_pending"]
    assert location.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert params["state"] == pending["state"]
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"] == pkce_challenge(pending["code_verifier"])
    assert params["access_type"] == "offline" and params["prompt"] == "consent"
    assert params["scope"] == "openid email https://www.googleapis.com/auth/calendar.events"
    assert params["redirect_uri"] == "http://testserver/web-interview/google/callback/"


def test_pkce_s256_matches_rfc_7636():
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_an_interviewer_connects_their_own_google_account(
    enabled, google, django_capture_on_commit_callbacks, caplog
):
    announced = []

    def receiver(sender, **kwargs):
        announced.append(kwargs["provider"])

    signals.link_usable.connect(receiver, dispatch_uid="test-google-link")
    http = client_for(enabled.acme.interviewer)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = connect_via_views(google, http)
    finally:
        signals.link_usable.disconnect(dispatch_uid="test-google-link")

    assert response.status_code == 302 and response["Location"] == CONNECT
    grant = GoogleGrant.objects.get(user=enabled.acme.interviewer)
    assert grant.status == GrantStatus.LINKED and grant.google_email == HOST_EMAIL
    assert grant.company == enabled.acme.company and grant.google_sub
    refresh_token = decrypt_token(grant.refresh_token_encrypted)
    access_token = decrypt_token(grant.access_token_encrypted)
    assert refresh_token and access_token
    assert refresh_token not in grant.refresh_token_encrypted
    page = http.get(CONNECT).content.decode()
    assert HOST_EMAIL in page and "連携中" in page
    admin_page = client_for(enabled.acme.admin).get(PAGE).content.decode()
    assert HOST_EMAIL in admin_page and enabled.acme.interviewer.display_name in admin_page
    for text in (page, admin_page, caplog.text):
        assert refresh_token not in text and access_token not in text
    assert announced == ["google"]
    token_call = next(r for r in google.recorded if r.path == "/token")
    assert token_call.form()["grant_type"] == "authorization_code"
    assert len(token_call.form()["code_verifier"]) >= 43
    # The watch channel on the host's calendar opened after commit, with a first sync token.
    watch = GoogleWatch.objects.get(grant=grant)
    assert watch.channel_id and watch.sync_token and watch.token_hash
    assert [c["address"] for c in google.channels()] == ["http://testserver/google/notifications/"]
    # The host is offered, under a stable id.
    hosts = provider_for("google").hosts(enabled.acme.company)
    assert [(h.id, h.email, h.usable) for h in hosts] == [(str(grant.pk), HOST_EMAIL, True)]
    assert provider_for("google").hosts(enabled.other.company) == []


def test_reconnecting_keeps_the_host_id(host_grant, google, enabled, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        connect_via_views(google, client_for(enabled.acme.interviewer))
    assert list(GoogleGrant.objects.values_list("pk", flat=True)) == [host_grant.pk]


def test_a_bad_state_is_refused_and_stores_nothing(enabled, google):
    http = client_for(enabled.acme.interviewer)
    location = http.post(AUTHORIZE)["Location"]
    back = walk(google, location).replace(f"state={query(location)['state']}", "state=forged")

    response = http.get(back)

    assert response.status_code == 400
    assert "state が一致しません" in response.content.decode()
    assert not GoogleGrant.objects.exists()
    # Single use: the real state no longer works either.
    assert http.get(walk(google, location)).status_code == 400


def test_a_callback_in_another_users_session_is_refused(enabled, google):
    started = client_for(enabled.acme.interviewer)
    location = started.post(AUTHORIZE)["Location"]
    other = client_for(enabled.acme.recruiter)
    response = other.get(walk(google, location))
    assert response.status_code == 400
    assert not GoogleGrant.objects.exists()


def test_cancel_at_google_is_handled(enabled, google):
    http = client_for(enabled.acme.interviewer)
    response = connect_via_views(google, http, deny=True)
    assert response.status_code == 400
    assert "キャンセル" in response.content.decode()
    assert not GoogleGrant.objects.exists()


def test_connect_needs_the_company_to_have_enabled_google_meet(google_world, google):
    http = client_for(google_world.acme.interviewer)
    assert "利用が開始されていません" in http.get(CONNECT).content.decode()
    response = http.post(AUTHORIZE)
    assert response.status_code == 302 and response["Location"] == CONNECT


def test_tenant_scoping_other_company_sees_no_grant(host_grant, enabled, google):
    other_admin = client_for(enabled.other.admin)
    page = other_admin.get(PAGE).content.decode()
    assert HOST_EMAIL not in page
    # The other company's interviewer sees only their own (none) on the connect page.
    assert HOST_EMAIL not in client_for(enabled.other.interviewer).get(CONNECT).content.decode()
    # A colleague (recruiter) sees neither the interviewer's grant nor tokens on their own connect page.
    colleague = client_for(enabled.acme.recruiter).get(CONNECT).content.decode()
    assert HOST_EMAIL not in colleague
    assert decrypt_token(host_grant.access_token_encrypted) not in colleague


def test_the_host_disconnects_and_the_grant_is_revoked_at_google(
    host_grant, enabled, google, django_capture_on_commit_callbacks
):
    http = client_for(enabled.acme.interviewer)
    response = http.post("/web-interview/google/disconnect/")
    assert response.status_code == 302
    host_grant.refresh_from_db()
    assert host_grant.status == GrantStatus.RELEASED and not host_grant.refresh_token_encrypted
    assert not any(c["live"] for c in google.channels())
    assert provider_for("google").hosts(enabled.acme.company) == []
    assert "連携されていません" in provider_for("google").host_problem(
        enabled.acme.company.pk, str(host_grant.pk)
    )


def test_unlink_turns_google_meet_off_and_stops_the_channels(host_grant, enabled, google):
    admin = client_for(enabled.acme.admin)
    assert admin.post("/web-interview/google/unlink/").status_code == 302
    link = GoogleMeetLink.objects.get(company=enabled.acme.company)
    assert link.status == ConnectionStatus.RELEASED
    assert not any(c["live"] for c in google.channels())
    assert 'data-google-status="released"' in admin.get(PAGE).content.decode()
    with pytest.raises(Exception) as caught:
        provider_for("google").connection(enabled.acme.company)
    assert type(caught.value).__name__ == "GoogleNotLinked"


def test_a_recruiter_connects_too_and_each_user_has_their_own_grant(
    host_grant, enabled, google, django_capture_on_commit_callbacks
):
    from tests.google_meet.helpers import RECRUITER_EMAIL

    with django_capture_on_commit_callbacks(execute=True):
        response = connect_via_views(google, client_for(enabled.acme.recruiter), email=RECRUITER_EMAIL)
    assert response.status_code == 302
    grants = dict(GoogleGrant.objects.values_list("user__email", "google_email"))
    assert grants == {
        enabled.acme.interviewer.email: HOST_EMAIL,
        enabled.acme.recruiter.email: RECRUITER_EMAIL,
    }
    hosts = provider_for("google").hosts(enabled.acme.company)
    assert sorted(h.email for h in hosts) == sorted([HOST_EMAIL, RECRUITER_EMAIL])
    # Only admins may change the company state.
    assert client_for(enabled.acme.recruiter).post("/web-interview/google/unlink/").status_code == 403


def test_rotating_the_token_keys_keeps_the_grant_usable(host_grant, settings):
    from io import StringIO

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    access = decrypt_token(host_grant.access_token_encrypted)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.TOKEN_ENCRYPTION_KEYS]
    out = StringIO()
    call_command("rotate_google_token_keys", stdout=out)
    assert "1 grant" in out.getvalue()
    settings.TOKEN_ENCRYPTION_KEYS = settings.TOKEN_ENCRYPTION_KEYS[:1]
    host_grant.refresh_from_db()
    assert decrypt_token(host_grant.access_token_encrypted) == access


def test_the_beat_schedule_renews_the_channels(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["google-renew-watch-channels"]
    assert entry["task"] == "google_meet.tasks.renew_due_watches"


def test_enabling_again_after_unlink_reopens_the_hosts_channels(
    host_grant, enabled, google, django_capture_on_commit_callbacks
):
    admin = client_for(enabled.acme.admin)
    admin.post("/web-interview/google/unlink/")
    assert GoogleWatch.objects.get(grant=host_grant).status == "stopped"
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(ENABLE)
    watch = GoogleWatch.objects.get(grant=host_grant)
    assert watch.status == "active" and watch.sync_token
    assert [c["id"] for c in google.channels() if c["live"]] == [watch.channel_id]
