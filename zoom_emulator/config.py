"""Emulator settings: the demo's client id and secrets (the values the Makefile gives the product),
plans, scopes, fault rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator_kit import faults as kit
from emulator_kit.faults import ConfigError

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


@dataclass
class FaultRule(kit.FaultRule):
    """A Zoom fault (fields: ``emulator_kit.faults.FaultRule``): ``group`` names an endpoint or a group of
    ENDPOINT_GROUPS, ``mode`` one of FAULT_MODES (status answers Zoom's JSON 5xx, html a non-JSON error page).
    """

    MODES = FAULT_MODES
    GROUPS = ENDPOINT_GROUPS

    label: str = ""


@dataclass
class Config(kit.FaultSettings):
    FAULT_RULE = FaultRule
    CONVENIENCE_FAULTS = {"error_rate": "status", "timeout_rate": "timeout", "html_error_rate": "html"}
    SECRET_FIELDS = ("client_secret", "webhook_secret_token")

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
