"""Emulator settings: the demo's client id and secrets (the values the Makefile gives the product),
plans, scopes, fault rules."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any

DEFAULT_CLIENT_ID = "e2rpro-demo-client"
DEFAULT_CLIENT_SECRET = "e2rpro-demo-secret"
DEFAULT_WEBHOOK_SECRET_TOKEN = "e2rpro-demo-webhook-token"
APP_NAME = "e2RPRO"

CALLBACK_PATH = "/web-interview/zoom/callback/"
DEFAULT_REDIRECT_URIS = [
    f"http://127.0.0.1:8000{CALLBACK_PATH}",
    f"http://localhost:8000{CALLBACK_PATH}",
    f"http://testserver{CALLBACK_PATH}",
]

# Granular scopes of an admin-managed app, and the classic scope each one replaces.
DEFAULT_SCOPES = [
    "meeting:write:meeting:admin",
    "meeting:read:meeting:admin",
    "meeting:update:meeting:admin",
    "meeting:delete:meeting:admin",
    "meeting:read:list_meetings:admin",
    "user:read:list_users:admin",
    "user:read:user:admin",
]

# Per-account requests per second by rate-limit category (Zoom "Rate limits" docs).
PLANS: dict[str, dict[str, int]] = {
    "free": {"light": 4, "medium": 2, "heavy": 1},
    "pro": {"light": 30, "medium": 20, "heavy": 10},
    "business": {"light": 80, "medium": 60, "heavy": 40},
}
# The Free plan also caps each category per account and day.
FREE_DAILY_CAPS = {"light": 6000, "medium": 2000, "heavy": 1000}

# Endpoint names (what fault rules, counters and rate limits speak of) and the groups a rule may name.
API_ENDPOINTS = (
    "list_users",
    "get_user",
    "create_meeting",
    "get_meeting",
    "update_meeting",
    "delete_meeting",
    "list_meetings",
)
OAUTH_ENDPOINTS = ("token_code", "token_refresh", "token_other", "revoke")
ENDPOINT_GROUPS: dict[str, tuple[str, ...]] = {
    "all": (*API_ENDPOINTS, *OAUTH_ENDPOINTS),
    "api": API_ENDPOINTS,
    "oauth": OAUTH_ENDPOINTS,
    "token": ("token_code", "token_refresh", "token_other"),
    "refresh": ("token_refresh",),
    "users": ("list_users", "get_user"),
    "meetings": ("create_meeting", "get_meeting", "update_meeting", "delete_meeting", "list_meetings"),
    "meeting_writes": ("create_meeting", "update_meeting", "delete_meeting"),
}
FAULT_MODES = ("status", "html", "timeout", "disconnect", "latency")


class ConfigError(ValueError):
    """An option given to configure() (or POST /_emulator/config) is unknown or invalid."""


@dataclass
class FaultRule:
    """One fault: which endpoints, what happens, how often, and whether the action takes effect first.

    group     an endpoint name or group (ENDPOINT_GROUPS), or a list of them
    mode      status (JSON 5xx) | html (non-JSON error page) | timeout | disconnect | latency
    status    the HTTP status, or a list to pick from at random (default 500/502/503)
    rate      share of matching requests hit (0..1)
    times     hit only the next N matching requests, then the rule is spent (None: no limit)
    after     True: the action takes effect, then the answer is lost (created meeting, rotated token)
    seconds   added delay for mode "latency"
    label     a name to find the rule again (the error_rate/timeout_rate shortcuts use their own name)
    """

    group: str | list[str] = "api"
    mode: str = "status"
    status: int | list[int] = field(default_factory=lambda: [500, 502, 503])
    rate: float = 1.0
    times: int | None = None
    after: bool = False
    seconds: float = 0.0
    label: str = ""

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise ConfigError(f"unknown fault mode {self.mode!r}; one of {', '.join(FAULT_MODES)}")
        for name in self.group_names():
            if name not in ENDPOINT_GROUPS and name not in ENDPOINT_GROUPS["all"]:
                raise ConfigError(f"unknown endpoint or group {name!r}")
        if not 0 <= float(self.rate) <= 1:
            raise ConfigError("fault rate must be between 0 and 1")

    def group_names(self) -> list[str]:
        return [self.group] if isinstance(self.group, str) else list(self.group)

    def endpoints(self) -> set[str]:
        names: set[str] = set()
        for name in self.group_names():
            names.update(ENDPOINT_GROUPS.get(name, (name,)))
        return names

    def statuses(self) -> list[int]:
        return [self.status] if isinstance(self.status, int) else list(self.status)


@dataclass
class Config:
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    webhook_secret_token: str = DEFAULT_WEBHOOK_SECRET_TOKEN
    app_name: str = APP_NAME
    redirect_uris: list[str] = field(default_factory=lambda: list(DEFAULT_REDIRECT_URIS))
    scopes: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPES))
    # Origins the emulator names in its answers: OAuth/web pages (start_url, join_url) and api_url.
    base_url: str = "https://zoom.us"
    api_url: str = "https://api.zoom.us"
    webhook_url: str | None = None
    plan: str = "pro"
    rate_limits: dict[str, int] | None = None  # overrides the plan's per-second figures
    daily_limit: int = 100  # per host: meeting create + update requests per UTC day
    daily_limit_retry_after: bool = False  # Zoom is seen answering the daily 429 without Retry-After
    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = 90 * 86400  # disputed (15 years vs ~90 days): configurable
    code_lifetime: int = 300
    zak_lifetime: int = 7200
    page_token_lifetime: int = 900
    refresh_revokes_old_access_token: bool = False
    latency: float = 0.0  # seconds added to every OAuth token/revoke and API answer
    faults: list[FaultRule] = field(default_factory=list)
    timeout_seconds: float = 30.0  # how long the HTTP server sits on a "timeout" fault before hanging up
    webhook_retry_schedule: list[float] = field(default_factory=lambda: [5.0, 20.0, 60.0])
    webhook_timeout: float = 3.0
    api_change_webhooks: bool = False  # also send meeting.updated/deleted for changes made through the API
    seed: int | None = None
    record_requests: bool = True

    def per_second_limits(self) -> dict[str, int]:
        limits = dict(PLANS[self.plan])
        limits.update(self.rate_limits or {})
        return limits

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["client_secret"] = "********"
        data["webhook_secret_token"] = "********"
        return data

    def copy(self) -> Config:
        return copy.deepcopy(self)

    def update(self, **options: Any) -> None:
        """Apply options in place (validated). Convenience keys: error_rate, timeout_rate, html_error_rate."""
        known = {f.name for f in fields(self)}
        convenience = {"error_rate": "status", "timeout_rate": "timeout", "html_error_rate": "html"}
        staged = self.copy()
        for key, value in options.items():
            if key in convenience:
                staged.faults = [r for r in staged.faults if r.label != key]
                if value:
                    staged.faults.append(
                        FaultRule(group="api", mode=convenience[key], rate=float(value), label=key)
                    )
                continue
            if key not in known:
                raise ConfigError(f"unknown option {key!r}")
            if key == "faults":
                value = [r if isinstance(r, FaultRule) else _fault_from_dict(r) for r in (value or [])]
            setattr(staged, key, value)
        staged.validate()
        for f in fields(self):
            setattr(self, f.name, getattr(staged, f.name))

    def validate(self) -> None:
        if self.plan not in PLANS:
            raise ConfigError(f"unknown plan {self.plan!r}; one of {', '.join(PLANS)}")
        for key in self.rate_limits or {}:
            if key not in ("light", "medium", "heavy"):
                raise ConfigError(f"unknown rate-limit category {key!r}")
        if not self.webhook_retry_schedule or any(float(s) < 0 for s in self.webhook_retry_schedule):
            raise ConfigError("webhook_retry_schedule must list non-negative delays")
        for name in ("access_token_lifetime", "refresh_token_lifetime", "code_lifetime", "daily_limit"):
            if int(getattr(self, name)) < 0:
                raise ConfigError(f"{name} must not be negative")


def _fault_from_dict(data: Any) -> FaultRule:
    if not isinstance(data, dict):
        raise ConfigError("each fault must be an object")
    allowed = {f.name for f in fields(FaultRule)}
    unknown = set(data) - allowed
    if unknown:
        raise ConfigError(f"unknown fault keys: {', '.join(sorted(unknown))}")
    return FaultRule(**data)
