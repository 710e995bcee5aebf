"""Users: list with next_page_token paging and status filter, get user and me, errors."""

from __future__ import annotations

from .helpers import link
from .sdk_shapes import GET_USER_RESPONSE, LIST_USERS_ITEM, LIST_USERS_RESPONSE


def test_list_users_pages_with_next_page_token_until_it_is_empty(linked):
    first = linked.api("GET", "/users", query={"status": "active", "page_size": 2})
    assert first.status == 200
    data = first.json()
    assert (data["page_size"], data["total_records"], len(data["users"])) == (2, 4, 2)
    assert data["next_page_token"]
    second = linked.api(
        "GET", "/users", query={"page_size": 2, "next_page_token": data["next_page_token"]}
    ).json()
    assert len(second["users"]) == 2
    assert second["next_page_token"] == ""
    emails = [u["email"] for u in data["users"] + second["users"]]
    assert emails == [
        "zoom-admin@sample.example.com",
        "recruiter@demo.example.com",
        "interviewer@demo.example.com",
        "basic-user@sample.example.com",
    ]


def test_list_users_filters_by_status(linked):
    pending = linked.api("GET", "/users", query={"status": "pending"}).json()["users"]
    inactive = linked.api("GET", "/users", query={"status": "inactive"}).json()["users"]
    assert [u["email"] for u in pending] == ["pending-user@sample.example.com"]
    assert [u["email"] for u in inactive] == ["former-user@sample.example.com"]
    default = linked.api("GET", "/users").json()["users"]
    assert {u["status"] for u in default} == {"active"}


def test_list_users_rejects_an_unknown_status_with_validation_errors(linked):
    response = linked.api("GET", "/users", query={"status": "everyone"})
    assert response.status == 400
    assert response.json()["code"] == 300
    assert response.json()["errors"][0]["field"] == "status"


def test_next_page_token_expires_after_fifteen_minutes(emu, linked):
    token = linked.api("GET", "/users", query={"page_size": 1}).json()["next_page_token"]
    emu.advance(901)
    fresh = link(emu)  # the access token would have expired anyway within the hour; keep it simple
    response = fresh.api("GET", "/users", query={"page_size": 1, "next_page_token": token})
    assert (response.status, response.json()["code"]) == (400, 300)


def test_page_size_is_capped_at_300(linked):
    assert linked.api("GET", "/users", query={"page_size": 1000}).json()["page_size"] == 300


def test_list_users_answer_uses_sdk_field_names_and_types(linked):
    data = linked.api("GET", "/users").json()
    assert set(data) == LIST_USERS_RESPONSE
    for user in data["users"]:
        assert set(user) <= LIST_USERS_ITEM
        assert {
            "id",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "type",
            "status",
            "timezone",
            "pmi",
        } <= set(user)
        assert isinstance(user["pmi"], int)
        assert user["type"] in (1, 2, 4, 99)
        assert user["verified"] in (0, 1)
        assert isinstance(user["role_id"], str)
    assert {u["type"] for u in data["users"]} == {1, 2}


def test_get_me_is_the_authorizing_admin_with_the_account_id(emu, linked):
    response = linked.api("GET", "/users/me")
    assert response.status == 200
    me = response.json()
    assert (me["email"], me["account_id"], me["role_name"]) == (emu.admin_email, "SmplAcct01JP", "Owner")
    assert set(me) <= GET_USER_RESPONSE


def test_get_user_by_id_or_email(linked):
    by_email = linked.api("GET", "/users/recruiter@demo.example.com").json()
    by_id = linked.api("GET", f"/users/{by_email['id']}").json()
    assert by_id == by_email
    assert by_id["display_name"] == "採用 太郎"


def test_get_unknown_user_is_404_code_1001(linked):
    response = linked.api("GET", "/users/nobody@example.com")
    assert (response.status, response.json()) == (
        404,
        {"code": 1001, "message": "User does not exist: nobody@example.com."},
    )


def test_missing_scope_is_400_code_4711(emu):
    emu.configure(scopes=["meeting:write:meeting:admin"])
    restricted = link(emu)
    response = restricted.api("GET", "/users")
    assert response.status == 400
    assert response.json() == {
        "code": 4711,
        "message": "Invalid access token, does not contain scopes:"
        "[user:read:list_users:admin, user:read:admin].",
    }


def test_classic_scopes_are_accepted_too(emu):
    emu.configure(scopes=["user:read:admin"])
    assert link(emu).api("GET", "/users").status == 200


def test_requests_without_a_bearer_token_are_401_code_124(emu):
    response = emu.handle("GET", "/v2/users")
    assert (response.status, response.json()) == (401, {"code": 124, "message": "Invalid access token."})
