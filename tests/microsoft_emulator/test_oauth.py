"""Entra ID v2: authorize + consent (PKCE, state), admin consent, code/refresh/client-credentials grants."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from microsoft_emulator.browser import ApprovalError, approve
from microsoft_emulator.identity import pkce_challenge
from microsoft_emulator.seed import OTHER_TENANT_ID, TENANT_ID, USER_PASSWORD

from .helpers import (
    CALLBACK,
    CONSENT_CALLBACK,
    VERIFIER,
    admin_consent_url,
    authorize_url,
    browse,
    client_credentials,
    exchange,
    get_code,
    link_delegated,
    refresh,
    send,
    token_request,
)


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def aad(response) -> tuple[int, str, int]:
    body = response.json()
    assert body["error_description"].startswith(f"AADSTS{body['error_codes'][0]}: ")
    assert {"timestamp", "trace_id", "correlation_id", "error_uri"} <= set(body)
    return response.status, body["error"], body["error_codes"][0]


def test_pkce_s256_matches_the_rfc_7636_appendix_b_vector():
    assert pkce_challenge(VERIFIER) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_authorize_signs_in_shows_consent_and_returns_the_code_with_the_state(emu):
    status, _, body = emu.handle("GET", urlsplit(authorize_url(emu)).path, urlsplit(authorize_url(emu)).query)
    assert status == 200 and 'action="/signin"' in body.decode()
    query = browse(emu, authorize_url(emu, state="abc"))
    assert query["state"] == ["abc"] and query["code"][0].startswith("1.A")
    tokens = exchange(emu, query["code"][0]).json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3599 and tokens["ext_expires_in"] == 3599
    assert set(tokens["scope"].split()) >= {"User.Read", "Calendars.ReadWrite", "OnlineMeetings.ReadWrite"}
    access, identity = claims(tokens["access_token"]), claims(tokens["id_token"])
    assert (access["tid"], access["aud"], access["idtyp"]) == (
        TENANT_ID,
        "https://graph.microsoft.com",
        "user",
    )
    assert "Calendars.ReadWrite" in access["scp"].split()
    assert identity["preferred_username"] == emu.admin_email
    assert identity["aud"] == emu.config.client_id


def test_consent_page_lists_the_requested_permissions(emu):
    from microsoft_emulator.browser import Browser

    browser = Browser(send(emu))
    browser.sign_in(emu.admin_email, USER_PASSWORD)
    parts = urlsplit(authorize_url(emu))
    _, _, html = browser.request("GET", f"{parts.path}?{parts.query}")
    assert "要求されているアクセス許可" in html
    assert "Calendars.ReadWrite" in html and "OnlineMeetings.ReadWrite" in html


def test_declining_redirects_with_access_denied_and_the_state(emu):
    query = browse(emu, authorize_url(emu, state="s1"), deny=True)
    assert query["error"] == ["access_denied"] and query["state"] == ["s1"]
    assert query["error_description"][0].startswith("AADSTS65004")
    assert emu.snapshot()["tenants"][0]["consent"]["active"] is False


def test_a_wrong_pkce_verifier_is_refused_and_the_code_is_spent(emu):
    code = get_code(emu)
    assert aad(exchange(emu, code, verifier="x" * 43)) == (400, "invalid_grant", 50148)
    assert aad(exchange(emu, code)) == (400, "invalid_grant", 54005)  # already redeemed


def test_a_missing_verifier_and_a_plain_challenge(emu):
    response = token_request(
        emu, {"grant_type": "authorization_code", "code": get_code(emu), "redirect_uri": CALLBACK}
    )
    assert aad(response) == (400, "invalid_grant", 50148)
    plain = get_code(emu, method=None)  # no method: plain (RFC 7636)
    assert exchange(emu, plain).status == 200


def test_the_code_is_bound_to_its_redirect_uri_and_expires(emu):
    assert aad(exchange(emu, get_code(emu), redirect_uri=CONSENT_CALLBACK)) == (400, "invalid_grant", 50011)
    code = get_code(emu)
    emu.advance(emu.config.code_lifetime + 1)
    assert aad(exchange(emu, code)) == (400, "invalid_grant", 70008)


def test_unknown_client_and_unregistered_redirect_uri_show_an_error_page(emu):
    with pytest.raises(ApprovalError, match="AADSTS700016"):
        browse(emu, authorize_url(emu, client_id="00000000-0000-0000-0000-000000000000"))
    with pytest.raises(ApprovalError, match="AADSTS50011"):
        browse(emu, authorize_url(emu, redirect_uri="https://evil.example/cb"))


def test_unknown_scope_and_response_type_redirect_with_errors(emu):
    query = browse(emu, authorize_url(emu, scope="openid Mail.Send"))
    assert query["error"] == ["invalid_scope"] and query["state"] == ["st4te"]


def test_a_member_needs_admin_approval_until_the_admin_consented(emu):
    with pytest.raises(ApprovalError, match="管理者の承認が必要です"):
        browse(emu, authorize_url(emu), email="recruiter@demo.example.com")
    browse(emu, authorize_url(emu))  # the admin consents for the organisation
    location = approve(
        send(emu), authorize_url(emu), email="recruiter@demo.example.com", password=USER_PASSWORD
    )  # no prompt this time: straight back with a code
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert claims(exchange(emu, code).json()["access_token"])["upn"] == "recruiter@demo.example.com"


def test_a_tenant_specific_authorize_url_refuses_users_of_another_tenant(emu):
    with pytest.raises(ApprovalError, match="AADSTS50020"):
        browse(emu, authorize_url(emu, tenant=TENANT_ID), email="admin@other.example.com")
    with pytest.raises(ApprovalError, match="AADSTS90002"):
        browse(emu, authorize_url(emu, tenant="nowhere.example"))


def test_disabled_users_cannot_sign_in(emu):
    with pytest.raises(ApprovalError, match="AADSTS50057"):
        browse(emu, authorize_url(emu), email="former-user@sample.example.com")


def test_admin_consent_redirects_with_admin_consent_true_tenant_and_state(emu):
    query = browse(emu, admin_consent_url(emu, state="xyz"))
    assert query == {
        "admin_consent": ["True"],
        "tenant": [TENANT_ID],
        "state": ["xyz"],
        "scope": ["https://graph.microsoft.com/.default"],
    }
    consent = emu.snapshot()["tenants"][0]["consent"]
    assert consent["admin_consent"] is True
    assert consent["app_roles"] == ["User.Read.All", "Calendars.ReadWrite", "OnlineMeetings.ReadWrite.All"]


def test_admin_consent_cancelled_or_by_a_member(emu):
    query = browse(emu, admin_consent_url(emu, state="n0"), deny=True)
    assert query["error"] == ["access_denied"] and query["state"] == ["n0"]
    assert query["admin_consent"] == ["False"]
    with pytest.raises(ApprovalError, match="管理者"):
        browse(emu, admin_consent_url(emu), email="interviewer@demo.example.com")
    assert client_credentials(emu).status == 400


def test_client_credentials_only_after_admin_consent_for_that_tenant(emu):
    assert aad(client_credentials(emu)) == (400, "unauthorized_client", 700016)
    browse(emu, admin_consent_url(emu))
    answer = client_credentials(emu)
    assert answer.status == 200
    body = answer.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    token = claims(body["access_token"])
    assert token["idtyp"] == "app" and token["tid"] == TENANT_ID
    assert token["roles"] == ["User.Read.All", "Calendars.ReadWrite", "OnlineMeetings.ReadWrite.All"]
    # The other tenant never consented.
    assert aad(client_credentials(emu, tenant=OTHER_TENANT_ID)) == (400, "unauthorized_client", 700016)
    # The tenant may be named by its domain too.
    assert client_credentials(emu, tenant="sample.onmicrosoft.com").status == 200


def test_client_credentials_needs_the_default_scope_a_tenant_and_the_right_secret(emu):
    emu.grant_admin_consent(TENANT_ID)
    assert aad(client_credentials(emu, scope="User.Read.All")) == (400, "invalid_scope", 1002012)
    assert aad(client_credentials(emu, tenant="common")) == (400, "invalid_request", 50059)
    bad = emu.handle(
        "POST",
        f"/{TENANT_ID}/oauth2/v2.0/token",
        "",
        {"Content-Type": "application/x-www-form-urlencoded"},
        f"grant_type=client_credentials&client_id={emu.config.client_id}&client_secret=wrong"
        "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
    )
    assert aad(bad) == (401, "invalid_client", 7000215)
    basic = base64.b64encode(f"{emu.config.client_id}:{emu.config.client_secret}".encode()).decode()
    ok = emu.handle(
        "POST",
        f"/{TENANT_ID}/oauth2/v2.0/token",
        "",
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
        "grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
    )
    assert ok.status == 200
    assert aad(token_request(emu, {"grant_type": "password"})) == (400, "unsupported_grant_type", 70003)


def test_refresh_issues_new_tokens_and_the_old_refresh_token_stays_usable(emu):
    linked = link_delegated(emu)
    first = refresh(emu, linked.tokens["refresh_token"])
    assert first.status == 200
    assert first.json()["refresh_token"] != linked.tokens["refresh_token"]
    assert refresh(emu, linked.tokens["refresh_token"]).status == 200  # Entra does not revoke on use
    assert aad(refresh(emu, "not-a-token")) == (400, "invalid_grant", 9002313)


def test_withdrawn_consent_kills_refresh_and_client_credentials(emu):
    linked = link_delegated(emu)
    browse(emu, admin_consent_url(emu))
    assert emu.revoke_consent() is True
    assert aad(refresh(emu, linked.tokens["refresh_token"])) == (400, "invalid_grant", 65001)
    assert aad(client_credentials(emu)) == (400, "unauthorized_client", 700016)
    assert linked.api("GET", "/me").status == 401
    assert emu.revoke_consent() is False


def test_access_tokens_expire(emu):
    linked = link_delegated(emu)
    emu.advance(3600)
    response = linked.api("GET", "/me")
    assert response.status == 401
    assert response.json()["error"]["message"] == "Lifetime validation failed, the token is expired."


def test_login_hint_prefills_the_sign_in_page(emu):
    parts = urlsplit(authorize_url(emu) + "&login_hint=recruiter%40demo.example.com")
    _, _, body = emu.handle("GET", parts.path, parts.query)
    assert 'value="recruiter@demo.example.com"' in body.decode()
