"""Emulator settings: the demo app registration (client id, secret, redirect URIs, permissions),
throttling, token lifetimes, fault rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator_kit import faults as kit
from emulator_kit.faults import ConfigError

DEFAULT_CLIENT_ID = "0e2f7a9c-3b1d-4c5e-8f60-e2a0de000001"
DEFAULT_CLIENT_SECRET = "e2rpro-demo-ms-secret"
APP_NAME = "e2RPRO"

CALLBACK_PATH = "/web-interview/teams/callback/"
ADMIN_CONSENT_PATH = "/web-interview/teams/admin-consent/"
DEFAULT_REDIRECT_URIS = [
    f"{origin}{path}"
    for origin in ("http://127.0.0.1:8000", "http://localhost:8000", "http://testserver")
    for path in (CALLBACK_PATH, ADMIN_CONSENT_PATH)
]

# Microsoft Graph application permissions (app roles) the app registration asks for; granted to a tenant by
# admin consent and carried in client-credentials tokens as "roles".
DEFAULT_APPLICATION_PERMISSIONS = ["User.Read.All", "Calendars.ReadWrite", "OnlineMeetings.ReadWrite.All"]
# Delegated permissions the app may request in "scope" (OpenID Connect scopes are always allowed).
DEFAULT_DELEGATED_PERMISSIONS = [
    "User.Read",
    "User.ReadBasic.All",
    "User.Read.All",
    "Calendars.Read",
    "Calendars.ReadWrite",
    "Calendars.ReadWrite.Shared",
    "OnlineMeetings.ReadWrite",
]

USER_ENDPOINTS = ("list_users", "get_user")
EVENT_ENDPOINTS = ("list_events", "create_event", "get_event", "update_event", "delete_event")
ONLINE_MEETING_ENDPOINTS = (
    "create_online_meeting",
    "create_or_get_online_meeting",
    "get_online_meeting",
    "update_online_meeting",
    "delete_online_meeting",
)
SUBSCRIPTION_ENDPOINTS = (
    "create_subscription",
    "list_subscriptions",
    "get_subscription",
    "update_subscription",
    "delete_subscription",
    "reauthorize_subscription",
)
API_ENDPOINTS = (*USER_ENDPOINTS, *EVENT_ENDPOINTS, *ONLINE_MEETING_ENDPOINTS, *SUBSCRIPTION_ENDPOINTS)
IDENTITY_ENDPOINTS = ("token_code", "token_refresh", "token_client", "token_other")
ENDPOINT_GROUPS: dict[str, tuple[str, ...]] = {
    "all": (*API_ENDPOINTS, *IDENTITY_ENDPOINTS),
    "api": API_ENDPOINTS,
    "identity": IDENTITY_ENDPOINTS,
    "token": IDENTITY_ENDPOINTS,
    "refresh": ("token_refresh",),
    "users": USER_ENDPOINTS,
    "events": EVENT_ENDPOINTS,
    "event_writes": ("create_event", "update_event", "delete_event"),
    "online_meetings": ONLINE_MEETING_ENDPOINTS,
    "subscriptions": SUBSCRIPTION_ENDPOINTS,
}
FAULT_MODES = ("status", "html", "timeout", "disconnect", "latency", "throttle")


@dataclass
class FaultRule(kit.FaultRule):
    """A Graph fault (fields: ``emulator_kit.faults.FaultRule``): ``group`` names an endpoint or a group of
    ENDPOINT_GROUPS, ``mode`` one of FAULT_MODES (status answers a Graph-shaped 5xx, throttle a 429
    TooManyRequests with Retry-After).

    retry_after  the Retry-After seconds of mode "throttle"
    """

    MODES = FAULT_MODES
    GROUPS = ENDPOINT_GROUPS

    retry_after: int = 2
    label: str = ""


@dataclass
class Config(kit.FaultSettings):
    FAULT_RULE = FaultRule
    CONVENIENCE_FAULTS = {"error_rate": "status", "timeout_rate": "timeout", "throttle_rate": "throttle"}
    SECRET_FIELDS = ("client_secret",)

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    app_name: str = APP_NAME
    redirect_uris: list[str] = field(default_factory=lambda: list(DEFAULT_REDIRECT_URIS))
    application_permissions: list[str] = field(default_factory=lambda: list(DEFAULT_APPLICATION_PERMISSIONS))
    delegated_permissions: list[str] = field(default_factory=lambda: list(DEFAULT_DELEGATED_PERMISSIONS))
    # Origins the emulator names in its answers: the sign-in origin (login.microsoftonline.com), Graph
    # (graph.microsoft.com, for @odata.nextLink) and Teams (onlineMeeting.joinUrl).
    login_url: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com"
    teams_url: str = "https://teams.microsoft.com"
    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = 90 * 86400
    code_lifetime: int = 600
    # Outlook's per-app, per-mailbox limit: 10,000 requests in 10 minutes (Graph "throttling limits").
    throttle_limit: int = 10_000
    throttle_window: float = 600.0
    latency: float = 0.0  # seconds added to every token and Graph answer
    faults: list[FaultRule] = field(default_factory=list)
    timeout_seconds: float = 30.0  # how long the HTTP server sits on a "timeout" fault before hanging up
    max_event_subscription_minutes: int = 4230
    validation_timeout: float = 10.0  # the subscriber must echo validationToken within 10 seconds
    notification_timeout: float = 3.0
    notification_retry_schedule: list[float] = field(default_factory=lambda: [5.0, 20.0, 60.0])
    notify_api_changes: bool = True  # Graph notifies the subscriber of its own changes too
    require_https_notification_url: bool = False  # real Graph refuses http:// notification URLs
    # Application tokens reach /users/{id}/onlineMeetings only when the tenant's admin granted the app a Teams
    # application access policy (Grant-CsApplicationAccessPolicy); False answers those calls 403.
    application_access_policy: bool = True
    seed: int | None = None
    record_requests: bool = True

    def validate(self) -> None:
        if not self.notification_retry_schedule or any(
            float(s) < 0 for s in self.notification_retry_schedule
        ):
            raise ConfigError("notification_retry_schedule must list non-negative delays")
        for name in ("access_token_lifetime", "refresh_token_lifetime", "code_lifetime", "throttle_limit"):
            if int(getattr(self, name)) < 0:
                raise ConfigError(f"{name} must not be negative")
        if float(self.throttle_window) <= 0:
            raise ConfigError("throttle_window must be positive")
