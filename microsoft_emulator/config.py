"""Emulator settings: the demo app registration (client id, secret, redirect URIs, permissions),
throttling, token lifetimes, fault rules."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any

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

API_ENDPOINTS = (
    "list_users",
    "get_user",
    "list_events",
    "create_event",
    "get_event",
    "update_event",
    "delete_event",
    "create_online_meeting",
    "create_or_get_online_meeting",
    "get_online_meeting",
    "update_online_meeting",
    "delete_online_meeting",
    "create_subscription",
    "list_subscriptions",
    "get_subscription",
    "update_subscription",
    "delete_subscription",
    "reauthorize_subscription",
)
IDENTITY_ENDPOINTS = ("token_code", "token_refresh", "token_client", "token_other")
ENDPOINT_GROUPS: dict[str, tuple[str, ...]] = {
    "all": (*API_ENDPOINTS, *IDENTITY_ENDPOINTS),
    "api": API_ENDPOINTS,
    "identity": IDENTITY_ENDPOINTS,
    "token": IDENTITY_ENDPOINTS,
    "refresh": ("token_refresh",),
    "users": ("list_users", "get_user"),
    "events": ("list_events", "create_event", "get_event", "update_event", "delete_event"),
    "event_writes": ("create_event", "update_event", "delete_event"),
    "online_meetings": (
        "create_online_meeting",
        "create_or_get_online_meeting",
        "get_online_meeting",
        "update_online_meeting",
        "delete_online_meeting",
    ),
    "subscriptions": (
        "create_subscription",
        "list_subscriptions",
        "get_subscription",
        "update_subscription",
        "delete_subscription",
        "reauthorize_subscription",
    ),
}
FAULT_MODES = ("status", "html", "timeout", "disconnect", "latency", "throttle")


class ConfigError(ValueError):
    """An option given to configure() (or POST /_emulator/config) is unknown or invalid."""


@dataclass
class FaultRule:
    """One fault: which endpoints, what happens, how often, and whether the action takes effect first.

    group        an endpoint name or group (ENDPOINT_GROUPS), or a list of them
    mode         status (Graph-shaped 5xx) | html (non-JSON error page) | timeout | disconnect | latency |
                 throttle (429 TooManyRequests with Retry-After)
    status       the HTTP status, or a list to pick from at random (default 500/502/503)
    rate         share of matching requests hit (0..1)
    times        hit only the next N matching requests, then the rule is spent (None: no limit)
    after        True: the action takes effect, then the answer is lost (created event, rotated token)
    seconds      added delay for mode "latency"
    retry_after  the Retry-After seconds of mode "throttle"
    label        a name to find the rule again (error_rate/timeout_rate/throttle_rate use their own name)
    """

    group: str | list[str] = "api"
    mode: str = "status"
    status: int | list[int] = field(default_factory=lambda: [500, 502, 503])
    rate: float = 1.0
    times: int | None = None
    after: bool = False
    seconds: float = 0.0
    retry_after: int = 2
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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["client_secret"] = "********"
        return data

    def copy(self) -> Config:
        return copy.deepcopy(self)

    def update(self, **options: Any) -> None:
        """Apply options in place (validated). Convenience keys: error_rate, timeout_rate, throttle_rate."""
        known = {f.name for f in fields(self)}
        convenience = {"error_rate": "status", "timeout_rate": "timeout", "throttle_rate": "throttle"}
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
        if not self.notification_retry_schedule or any(
            float(s) < 0 for s in self.notification_retry_schedule
        ):
            raise ConfigError("notification_retry_schedule must list non-negative delays")
        for name in ("access_token_lifetime", "refresh_token_lifetime", "code_lifetime", "throttle_limit"):
            if int(getattr(self, name)) < 0:
                raise ConfigError(f"{name} must not be negative")
        if float(self.throttle_window) <= 0:
            raise ConfigError("throttle_window must be positive")


def _fault_from_dict(data: Any) -> FaultRule:
    if not isinstance(data, dict):
        raise ConfigError("each fault must be an object")
    allowed = {f.name for f in fields(FaultRule)}
    unknown = set(data) - allowed
    if unknown:
        raise ConfigError(f"unknown fault keys: {', '.join(sorted(unknown))}")
    return FaultRule(**data)
