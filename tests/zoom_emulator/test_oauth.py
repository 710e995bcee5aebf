"""OAuth: authorize + consent, single-use codes bound to redirect_uri and PKCE, rotation, revoke."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from zoom_emulator.browser import ApprovalError, approve
from zoom_emulator.oauth import pkce_challenge

from .helpers import (
    CALLBACK,
    VERIFIER,
    api,
    authorize_url,
    basic,
    exchange,
    get_code,
    link,
    refresh,
    send,
    token_request,
)

INVALID_CODE = {"reason": "Invalid authorization code", "error": "invalid_grant"}
INVALID_TOKEN = {"reason": "Invalid Token!", "error": "invalid_grant"}


def test_pkce_s256_matches_the_rfc_7636_appendix_b_vector():
    assert pkce_challenge(VERIFIER) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_authorize_page_asks_for_sign_in_then_shows_consent_for_the_admin(emu):
    status, _, body = emu.handle("GET", "/oauth/authorize", urlsplit(authorize_url(emu)).query)
    assert status == 200
    assert 'action="/signin"' in body.decode()
    location = approve(
        send(emu), authorize_url(emu, state="abc"), email=emu.admin_email, password="zoom-pass"
    )
    assert location.startswith(CALLBACK + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["abc"]
    assert len(query["code"][0]) >= 20


def test_deny_redirects_with_access_denied_and_the_state(emu):
    location = approve(
        send(emu), authorize_url(emu, state="s1"), email=emu.admin_email, password="zoom-pass", deny=True
    )
    assert parse_qs(urlsplit(location).query) == {"error": ["access_denied"], "state": ["s1"]}
    assert emu.snapshot()["installations"][0]["installed"] is False


def test_only_an_account_admin_can_add_the_app(emu):
    with pytest.raises(ApprovalError, match="管理者"):
        approve(send(emu), authorize_url(emu), email="recruiter@demo.example.com", password="zoom-pass")


def test_wrong_password_and_deactivated_users_cannot_sign_in(emu):
    with pytest.raises(ApprovalError, match="正しくありません"):
        approve(send(emu), authorize_url(emu), email=emu.admin_email, password="wrong")
    with pytest.raises(ApprovalError, match="無効化"):
        approve(send(emu), authorize_url(emu), email="former-user@sample.example.com", password="zoom-pass")


def test_unknown_client_id_and_unregistered_redirect_uri_show_an_error_page_instead_of_redirecting(emu):
    with pytest.raises(ApprovalError, match="Invalid client_id"):
        approve(
            send(emu),
            authorize_url(emu, client_id="someone-else"),
            email=emu.admin_email,
            password="zoom-pass",
        )
    status, headers, body = emu.handle(
        "GET", "/oauth/authorize", urlsplit(authorize_url(emu, redirect_uri="https://evil.example/cb")).query
    )
    assert status == 400
    assert "Location" not in headers
    assert "Invalid redirect" in body.decode()


def test_default_redirect_uris_cover_demo_localhost_and_test_server(emu):
    for uri in (
        "http://127.0.0.1:8000/web-interview/zoom/callback/",
        "http://localhost:8000/web-interview/zoom/callback/",
        CALLBACK,
    ):
        location = approve(
            send(emu), authorize_url(emu, redirect_uri=uri), email=emu.admin_email, password="zoom-pass"
        )
        assert location.startswith(uri + "?code=")


def test_token_response_has_zoom_fields_and_types(emu):
    response = exchange(emu, get_code(emu))
    assert response.status == 200
    data = response.json()
    assert list(data) == ["access_token", "token_type", "refresh_token", "expires_in", "scope", "api_url"]
    assert data["token_type"] == "bearer"
    assert data["expires_in"] == 3599
    assert data["api_url"] == "https://api.zoom.us"
    assert "meeting:write:meeting:admin" in data["scope"].split()
    assert data["access_token"] != data["refresh_token"]
    assert len(data["access_token"]) > 400  # JWT-sized: the product's column must hold it


def test_code_is_single_use(emu):
    code = get_code(emu)
    assert exchange(emu, code).status == 200
    second = exchange(emu, code)
    assert (second.status, second.json()) == (400, INVALID_CODE)


def test_code_expires_after_five_minutes(emu):
    code = get_code(emu)
    emu.advance(301)
    response = exchange(emu, code)
    assert (response.status, response.json()) == (400, INVALID_CODE)


def test_code_is_bound_to_its_redirect_uri(emu):
    code = get_code(emu)
    response = exchange(emu, code, redirect_uri="http://localhost:8000/web-interview/zoom/callback/")
    assert response.status == 400
    assert response.json()["error"] == "invalid_request"


def test_code_is_bound_to_the_pkce_challenge(emu):
    code = get_code(emu)
    response = exchange(emu, code, verifier="x" * 43)
    assert (response.status, response.json()["error"]) == (400, "invalid_grant")


def test_missing_code_verifier_is_refused_when_a_challenge_was_sent(emu):
    code = get_code(emu)
    response = token_request(
        emu, {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    )
    assert response.status == 400


def test_code_challenge_method_defaults_to_plain(emu):
    code = get_code(emu, verifier="plain-verifier-0123456789-0123456789-0123456789", method=None)
    assert exchange(emu, code, verifier="plain-verifier-0123456789-0123456789-0123456789").status == 200


def test_explicit_plain_method_works_and_s256_verifier_is_not_accepted_for_it(emu):
    code = get_code(emu, verifier=VERIFIER, method="plain")
    assert exchange(emu, code, verifier=pkce_challenge(VERIFIER)).status == 400


def test_token_endpoint_requires_basic_client_authentication(emu):
    code = get_code(emu)
    params = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
    }
    for headers in ({"Authorization": ""}, basic(emu, secret="wrong")):
        response = token_request(emu, params, headers=headers)
        assert (response.status, response.json()) == (
            400,
            {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
        )


def test_token_endpoint_accepts_query_parameters(emu):
    code = get_code(emu)
    query = f"grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}&code_verifier={VERIFIER}"
    response = emu.handle("POST", "/oauth/token", query, basic(emu), b"")
    assert response.status == 200


def test_unknown_grant_type_is_unsupported(emu):
    response = token_request(emu, {"grant_type": "password"})
    assert (response.status, response.json()["error"]) == (400, "unsupported_grant_type")


def test_refresh_rotates_and_the_old_refresh_token_dies_at_once(emu, linked):
    first = refresh(emu, linked.tokens["refresh_token"])
    assert first.status == 200
    new = first.json()
    assert new["refresh_token"] != linked.tokens["refresh_token"]
    again = refresh(emu, linked.tokens["refresh_token"])
    assert (again.status, again.json()) == (400, INVALID_TOKEN)
    assert refresh(emu, new["refresh_token"]).status == 200


def test_two_workers_refreshing_with_the_same_token_leave_one_loser(emu, linked):
    results = [refresh(emu, linked.tokens["refresh_token"]).status for _ in range(2)]
    assert results == [200, 400]


def test_newer_authorization_revokes_the_older_tokens(emu, linked):
    second = link(emu)
    old_api = api(emu, "GET", "/users/me", linked.access_token)
    assert (old_api.status, old_api.json()) == (401, {"code": 124, "message": "Invalid access token."})
    assert refresh(emu, linked.tokens["refresh_token"]).json() == INVALID_TOKEN
    assert api(emu, "GET", "/users/me", second.access_token).status == 200


def test_access_token_expires_after_an_hour(emu, linked):
    emu.advance(3600)
    response = linked.api("GET", "/users/me")
    assert (response.status, response.json()) == (401, {"code": 124, "message": "Access token is expired."})


def test_refresh_token_lifetime_is_configurable(emu):
    emu.configure(refresh_token_lifetime=60)
    tokens = link(emu).tokens
    emu.advance(61)
    assert refresh(emu, tokens["refresh_token"]).json() == INVALID_TOKEN


def test_revoke_uninstalls_the_app_and_queues_app_deauthorized(emu, linked):
    response = emu.handle(
        "POST",
        "/oauth/revoke",
        "",
        {**basic(emu), "Content-Type": "application/x-www-form-urlencoded"},
        f"token={linked.access_token}",
    )
    assert (response.status, response.json()) == (200, {"status": "success"})
    assert linked.api("GET", "/users/me").status == 401
    assert refresh(emu, linked.tokens["refresh_token"]).json() == INVALID_TOKEN
    assert [w["event"] for w in emu.pending_webhooks()] == ["app_deauthorized"]
    assert emu.snapshot()["installations"][0]["installed"] is False


def test_revoke_of_an_unknown_token_is_refused(emu):
    response = emu.handle("POST", "/oauth/revoke", "token=nope", basic(emu), b"")
    assert (response.status, response.json()) == (400, INVALID_TOKEN)


def test_revoke_requires_client_authentication(emu, linked):
    response = emu.handle("POST", "/oauth/revoke", f"token={linked.access_token}", {}, b"")
    assert response.json()["error"] == "invalid_client"
    assert linked.api("GET", "/users/me").status == 200


def test_reauthorizing_after_removal_installs_the_app_again(emu, linked):
    emu.remove_app()
    fresh = link(emu)
    assert fresh.api("GET", "/users/me").status == 200
    assert emu.snapshot()["installations"][0]["installed"] is True


def test_refresh_can_be_configured_to_kill_the_previous_access_token(emu, linked):
    emu.configure(refresh_revokes_old_access_token=True)
    assert refresh(emu, linked.tokens["refresh_token"]).status == 200
    assert linked.api("GET", "/users/me").status == 401
