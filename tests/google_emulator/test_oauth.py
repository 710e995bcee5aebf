"""Google OAuth 2.0: the consent screen, codes (PKCE, single use, expiry, redirect_uri), refresh tokens
(offline access, first consent or prompt=consent), revocation, userinfo and the id_token."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode, urlsplit

import pytest

from emulator_kit.browser import ApprovalError
from google_emulator.browser import approve
from tests.emulator_kit.helpers import VERIFIER, send

from .helpers import (
    CALLBACK,
    HOST_EMAIL,
    Link,
    authorize_url,
    browse,
    exchange,
    get_code,
    link,
    refresh,
    token_request,
)


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_consent_redirects_with_code_state_and_scope(emu):
    query = browse(emu, authorize_url(emu, state="abc"))
    assert query["state"] == ["abc"]
    assert query["code"][0].startswith("4/0A")
    assert "https://www.googleapis.com/auth/calendar.events" in query["scope"][0].split()
    assert "https://www.googleapis.com/auth/userinfo.email" in query["scope"][0].split()


def test_cancel_redirects_with_access_denied(emu):
    query = browse(emu, authorize_url(emu, state="xyz"), deny=True)
    assert query == {"error": ["access_denied"], "state": ["xyz"]}


def test_the_sign_in_and_consent_pages_are_japanese_with_english(emu):
    page = emu.handle("GET", "/o/oauth2/v2/auth", urlsplit(authorize_url(emu)).query)
    assert page.status == 200 and "ログイン (Sign in)" in page.body.decode()
    _, headers, _ = emu.handle(
        "POST",
        "/signin",
        "",
        {"Content-Type": "application/x-www-form-urlencoded"},
        urlencode({"email": HOST_EMAIL, "password": "google-pass", "next": "/"}),
    )
    cookie = headers["Set-Cookie"].split(";")[0]
    consent = emu.handle("GET", "/o/oauth2/v2/auth", urlsplit(authorize_url(emu)).query, {"Cookie": cookie})
    html = consent.body.decode()
    assert "許可 (Allow)" in html and "キャンセル (Cancel)" in html
    assert "e2RPRO が Google アカウントへのアクセスをリクエストしています" in html


def test_unregistered_redirect_uri_and_unknown_client_show_error_pages(emu):
    bad_redirect = emu.handle(
        "GET", "/o/oauth2/v2/auth", urlsplit(authorize_url(emu, redirect_uri="http://evil/cb")).query
    )
    assert bad_redirect.status == 400 and "redirect_uri_mismatch" in bad_redirect.body.decode()
    unknown = emu.handle("GET", "/o/oauth2/v2/auth", urlsplit(authorize_url(emu, client_id="nope")).query)
    assert unknown.status == 401 and "invalid_client" in unknown.body.decode()
    bad_scope = emu.handle(
        "GET",
        "/o/oauth2/v2/auth",
        urlsplit(authorize_url(emu, scope="openid https://mail.google.com/")).query,
    )
    assert bad_scope.status == 400 and "invalid_scope" in bad_scope.body.decode()


def test_code_exchange_answers_google_token_response(emu):
    answer = exchange(emu, get_code(emu))
    assert answer.status == 200
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "refresh_token", "scope", "token_type", "id_token"}
    assert body["expires_in"] == 3599 and body["token_type"] == "Bearer"
    assert body["access_token"].startswith("ya29.") and body["refresh_token"].startswith("1//")
    id_token = claims(body["id_token"])
    assert id_token["email"] == HOST_EMAIL and id_token["aud"] == emu.config.client_id
    assert id_token["iss"] == "https://accounts.google.com" and id_token["sub"] == "110000000000000000003"
    assert id_token["hd"] == "demo.example.com"


def test_pkce_mismatch_and_missing_verifier_are_refused(emu):
    code = get_code(emu)
    wrong = exchange(emu, code, verifier="x" * 43)
    assert (wrong.status, wrong.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid code verifier."},
    )
    missing = token_request(
        emu, {"grant_type": "authorization_code", "code": get_code(emu), "redirect_uri": CALLBACK}
    )
    assert missing.json() == {"error": "invalid_grant", "error_description": "Missing code verifier."}


def test_codes_are_single_use_bound_to_redirect_uri_and_expire(emu):
    code = get_code(emu)
    assert exchange(emu, code).status == 200
    again = exchange(emu, code)
    assert (again.status, again.json()["error"]) == (400, "invalid_grant")

    other = exchange(emu, get_code(emu), redirect_uri="http://localhost:8000/web-interview/google/callback/")
    assert (other.status, other.json()["error"]) == (400, "redirect_uri_mismatch")

    late = get_code(emu)
    emu.advance(601)
    assert exchange(emu, late).json()["error"] == "invalid_grant"


def test_client_authentication(emu):
    code = get_code(emu)
    wrong = token_request(emu, {"grant_type": "authorization_code", "code": code, "client_secret": "nope"})
    assert (wrong.status, wrong.json()["error"]) == (401, "invalid_client")
    basic = base64.b64encode(f"{emu.config.client_id}:{emu.config.client_secret}".encode()).decode()
    answer = emu.handle(
        "POST",
        "/token",
        "",
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
        urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": VERIFIER,
            }
        ),
    )
    assert answer.status == 200
    other = token_request(emu, {"grant_type": "password"})
    assert other.json() == {
        "error": "unsupported_grant_type",
        "error_description": "Invalid grant_type: password",
    }


def test_refresh_gives_a_new_access_token_without_a_new_refresh_token(emu):
    host = link(emu)
    answer = refresh(emu, host.tokens["refresh_token"])
    assert answer.status == 200
    body = answer.json()
    assert "refresh_token" not in body
    assert body["access_token"] != host.access_token
    assert body["scope"] == host.tokens["scope"]
    assert "id_token" in body


def test_refresh_token_only_on_first_consent_or_prompt_consent(emu):
    first = exchange(emu, get_code(emu, prompt=None)).json()
    assert "refresh_token" in first
    again = exchange(emu, get_code(emu, prompt=None)).json()  # no consent screen this time
    assert "refresh_token" not in again
    forced = exchange(emu, get_code(emu, prompt="consent")).json()
    assert "refresh_token" in forced
    online = exchange(emu, get_code(emu, access_type=None)).json()
    assert "refresh_token" not in online


def test_a_granted_user_comes_straight_back_without_prompt(emu):
    browse(emu, authorize_url(emu))
    status, _, _ = emu.handle("GET", "/o/oauth2/v2/auth", urlsplit(authorize_url(emu, prompt=None)).query)
    assert status == 200  # no session in a fresh browser: the sign-in page
    location = browse(emu, authorize_url(emu, prompt=None))
    assert location["prompt"] == ["none"]


def test_revoke_kills_every_token_of_the_grant(emu):
    host = link(emu)
    assert host.api("GET", "/calendars/primary/events").status == 200
    revoked = emu.handle("POST", "/revoke", {"token": host.tokens["refresh_token"]})
    assert revoked.status == 200
    after = refresh(emu, host.tokens["refresh_token"])
    assert (after.status, after.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    denied = host.api("GET", "/calendars/primary/events")
    assert denied.status == 401
    error = denied.json()["error"]
    assert error["errors"][0]["reason"] == "authError" and error["status"] == "UNAUTHENTICATED"
    assert "Bearer" in denied.headers["WWW-Authenticate"]
    again = emu.handle("POST", "/revoke", {"token": host.tokens["refresh_token"]})
    assert (again.status, again.json()["error"]) == (400, "invalid_token")


def test_revoking_the_access_token_also_revokes_the_refresh_token(emu):
    host = link(emu)
    assert (
        emu.handle(
            "POST",
            "/revoke",
            "",
            {"Content-Type": "application/x-www-form-urlencoded"},
            urlencode({"token": host.access_token}),
        ).status
        == 200
    )
    assert refresh(emu, host.tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_new_consent_after_revocation_links_again(emu):
    link(emu)
    emu.revoke(HOST_EMAIL)
    again = link(emu)
    assert "refresh_token" in again.tokens
    assert again.api("GET", "/calendars/primary/events").status == 200


def test_revocation_between_consent_and_exchange_refuses_the_code(emu):
    code = get_code(emu)
    emu.revoke(HOST_EMAIL)
    assert exchange(emu, code).json()["error"] == "invalid_grant"


def test_userinfo_and_tokeninfo(emu):
    host = link(emu)
    info = host.emu.handle("GET", "/oauth2/v3/userinfo", "", {"Authorization": f"Bearer {host.access_token}"})
    assert info.json()["email"] == HOST_EMAIL and info.json()["sub"] == "110000000000000000003"
    token = emu.handle("GET", "/oauth2/v3/tokeninfo", {"access_token": host.access_token}).json()
    assert token["aud"] == emu.config.client_id and token["email"] == HOST_EMAIL
    assert emu.handle("GET", "/oauth2/v3/userinfo").status == 401


def test_access_tokens_expire(emu):
    host = link(emu)
    emu.advance(3601)
    assert host.api("GET", "/calendars/primary/events").status == 401
    assert refresh(emu, host.tokens["refresh_token"]).status == 200


def test_login_hint_prefills_and_wrong_password_is_refused(emu):
    page = emu.handle("GET", "/o/oauth2/v2/auth", urlsplit(authorize_url(emu, login_hint=HOST_EMAIL)).query)
    assert f'value="{HOST_EMAIL}"' in page.body.decode()
    with pytest.raises(ApprovalError):
        approve(send(emu), authorize_url(emu), email=HOST_EMAIL, password="wrong")
    with pytest.raises(ApprovalError, match="停止"):
        approve(send(emu), authorize_url(emu), email="suspended@sample.example.com", password="google-pass")


def test_scope_without_calendar_is_refused_by_the_api(emu):
    host = Link.from_answer(emu, exchange(emu, get_code(emu, scope="openid email")))
    denied = host.api("GET", "/calendars/primary/events")
    assert denied.status == 403
    assert denied.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


def test_missing_and_invalid_credentials_answer_401_in_googles_shape(emu):
    missing = emu.handle("GET", "/calendar/v3/calendars/primary/events")
    assert missing.status == 401
    assert missing.json()["error"]["errors"][0]["reason"] == "required"
    invalid = emu.handle(
        "GET", "/calendar/v3/calendars/primary/events", "", {"Authorization": "Bearer ya29.not-a-token"}
    )
    error = invalid.json()["error"]
    assert (invalid.status, error["errors"][0]["reason"], error["errors"][0]["message"]) == (
        401,
        "authError",
        "Invalid Credentials",
    )
    assert error["errors"][0]["location"] == "Authorization"
