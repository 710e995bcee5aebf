"""Emulator settings: the demo OAuth client (client id, secret, redirect URIs, allowed scopes), quotas,
token lifetimes, push-notification timing and fault rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator_kit import faults as kit
from emulator_kit.faults import ConfigError

DEFAULT_CLIENT_ID = "e2rpro-demo-0001.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "e2rpro-demo-google-secret"
APP_NAME = "e2RPRO"

CALLBACK_PATH = "/web-interview/google/callback/"
DEFAULT_REDIRECT_URIS = [
    f"{origin}{CALLBACK_PATH}"
    for origin in ("http://127.0.0.1:8000", "http://localhost:8000", "http://testserver")
]

CALENDAR = "https://www.googleapis.com/auth/calendar"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events"
CALENDAR_EVENTS_READONLY = "https://www.googleapis.com/auth/calendar.events.readonly"
USERINFO_EMAIL = "https://www.googleapis.com/auth/userinfo.email"
USERINFO_PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
# Scopes the OAuth client may request (besides openid / email / profile, which map to the userinfo ones).
DEFAULT_ALLOWED_SCOPES = [CALENDAR, CALENDAR_READONLY, CALENDAR_EVENTS, CALENDAR_EVENTS_READONLY]

TOKEN_ENDPOINTS = ("token_code", "token_refresh", "token_other")
OAUTH_ENDPOINTS = (*TOKEN_ENDPOINTS, "revoke", "userinfo", "tokeninfo")
EVENT_READS = ("list_events", "get_event")
EVENT_WRITES = ("insert_event", "patch_event", "update_event", "delete_event")
CHANNEL_ENDPOINTS = ("watch_events", "stop_channel")
API_ENDPOINTS = (*EVENT_READS, *EVENT_WRITES, *CHANNEL_ENDPOINTS)
ENDPOINT_GROUPS: dict[str, tuple[str, ...]] = {
    "all": (*API_ENDPOINTS, *OAUTH_ENDPOINTS),
    "api": API_ENDPOINTS,
    "calendar": API_ENDPOINTS,
    "events": (*EVENT_READS, *EVENT_WRITES),
    "event_writes": EVENT_WRITES,
    "channels": CHANNEL_ENDPOINTS,
    "oauth": OAUTH_ENDPOINTS,
    "token": TOKEN_ENDPOINTS,
    "refresh": ("token_refresh",),
}
# status: a Google-shaped 5xx (backendError) | html: a non-JSON error page | timeout | disconnect | latency |
# rate_limit: 403 rateLimitExceeded / userRateLimitExceeded or 429 rateLimitExceeded (``status``, ``reason``)
FAULT_MODES = ("status", "html", "timeout", "disconnect", "latency", "rate_limit")


@dataclass
class FaultRule(kit.FaultRule):
    """A Google fault (fields: ``emulator_kit.faults.FaultRule``): ``group`` names an endpoint or a group of
    ENDPOINT_GROUPS, ``mode`` one of FAULT_MODES.

    reason  for mode "rate_limit": "rateLimitExceeded" (default) or "userRateLimitExceeded"; the status is
            403 unless the rule's ``status`` is 429
    """

    MODES = FAULT_MODES
    GROUPS = ENDPOINT_GROUPS

    reason: str = "rateLimitExceeded"
    label: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.reason not in ("rateLimitExceeded", "userRateLimitExceeded"):
            raise ConfigError("reason must be rateLimitExceeded or userRateLimitExceeded")


@dataclass
class Config(kit.FaultSettings):
    FAULT_RULE = FaultRule
    CONVENIENCE_FAULTS = {"error_rate": "status", "timeout_rate": "timeout", "rate_limit_rate": "rate_limit"}
    SECRET_FIELDS = ("client_secret",)

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    app_name: str = APP_NAME
    redirect_uris: list[str] = field(default_factory=lambda: list(DEFAULT_REDIRECT_URIS))
    allowed_scopes: list[str] = field(default_factory=lambda: list(DEFAULT_ALLOWED_SCOPES))
    # Origins the emulator names in its answers: accounts.google.com (sign-in), oauth2.googleapis.com
    # (token, revoke), www.googleapis.com (Calendar API, resourceUri) and meet.google.com (join links).
    accounts_url: str = "https://accounts.google.com"
    oauth2_url: str = "https://oauth2.googleapis.com"
    api_url: str = "https://www.googleapis.com"
    meet_url: str = "https://meet.google.com"
    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = (
        0  # 0: refresh tokens do not expire (Google: until revoked or unused 6 months)
    )
    code_lifetime: int = 600
    sync_token_lifetime: int = 30 * 86400  # older sync tokens answer 410 fullSyncRequired
    # Quotas: requests per user (per project) in ``quota_window`` seconds; 0 = no limit. Over the per-user
    # quota the answer is ``user_quota_status``: 403 userRateLimitExceeded or 429 rateLimitExceeded.
    user_quota: int = 0
    project_quota: int = 0
    quota_window: float = 60.0
    user_quota_status: int = 403
    latency: float = 0.0  # seconds added to every OAuth and Calendar answer
    faults: list[FaultRule] = field(default_factory=list)
    timeout_seconds: float = 30.0  # how long the HTTP server sits on a "timeout" fault before hanging up
    channel_default_ttl: int = 7 * 86400  # a watch channel without expiration lives a week
    channel_max_ttl: int = 30 * 86400
    notification_timeout: float = 5.0
    # Google retries 500/502/503/504 with exponential backoff; other non-2xx answers are not retried.
    notification_retry_schedule: list[float] = field(default_factory=lambda: [1.0, 2.0, 4.0, 8.0, 16.0])
    notify_api_changes: bool = True  # Google notifies the channel of the app's own changes too
    require_https_notification_url: bool = False  # real Google refuses http:// addresses
    seed: int | None = None
    record_requests: bool = True

    def __post_init__(self) -> None:
        # Rules may be given as dicts (JSON), as with configure(faults=[...]).
        self.faults = [r if isinstance(r, FaultRule) else FaultRule.from_dict(r) for r in self.faults]

    def validate(self) -> None:
        if not self.notification_retry_schedule or any(
            float(s) < 0 for s in self.notification_retry_schedule
        ):
            raise ConfigError("notification_retry_schedule must list non-negative delays")
        for name in (
            "access_token_lifetime",
            "refresh_token_lifetime",
            "code_lifetime",
            "sync_token_lifetime",
            "user_quota",
            "project_quota",
            "channel_default_ttl",
            "channel_max_ttl",
        ):
            if int(getattr(self, name)) < 0:
                raise ConfigError(f"{name} must not be negative")
        if float(self.quota_window) <= 0:
            raise ConfigError("quota_window must be positive")
        if int(self.user_quota_status) not in (403, 429):
            raise ConfigError("user_quota_status must be 403 or 429")
