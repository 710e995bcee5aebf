"""The link through the views against the Microsoft emulator: sign-in (PKCE, state), admin consent, roles,
tenant scoping, 連携解除."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from teams_integration.models import ConnectionStatus, TeamsConnection, TeamsUser
from tests.factories import UserFactory
from tests.helpers import client_for
from tests.teams_integration.helpers import AUTHORIZE, SEEDED_USERS, TEAMS, link_via_views, query, walk
from web_meetings import signals
from web_meetings.crypto import decrypt_token
from web_meetings.oauth_state import pkce_challenge

pytestmark = pytest.mark.django_db


def test_an_admin_links_the_tenant_in_two_steps_and_the_page_shows_the_users(
    teams_world, ms, django_capture_on_commit_callbacks
):
    announced = []

    def receiver(sender, **kwargs):
        announced.append(kwargs)

    signals.link_usable.connect(receiver, dispatch_uid="test-teams-link")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            page = link_via_views(ms, teams_world.acme.admin)
    finally:
        signals.link_usable.disconnect(dispatch_uid="test-teams-link")

    content = page.content.decode()
    assert page.redirect_chain[-1][0] == TEAMS
    assert "連携中" in content and "5a0e1c7d-3f42-4b8e-9d16-7c2b8e4f0a01" in content
    assert "interviewer@demo.example.com" in content and "ユーザー同期" in content
    connection = TeamsConnection.objects.get(company=teams_world.acme.company)
    assert connection.status == ConnectionStatus.LINKED
    assert connection.consented_by == teams_world.acme.admin
    assert TeamsUser.objects.filter(company=teams_world.acme.company).count() == SEEDED_USERS
    assert decrypt_token(connection.access_token_encrypted) not in content
    assert announced == [
        {"signal": signals.link_usable, "company": teams_world.acme.company, "provider": "teams"}
    ]
    assert AuditEntry.objects.filter(action="teams.linked", company=teams_world.acme.company).exists()
    token_calls = [r for r in ms.recorded if r.path.endswith("/oauth2/v2.0/token")]
    code_grant = token_calls[0].form()
    assert code_grant["grant_type"] == "authorization_code" and len(code_grant["code_verifier"]) >= 43
    assert token_calls[1].path == "/5a0e1c7d-3f42-4b8e-9d16-7c2b8e4f0a01/oauth2/v2.0/token"
    assert token_calls[1].form()["grant_type"] == "client_credentials"
    assert token_calls[1].form()["scope"] == "https://graph.microsoft.com/.default"


def test_authorize_sends_a_session_bound_state_and_an_s256_challenge(teams_world, ms):
    admin = client_for(teams_world.acme.admin)

    location = admin.post(AUTHORIZE)["Location"]

    params = query(location)
    assert location.startswith("https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?")
    pending = admin.session["teams_oauth_pending"]
    assert params["state"] == pending["state"]
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"] == pkce_challenge(pending["code_verifier"])
    assert params["scope"] == "openid profile email User.Read"
    assert params["redirect_uri"] == "http://testserver/web-interview/teams/callback/"


def test_pkce_s256_matches_rfc_7636():
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_callback_rejects_state_mismatch_and_changes_nothing(teams_world, ms):
    admin = client_for(teams_world.acme.admin)
    back = walk(ms, admin.post(AUTHORIZE)["Location"])
    forged = back.replace("state=", "state=x")

    page = admin.get(forged)

    assert page.status_code == 400
    assert "state が一致しません" in page.content.decode()
    assert not TeamsConnection.objects.exists()
    assert not [r for r in ms.recorded if r.path.endswith("/token")]  # the code was never exchanged


def test_consent_callback_rejects_state_mismatch_and_a_replayed_state(teams_world, ms):
    admin = client_for(teams_world.acme.admin)
    to_consent = admin.get(walk(ms, admin.post(AUTHORIZE)["Location"]))
    back = walk(ms, to_consent["Location"])

    assert admin.get(back.replace("state=", "state=x")).status_code == 400
    assert admin.get(back).status_code == 400  # the pending state was used up by the first try
    assert not TeamsConnection.objects.exists()


def test_consent_callback_for_another_tenant_is_refused(teams_world, ms):
    admin = client_for(teams_world.acme.admin)
    to_consent = admin.get(walk(ms, admin.post(AUTHORIZE)["Location"]))
    back = walk(ms, to_consent["Location"]).replace(
        "5a0e1c7d-3f42-4b8e-9d16-7c2b8e4f0a01", "9b3d6e2f-8a71-4c05-b2e4-1f6a9c7d0b02"
    )

    page = admin.get(back)

    assert page.status_code == 400 and "一致しません" in page.content.decode()
    assert not TeamsConnection.objects.exists()


def test_cancel_at_the_sign_in_shows_a_message_and_changes_nothing(teams_world, ms):
    admin = client_for(teams_world.acme.admin)

    page = admin.get(walk(ms, admin.post(AUTHORIZE)["Location"], deny=True))

    assert page.status_code == 400
    assert "キャンセルされました" in page.content.decode()
    assert not TeamsConnection.objects.exists()


def test_cancel_at_the_admin_consent_shows_a_message_and_changes_nothing(teams_world, ms):
    admin = client_for(teams_world.acme.admin)
    to_consent = admin.get(walk(ms, admin.post(AUTHORIZE)["Location"]))

    page = admin.get(walk(ms, to_consent["Location"], deny=True))

    assert page.status_code == 400
    assert "キャンセルされました" in page.content.decode()
    assert not TeamsConnection.objects.exists()


def test_a_recruiter_sees_the_page_read_only(linked, teams_world):
    recruiter = client_for(teams_world.acme.recruiter)

    content = recruiter.get(TEAMS).content.decode()

    assert "連携中" in content and "interviewer@demo.example.com" in content
    assert reverse("teams_integration:unlink") not in content
    assert reverse("teams_integration:users_sync") not in content
    assert recruiter.post(AUTHORIZE).status_code == 403
    assert recruiter.post(reverse("teams_integration:unlink")).status_code == 403
    assert TeamsConnection.objects.get(pk=linked.pk).status == ConnectionStatus.LINKED


def test_an_interviewer_is_refused(linked, teams_world):
    interviewer = client_for(teams_world.acme.interviewer)

    assert interviewer.get(TEAMS).status_code == 403
    assert interviewer.post(reverse("teams_integration:users_sync")).status_code == 403


def test_another_company_never_sees_the_link_or_its_users(linked, teams_world):
    content = client_for(teams_world.other.admin).get(TEAMS).content.decode()

    assert "認可待ち" in content
    assert "interviewer@demo.example.com" not in content and linked.tenant_id not in content


def test_the_same_tenant_cannot_be_linked_by_a_second_company(linked, teams_world, ms):
    other_admin = client_for(teams_world.other.admin)

    page = other_admin.get(walk(ms, other_admin.post(AUTHORIZE)["Location"]))

    assert page.status_code == 400 and "別の企業と連携中" in page.content.decode()
    assert not TeamsConnection.objects.filter(company=teams_world.other.company).exists()


def test_without_the_operator_switch_the_page_says_unused_and_authorize_refuses(world, ms):
    admin = client_for(world.acme.admin)

    assert "営業担当者へお問い合わせください" in admin.get(TEAMS).content.decode()
    assert admin.post(AUTHORIZE)["Location"] == TEAMS


def test_unlink_releases_the_link_and_forgets_token_and_users(linked, teams_world):
    admin = client_for(teams_world.acme.admin)

    page = admin.post(reverse("teams_integration:unlink"), follow=True)

    assert "連携を解除しました" in page.content.decode()
    connection = TeamsConnection.objects.get(pk=linked.pk)
    assert connection.status == ConnectionStatus.RELEASED and connection.access_token_encrypted == ""
    assert not TeamsUser.objects.filter(company=teams_world.acme.company).exists()
    assert AuditEntry.objects.filter(action="teams.unlinked").exists()


def test_unlink_needs_csrf(linked, teams_world):
    from django.test import Client

    http = Client(enforce_csrf_checks=True)
    http.force_login(teams_world.acme.admin)

    assert http.post(reverse("teams_integration:unlink")).status_code == 403
    assert TeamsConnection.objects.get(pk=linked.pk).status == ConnectionStatus.LINKED


def test_the_operator_admin_and_the_audit_log_show_no_token(linked, teams_world):
    operator = UserFactory(company=None, email="operator@example.com", is_staff=True, is_superuser=True)
    http = client_for(operator)
    token = decrypt_token(linked.access_token_encrypted)
    pages = [
        http.get(f"/admin/teams_integration/{name}/")
        for name in ("teamsconnection", "teamsuser", "graphsubscription", "graphnotification")
    ]
    pages.append(http.get(f"/admin/teams_integration/teamsconnection/{linked.pk}/change/"))

    assert all(page.status_code == 200 for page in pages)
    for page in pages:
        assert (
            token not in page.content.decode() and linked.access_token_encrypted not in page.content.decode()
        )
    audit = " ".join(f"{e.target_label} {e.details}" for e in AuditEntry.objects.all())
    assert token not in audit and linked.access_token_encrypted not in audit


def test_the_page_lets_the_authorize_form_redirect_to_the_sign_in_origin_only(teams_world, ms):
    policy = client_for(teams_world.acme.admin).get(TEAMS)["Content-Security-Policy"]

    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert form_action.split()[1:] == ["'self'", "https://login.microsoftonline.com"]
