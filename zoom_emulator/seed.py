"""The seeded Zoom account (株式会社サンプル) and its six users. Fixed ids so a reset gives the same world."""

from __future__ import annotations

from typing import Any

ACCOUNT_ID = "SmplAcct01JP"
ACCOUNT_NAME = "株式会社サンプル"
ADMIN_EMAIL = "zoom-admin@sample.example.com"
USER_PASSWORD = "zoom-pass"
STATE_VERSION = 1

# (id, email, last, first, type, status, role, timezone, pmi)
# type: 1 Basic, 2 Licensed. role_id: "0" Owner, "1" Admin, "2" Member.
_USERS = [
    ("u8AdmSmplOwner0000001A", ADMIN_EMAIL, "管理", "花子", 2, "active", "0", "Asia/Tokyo", 3155550101),
    (
        "u8RecDemoRecruit00002B",
        "recruiter@demo.example.com",
        "採用",
        "太郎",
        2,
        "active",
        "2",
        "Asia/Tokyo",
        3155550102,
    ),
    (
        "u8IntDemoInterview003C",
        "interviewer@demo.example.com",
        "面接",
        "一郎",
        2,
        "active",
        "2",
        "Asia/Tokyo",
        3155550103,
    ),
    (
        "u8BasSmplBasicUser004D",
        "basic-user@sample.example.com",
        "基本",
        "次郎",
        1,
        "active",
        "2",
        "Asia/Tokyo",
        3155550104,
    ),
    (
        "u8PndSmplPendingU005E",
        "pending-user@sample.example.com",
        "招待中",
        "三郎",
        1,
        "pending",
        "2",
        "Asia/Tokyo",
        3155550105,
    ),
    (
        "u8InaSmplFormerUs006F",
        "former-user@sample.example.com",
        "退職",
        "四郎",
        2,
        "inactive",
        "2",
        "America/Los_Angeles",
        3155550106,
    ),
]
ROLE_NAMES = {"0": "Owner", "1": "Admin", "2": "Member"}
SEED_CREATED_AT = 1735689600.0  # 2025-01-01T00:00:00Z


def seed_state() -> dict[str, Any]:
    """A fresh state: the account, its users, nothing installed, no meetings."""
    users = []
    for index, (user_id, email, last, first, user_type, status, role_id, tz, pmi) in enumerate(_USERS):
        users.append(
            {
                "id": user_id,
                "email": email,
                "first_name": first,
                "last_name": last,
                "display_name": f"{last} {first}",
                "type": user_type,
                "status": status,
                "role_id": role_id,
                "timezone": tz,
                "pmi": pmi,
                "dept": "人事部" if index < 3 else "",
                "language": "ja-JP",
                "created_at": SEED_CREATED_AT + index * 86400,
                "last_login_time": None if status == "pending" else SEED_CREATED_AT + 300 * 86400,
                "password": USER_PASSWORD,
            }
        )
    return {
        "version": STATE_VERSION,
        "account": {
            "id": ACCOUNT_ID,
            "name": ACCOUNT_NAME,
            "account_number": 8801234567,
            "plan": "pro",
        },
        "users": users,
        "installations": {},
        "codes": {},
        "tokens": {},
        "meetings": {},
        "zaks": {},
        "page_tokens": {},
        "sessions": {},
        "daily_counts": {},
        "stats": {"requests": {}, "rate_limited": {}, "rate_limited_by_type": {}, "faults": {}},
        "webhook_endpoint": {"status": "validated", "validated_at": None},
        "outbox": [],
        "next_webhook_id": 1,
    }
