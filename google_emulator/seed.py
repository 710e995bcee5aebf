"""The seeded Google Workspace and its users. Fixed ids (Google's numeric ``sub``) so a reset gives the same
world.

株式会社サンプル's Workspace (domains sample.example.com and demo.example.com) has a Workspace
administrator, the demo's recruiter and interviewer, a plain member and a suspended account; a second
Workspace (他社商事, other.example.com) is there for scoping tests. Every password is ``google-pass``.
"""

from __future__ import annotations

from typing import Any

WORKSPACE = "株式会社サンプル"
ADMIN_EMAIL = "gw-admin@sample.example.com"
USER_PASSWORD = "google-pass"
STATE_VERSION = 1
TIME_ZONE = "Asia/Tokyo"

# (sub, email, family name, given name, workspace, admin, active)
_USERS = [
    ("110000000000000000001", ADMIN_EMAIL, "管理", "花子", "sample", True, True),
    ("110000000000000000002", "recruiter@demo.example.com", "採用", "太郎", "sample", False, True),
    ("110000000000000000003", "interviewer@demo.example.com", "面接", "一郎", "sample", False, True),
    ("110000000000000000004", "member@sample.example.com", "一般", "次郎", "sample", False, True),
    ("110000000000000000005", "suspended@sample.example.com", "停止", "四郎", "sample", False, False),
    ("120000000000000000001", "admin@other.example.com", "他社", "管理者", "other", True, True),
    ("120000000000000000002", "staff@other.example.com", "他社", "社員", "other", False, True),
]
WORKSPACES = {"sample": WORKSPACE, "other": "他社商事株式会社"}


def new_user(
    *,
    sub: str,
    email: str,
    family_name: str = "",
    given_name: str = "",
    workspace: str = "sample",
    admin: bool = False,
    active: bool = True,
    password: str = USER_PASSWORD,
) -> dict[str, Any]:
    return {
        "id": sub,
        "email": email,
        "family_name": family_name,
        "given_name": given_name,
        "name": f"{family_name} {given_name}".strip() or email,
        "workspace": workspace,
        "admin": admin,
        "active": active,
        "password": password,
        "time_zone": TIME_ZONE,
    }


def seed_state() -> dict[str, Any]:
    users = [
        new_user(
            sub=sub,
            email=email,
            family_name=family,
            given_name=given,
            workspace=workspace,
            admin=admin,
            active=active,
        )
        for sub, email, family, given, workspace, admin, active in _USERS
    ]
    return {
        "version": STATE_VERSION,
        "users": users,
        "grants": {},  # "<user id>|<client id>" → the scopes the user granted the app
        "codes": {},
        "tokens": {},
        "calendars": {u["id"]: {"seq": 0, "sync_epoch": 0} for u in users},
        "events": {u["id"]: {} for u in users},
        "channels": {},
        "outbox": [],
        "next_notification_id": 1,
        "sessions": {},
        "quota": {},
        "stats": {"requests": {}, "faults": {}, "rate_limited": {}},
    }
