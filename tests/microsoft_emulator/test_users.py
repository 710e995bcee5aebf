"""GET /users (paged: $top, @odata.nextLink, $skiptoken, $select), GET /users/{id} and /me, tenant scoping."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from microsoft_emulator.seed import OTHER_TENANT_ID

from .helpers import INTERVIEWER, admin_consent_url, api, browse, client_credentials

USER_KEYS = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
]


def follow(app, link: str):
    parts = urlsplit(link)
    assert parts.path == "/v1.0/users"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return app.api("GET", "/users", query=query)


def test_users_are_paged_with_top_and_next_link(app):
    first = app.api("GET", "/users", query={"$top": 2})
    assert first.status == 200
    body = first.json()
    assert body["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#users"
    assert [list(u) for u in body["value"]] == [USER_KEYS, USER_KEYS]
    seen = [u["userPrincipalName"] for u in body["value"]]
    link = body["@odata.nextLink"]
    assert link.startswith("https://graph.microsoft.com/v1.0/users?$top=2&$skiptoken=")
    while link:
        page = follow(app, link).json()
        seen += [u["userPrincipalName"] for u in page["value"]]
        link = page.get("@odata.nextLink")
    assert seen == [
        "ms-admin@sample.example.com",
        "recruiter@demo.example.com",
        "interviewer@demo.example.com",
        "member@sample.example.com",
        "former-user@sample.example.com",
    ]  # only this tenant's users


def test_select_returns_only_the_named_properties_and_keeps_them_in_the_next_link(app):
    body = app.api("GET", "/users", query={"$top": 3, "$select": "id,displayName,accountEnabled"}).json()
    assert body["@odata.context"].endswith("#users(id,displayName,accountEnabled)")
    assert set(body["value"][0]) == {"id", "displayName", "accountEnabled"}
    assert "$select=id,displayName,accountEnabled" in body["@odata.nextLink"]
    bad = app.api("GET", "/users", query={"$select": "shoeSize"})
    assert (bad.status, bad.json()["error"]["code"]) == (400, "Request_BadRequest")
    assert app.api("GET", "/users", query={"$top": 1000}).status == 400


def test_get_user_by_id_or_upn_within_the_tenant_only(app):
    by_id = app.api("GET", f"/users/{INTERVIEWER}").json()
    assert by_id["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#users/$entity"
    assert by_id["displayName"] == "面接 一郎"
    assert app.api("GET", "/users/Interviewer@demo.example.com").json()["id"] == INTERVIEWER
    foreign = app.api("GET", "/users/staff@other.example.com")
    assert foreign.status == 404
    error = foreign.json()["error"]
    assert error["code"] == "Request_ResourceNotFound"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_me_needs_a_delegated_token(app, emu):
    response = app.api("GET", "/me")
    assert (response.status, response.json()["error"]["code"]) == (400, "BadRequest")


def test_me_and_the_delegated_permission_set(delegated):
    assert delegated.api("GET", "/me").json()["userPrincipalName"] == "ms-admin@sample.example.com"
    # User.Read alone does not list the directory.
    listed = delegated.api("GET", "/users")
    assert (listed.status, listed.json()["error"]["code"]) == (403, "Authorization_RequestDenied")


def test_missing_or_unknown_tokens_are_401_with_a_challenge(emu):
    response = emu.handle("GET", "/v1.0/users")
    assert response.status == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert api(emu, "GET", "/users", "forged.token.here").status == 401


def test_each_tenant_sees_its_own_directory(emu, app):
    browse(emu, admin_consent_url(emu), email="admin@other.example.com")
    other = client_credentials(emu, tenant=OTHER_TENANT_ID).json()["access_token"]
    names = [u["userPrincipalName"] for u in api(emu, "GET", "/users", other).json()["value"]]
    assert names == ["admin@other.example.com", "staff@other.example.com"]


def test_responses_carry_request_ids_and_echo_the_client_request_id(app):
    response = app.api("GET", "/users", headers={"client-request-id": "abc-123"})
    assert response.headers["client-request-id"] == "abc-123"
    assert response.headers["request-id"]


def test_unknown_segments_and_methods_answer_in_graphs_shape(app, emu):
    unknown = app.api("GET", "/users/x/mailFolders")
    assert (unknown.status, unknown.json()["error"]["code"]) == (400, "BadRequest")
    assert app.api("PUT", "/users").status == 405
