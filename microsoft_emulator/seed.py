"""The seeded Microsoft Entra tenants and their users. Fixed ids so a reset gives the same world.

The default tenant 株式会社サンプル has five users: a Global Administrator, the demo's recruiter and
interviewer, a plain member and a disabled account. A second tenant (他社商事) is there for tenant-scoping
tests. Every password is ``ms-pass``.
"""

from __future__ import annotations

import uuid
from typing import Any

TENANT_ID = "5a0e1c7d-3f42-4b8e-9d16-7c2b8e4f0a01"
TENANT_NAME = "株式会社サンプル"
TENANT_DOMAIN = "sample.onmicrosoft.com"
ADMIN_EMAIL = "ms-admin@sample.example.com"
OTHER_TENANT_ID = "9b3d6e2f-8a71-4c05-b2e4-1f6a9c7d0b02"
USER_PASSWORD = "ms-pass"
STATE_VERSION = 1
GLOBAL_ADMIN = "Global Administrator"

# (id, userPrincipalName, surname, givenName, jobTitle, accountEnabled, roles, preferredLanguage)
_SAMPLE_USERS = [
    (
        "7c1e0b5a-0001-4f3a-9a11-a0a0a0a00001",
        ADMIN_EMAIL,
        "管理",
        "花子",
        "情報システム部長",
        True,
        [GLOBAL_ADMIN],
    ),
    (
        "7c1e0b5a-0002-4f3a-9a11-a0a0a0a00002",
        "recruiter@demo.example.com",
        "採用",
        "太郎",
        "採用担当",
        True,
        [],
    ),
    (
        "7c1e0b5a-0003-4f3a-9a11-a0a0a0a00003",
        "interviewer@demo.example.com",
        "面接",
        "一郎",
        "面接官",
        True,
        [],
    ),
    ("7c1e0b5a-0004-4f3a-9a11-a0a0a0a00004", "member@sample.example.com", "一般", "次郎", "", True, []),
    ("7c1e0b5a-0005-4f3a-9a11-a0a0a0a00005", "former-user@sample.example.com", "退職", "四郎", "", False, []),
]
_OTHER_USERS = [
    (
        "3f9a2c4e-0001-4b6d-8e22-b0b0b0b00001",
        "admin@other.example.com",
        "他社",
        "管理者",
        "",
        True,
        [GLOBAL_ADMIN],
    ),
    ("3f9a2c4e-0002-4b6d-8e22-b0b0b0b00002", "staff@other.example.com", "他社", "社員", "", True, []),
]
SEED_CREATED_AT = 1735689600.0  # 2025-01-01T00:00:00Z


def new_tenant(*, tenant_id: str | None = None, name: str, domain: str) -> dict[str, Any]:
    return {
        "id": tenant_id or str(uuid.uuid4()),
        "displayName": name,
        "domain": domain,
        "createdDateTime": SEED_CREATED_AT,
    }


def new_user(
    *,
    tenant_id: str,
    upn: str,
    surname: str = "",
    given_name: str = "",
    job_title: str = "",
    enabled: bool = True,
    roles: list[str] | None = None,
    user_id: str | None = None,
    password: str = USER_PASSWORD,
    preferred_language: str = "ja-JP",
    time_zone: str = "Tokyo Standard Time",
) -> dict[str, Any]:
    display = f"{surname} {given_name}".strip() or upn.split("@")[0]
    return {
        "id": user_id or str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "userPrincipalName": upn,
        "mail": upn,
        "displayName": display,
        "givenName": given_name or None,
        "surname": surname or None,
        "jobTitle": job_title or None,
        "accountEnabled": enabled,
        "roles": list(roles or []),
        "preferredLanguage": preferred_language,
        "officeLocation": None,
        "mobilePhone": None,
        "businessPhones": [],
        "timeZone": time_zone,
        "password": password,
    }


def seed_state() -> dict[str, Any]:
    """A fresh state: two tenants and their users, no consent, no events."""
    tenants = {
        TENANT_ID: new_tenant(tenant_id=TENANT_ID, name=TENANT_NAME, domain=TENANT_DOMAIN),
        OTHER_TENANT_ID: new_tenant(
            tenant_id=OTHER_TENANT_ID, name="他社商事株式会社", domain="other.onmicrosoft.com"
        ),
    }
    users = []
    for tenant_id, rows in ((TENANT_ID, _SAMPLE_USERS), (OTHER_TENANT_ID, _OTHER_USERS)):
        for user_id, upn, surname, given, title, enabled, roles in rows:
            users.append(
                new_user(
                    tenant_id=tenant_id,
                    user_id=user_id,
                    upn=upn,
                    surname=surname,
                    given_name=given,
                    job_title=title,
                    enabled=enabled,
                    roles=roles,
                )
            )
    return {
        "version": STATE_VERSION,
        "tenants": tenants,
        "users": users,
        "consents": {},
        "codes": {},
        "tokens": {},
        "sessions": {},
        "events": {},
        "online_meetings": {},
        "subscriptions": {},
        "page_tokens": {},
        "throttle": {},
        "stats": {"requests": {}, "throttled": {}, "faults": {}},
        "outbox": [],
        "next_notification_id": 1,
    }
