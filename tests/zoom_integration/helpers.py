"""Helpers for the Zoom link tests: the Zoom settings' values and canned Zoom answers."""

from __future__ import annotations

from urllib.parse import parse_qs

import responses

from tests.zoom_integration.factories import GRANTED_SCOPES

OAUTH = "https://zoom.us"
API = "https://api.zoom.us/v2"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
WEBHOOK_SECRET = "s3cr3t_w3bh00k_t0k3n"


def token_json(access: str = "at-new", refresh: str = "rt-new", *, scope: str = GRANTED_SCOPES) -> dict:
    return {
        "access_token": access,
        "token_type": "bearer",
        "refresh_token": refresh,
        "expires_in": 3599,
        "scope": scope,
        "api_url": "https://api.zoom.us",
    }


def form(call) -> dict[str, str]:
    """The form body of a recorded request, one value per field."""
    body = call.request.body
    if isinstance(body, bytes):
        body = body.decode()
    return {key: values[0] for key, values in parse_qs(body or "").items()}


def zoom_user(n: int, *, status: str = "active", user_type: int = 2) -> dict:
    return {
        "id": f"zuser{n:03d}",
        "email": f"user{n}@zoom.example.com",
        "first_name": f"名{n}",
        "last_name": "山田",
        "display_name": f"山田 名{n}",
        "type": user_type,
        "status": status,
        "timezone": "Asia/Tokyo",
        "pmi": 1000000000 + n,
    }


def users_page(users: list[dict], next_page_token: str = "") -> dict:
    return {"page_size": 300, "total_records": len(users), "next_page_token": next_page_token, "users": users}


def add_users(mock, *, active=(), pending=(), inactive=()) -> None:
    """GET /users for each status, one page each."""
    for status, users in (("active", active), ("pending", pending), ("inactive", inactive)):
        mock.get(
            f"{API}/users",
            json=users_page(list(users)),
            match=[responses.matchers.query_param_matcher({"status": status, "page_size": "300"})],
        )
