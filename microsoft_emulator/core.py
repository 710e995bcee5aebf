"""The emulator core: one object holding the state, the clock, the config and the notification outbox.

Every transport drives the same ``Emulator.handle(method, path, query, headers, body)`` (the request
pipeline of ``emulator_kit.base``): the HTTP server
(``microsoft_emulator.server``) and the in-process ``responses`` adapter (``microsoft_emulator.inprocess``).
A lock makes it safe to call from many threads. Nothing here sleeps or does network I/O while holding the
lock: the subscription validation handshake runs after the lock is released (``Response.then``).
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from emulator_kit.base import EmulatorBase, Route, admin_routes, route
from emulator_kit.pages import signin_routes
from emulator_kit.wire import Request, Response, iso_z

from .config import Config
from .graph import GraphMixin, parse_date_time_zone
from .identity import IdentityMixin, consent_principal_id
from .limits import LimitsMixin
from .pages import PagesMixin
from .seed import ADMIN_EMAIL, STATE_VERSION, TENANT_ID, new_tenant, new_user, seed_state
from .subscriptions import LIFECYCLE_EVENTS, NotificationSender, SubscriptionsMixin
from .wire import JSON_CONTENT_TYPE, graph_error, json_response


class EmulatorError(Exception):
    """A test-side action could not be done (unknown event, tenant, subscription, ...)."""


def _route(
    method: str, path: str, handler: str, endpoint: str | None = None, *, locked: bool = True
) -> Route:
    return route(method, path, handler, endpoint, locked=locked, flags=re.I)


SEG = "[^/]+"
USER = f"/v1.0/users/(?P<user_id>{SEG})"
EVENTS = f"{USER}/(?:calendar/)?events"
MEETINGS = f"{USER}/onlineMeetings"
ROUTES = [
    # Microsoft identity platform
    _route("GET", f"/(?P<tenant>{SEG})/oauth2/v2.0/authorize", "oauth_authorize"),
    _route("POST", f"/(?P<tenant>{SEG})/oauth2/v2.0/authorize", "oauth_authorize_decision"),
    _route("POST", f"/(?P<tenant>{SEG})/oauth2/v2.0/token", "oauth_token", "token"),
    _route("GET", f"/(?P<tenant>{SEG})/v2.0/adminconsent", "admin_consent"),
    _route("POST", f"/(?P<tenant>{SEG})/v2.0/adminconsent", "admin_consent_decision"),
    _route("GET", f"/(?P<tenant>{SEG})/v2.0/.well-known/openid-configuration", "openid_configuration"),
    # Microsoft Graph v1.0
    _route("GET", "/v1.0/users", "api_list_users", "list_users"),
    _route("GET", USER, "api_get_user", "get_user"),
    _route("GET", EVENTS, "api_list_events", "list_events"),
    _route("POST", EVENTS, "api_create_event", "create_event"),
    _route("GET", f"{EVENTS}/(?P<event_id>{SEG})", "api_get_event", "get_event"),
    _route("PATCH", f"{EVENTS}/(?P<event_id>{SEG})", "api_update_event", "update_event"),
    _route("DELETE", f"{EVENTS}/(?P<event_id>{SEG})", "api_delete_event", "delete_event"),
    _route("POST", MEETINGS, "api_create_online_meeting", "create_online_meeting"),
    _route(
        "POST", f"{MEETINGS}/createOrGet", "api_create_or_get_online_meeting", "create_or_get_online_meeting"
    ),
    _route("GET", f"{MEETINGS}/(?P<meeting_id>{SEG})", "api_get_online_meeting", "get_online_meeting"),
    _route(
        "PATCH", f"{MEETINGS}/(?P<meeting_id>{SEG})", "api_update_online_meeting", "update_online_meeting"
    ),
    _route(
        "DELETE", f"{MEETINGS}/(?P<meeting_id>{SEG})", "api_delete_online_meeting", "delete_online_meeting"
    ),
    _route("POST", "/v1.0/subscriptions", "api_create_subscription", "create_subscription"),
    _route("GET", "/v1.0/subscriptions", "api_list_subscriptions", "list_subscriptions"),
    _route("GET", f"/v1.0/subscriptions/(?P<sub_id>{SEG})", "api_get_subscription", "get_subscription"),
    _route(
        "PATCH", f"/v1.0/subscriptions/(?P<sub_id>{SEG})", "api_update_subscription", "update_subscription"
    ),
    _route(
        "DELETE", f"/v1.0/subscriptions/(?P<sub_id>{SEG})", "api_delete_subscription", "delete_subscription"
    ),
    _route(
        "POST",
        f"/v1.0/subscriptions/(?P<sub_id>{SEG})/reauthorize",
        "api_reauthorize_subscription",
        "reauthorize_subscription",
    ),
    # Pages
    _route("GET", "/", "page_home"),
    *signin_routes(flags=re.I),
    _route("GET", "/admin", "page_admin"),
    _route("POST", f"/admin/consents/(?P<tenant_id>{SEG})/revoke", "page_admin_revoke"),
    _route("GET", "/calendar", "page_calendar"),
    _route("POST", f"/calendar/events/(?P<event_id>{SEG})/move", "page_event_move"),
    _route("POST", f"/calendar/events/(?P<event_id>{SEG})/delete", "page_event_delete"),
    _route("GET", f"/l/meetup-join/(?P<thread>{SEG})/0", "page_join"),
    # Test and benchmark endpoints
    _route("GET", "/_emulator", "page_dashboard"),
    *admin_routes(flags=re.I),
    _route("POST", "/_emulator/tenants", "admin_add_tenant"),
    _route("POST", f"/_emulator/tenants/(?P<tenant>{SEG})/users", "admin_add_user"),
    _route("POST", "/_emulator/consent/grant", "admin_grant_consent"),
    _route("POST", "/_emulator/consent/withdraw", "admin_withdraw_consent", locked=False),
    _route("GET", "/_emulator/events", "admin_events"),
    _route("POST", f"/_emulator/events/(?P<event_id>{SEG})/move", "admin_move_event", locked=False),
    _route("POST", f"/_emulator/events/(?P<event_id>{SEG})/delete", "admin_delete_event", locked=False),
    _route("GET", "/_emulator/online_meetings", "admin_online_meetings"),
    _route("GET", "/_emulator/subscriptions", "admin_subscriptions"),
    _route("POST", f"/_emulator/subscriptions/(?P<sub_id>{SEG})/lifecycle", "admin_lifecycle", locked=False),
    _route("POST", "/_emulator/notifications/deliver", "admin_deliver", locked=False),
]


class Emulator(IdentityMixin, GraphMixin, SubscriptionsMixin, LimitsMixin, PagesMixin, EmulatorBase):
    """A local Microsoft cloud: Entra ID tenants, one app registration, Graph users, calendars, Teams
    meetings, change notifications, throttling and faults."""

    ROUTES = ROUTES
    JSON_CONTENT_TYPE = JSON_CONTENT_TYPE
    STATE_VERSION = STATE_VERSION
    STATE_FILE_PREFIX = ".microsoft_emulator."
    config: Config

    def __init__(
        self,
        config: Config | None = None,
        *,
        state_file: str | os.PathLike[str] | None = None,
        notification_sender: NotificationSender | None = None,
    ) -> None:
        self.notification_sender = notification_sender
        self.notification_log: list[tuple[str, int | None]] = []
        super().__init__(config or Config(), state_file=state_file)

    # ---- basics ---------------------------------------------------------------------------------------
    @property
    def admin_email(self) -> str:
        return ADMIN_EMAIL

    @property
    def tenant_id(self) -> str:
        return TENANT_ID

    # ---- the request pipeline's hooks (emulator_kit.base) ---------------------------------------------
    def _rewrite(self, req: Request) -> None:
        if re.match(r"^/v1\.0/me(/|$)", req.path, re.I):
            req.path = "/v1.0/users/me" + req.path[len("/v1.0/me") :]

    def _finish(self, req: Request, response: Response) -> Response:
        if response.then is not None and response.fault is None:
            response = response.then()
        if req.path.lower().startswith("/v1.0/"):
            response.headers.setdefault("request-id", str(uuid.uuid4()))
            response.headers.setdefault(
                "client-request-id", req.headers.get("client-request-id") or response.headers["request-id"]
            )
        return response

    def _route_params(self, found: re.Match[str]) -> dict[str, str]:
        return {k: unquote(v) for k, v in found.groupdict().items()}

    def _no_route(self, req: Request, *, method_allowed: bool) -> Response:
        graph = req.path.lower().startswith("/v1.0/")
        if not method_allowed:
            if graph:
                return graph_error(
                    405,
                    "Request_BadRequest",
                    "Specified HTTP method is not allowed for the request uri.",
                    now=self.now(),
                )
            return json_response(405, {"error": "Method Not Allowed"})
        if graph:
            segment = req.path.rstrip("/").rsplit("/", 1)[-1]
            return graph_error(
                400, "BadRequest", f"Resource not found for the segment '{segment}'.", now=self.now()
            )
        return json_response(404, {"error": "Not Found"})

    def _endpoint_name(self, route: Route, req: Request) -> str | None:
        if route.endpoint != "token":
            return route.endpoint
        grant = req.form().get("grant_type")
        return {
            "authorization_code": "token_code",
            "refresh_token": "token_refresh",
            "client_credentials": "token_client",
        }.get(grant or "", "token_other")

    def _api_call(self, route: Route, req: Request, params: dict[str, str], endpoint: str) -> Response:
        token = self.graph_authenticate(req)
        if isinstance(token, Response):
            return token
        mailbox = params.get("user_id", "directory")
        if mailbox == "me":
            mailbox = token["user_id"] or "me"
        user = self.find_user(mailbox, tenant_id=token["tenant_id"]) if mailbox != "directory" else None
        throttled = self.check_throttle(req, endpoint, token, user["id"] if user else mailbox)
        if throttled:
            return throttled
        return getattr(self, route.handler)(req, token, **params)

    # ---- actions behind the product's back (pages, fixtures, /_emulator) ------------------------------
    def move_event(
        self,
        event_id: str,
        start: datetime | float,
        *,
        end: datetime | float | None = None,
        time_zone: str | None = None,
    ) -> dict[str, Any]:
        """Move an event as if dragged in Outlook (keeping its length unless ``end`` is given); the
        subscriptions on that calendar get an "updated" notification."""
        with self.lock:
            event = self.state["events"].get(event_id)
            if event is None:
                raise EmulatorError(f"no event {event_id}")
            start_ts = _timestamp(start)
            end_ts = _timestamp(end) if end is not None else start_ts + (event["end"] - event["start"])
            if end_ts < start_ts:
                raise EmulatorError("end before start")
            event["start"], event["end"] = start_ts, end_ts
            if time_zone:
                event["start_zone"] = event["end_zone"] = time_zone
            self._touch(event)
            self.notify_event_change(event, "updated")
            return self.event_view(event)

    def delete_event(self, event_id: str) -> None:
        """Delete an event in Outlook; the subscriptions on that calendar get a "deleted" notification."""
        with self.lock:
            event = self.state["events"].pop(event_id, None)
            if event is None:
                raise EmulatorError(f"no event {event_id}")
            self.notify_event_change(event, "deleted")

    def revoke_consent(self, tenant: str | None = None) -> bool:
        """The tenant's admin removes the app (Enterprise applications → Delete). False when not consented."""
        with self.lock:
            found = self.resolve_tenant(tenant or TENANT_ID)
            if found is None:
                raise EmulatorError(f"no tenant {tenant}")
            return self.withdraw_consent(found["id"])

    def trigger_lifecycle(self, subscription_id: str, lifecycle_event: str) -> bool:
        with self.lock:
            sub = self.state["subscriptions"].get(subscription_id)
            if sub is None:
                raise EmulatorError(f"no subscription {subscription_id}")
            if lifecycle_event not in LIFECYCLE_EVENTS:
                raise EmulatorError(
                    f"unknown lifecycle event {lifecycle_event!r}; one of {', '.join(LIFECYCLE_EVENTS)}"
                )
            sent = self.enqueue_lifecycle(sub, lifecycle_event)
            if lifecycle_event == "subscriptionRemoved":
                del self.state["subscriptions"][subscription_id]
            return sent

    def add_tenant(
        self,
        *,
        name: str,
        domain: str,
        tenant_id: str | None = None,
        users: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            if tenant_id and tenant_id in self.state["tenants"]:
                raise EmulatorError(f"tenant {tenant_id} exists")
            tenant = new_tenant(tenant_id=tenant_id, name=name, domain=domain)
            self.state["tenants"][tenant["id"]] = tenant
            for spec in users or []:
                self.add_user(tenant["id"], **spec)
            return dict(tenant)

    def add_user(self, tenant: str, **spec: Any) -> dict[str, Any]:
        with self.lock:
            found = self.resolve_tenant(tenant)
            if found is None:
                raise EmulatorError(f"no tenant {tenant}")
            upn = spec.get("userPrincipalName") or spec.get("upn")
            if not upn or self.find_user(upn):
                raise EmulatorError(f"userPrincipalName {upn!r} missing or taken")
            user = new_user(
                tenant_id=found["id"],
                upn=upn,
                surname=spec.get("surname", ""),
                given_name=spec.get("givenName", ""),
                job_title=spec.get("jobTitle", ""),
                enabled=spec.get("accountEnabled", True),
                roles=spec.get("roles"),
                user_id=spec.get("id"),
                password=spec.get("password", "ms-pass"),
            )
            self.state["users"].append(user)
            return self.user_view(user)

    def events(self, user: str | None = None) -> list[dict[str, Any]]:
        """Every event (or one user's), with the owner, for counting duplicates."""
        with self.lock:
            found = self.find_user(user) if user else None
            chosen = [
                e for e in self.state["events"].values() if found is None or e["user_id"] == found["id"]
            ]
            chosen.sort(key=lambda e: (e["start"], e["created"], e["id"]))
            return [
                {
                    "id": e["id"],
                    "tenant_id": e["tenant_id"],
                    "user_id": e["user_id"],
                    "user": (self.find_user(e["user_id"]) or {}).get("userPrincipalName"),
                    "subject": e["subject"],
                    "start": iso_z(e["start"]),
                    "end": iso_z(e["end"]),
                    "transactionId": e["transaction_id"],
                    "joinUrl": (e["online_meeting"] or {}).get("joinUrl"),
                }
                for e in chosen
            ]

    def online_meetings(self) -> list[dict[str, Any]]:
        with self.lock:
            chosen = sorted(self.state["online_meetings"].values(), key=lambda m: (m["created"], m["id"]))
            return [
                {
                    "id": m["id"],
                    "tenant_id": m["tenant_id"],
                    "user_id": m["user_id"],
                    "externalId": m["external_id"],
                    "subject": m["subject"],
                    "start": iso_z(m["start"]),
                    "end": iso_z(m["end"]),
                    "joinUrl": m["join_url"],
                }
                for m in chosen
            ]

    def subscriptions(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                self.subscription_view(s) | {"tenantId": s["tenant_id"]}
                for s in sorted(self.state["subscriptions"].values(), key=lambda s: s["created_at"])
            ]

    def pending_notifications(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self.notification_view(n) for n in self.state["outbox"] if n["status"] == "pending"]

    # ---- reset, state ----------------------------------------------------------------------------------
    def seed_state(self) -> dict[str, Any]:
        return seed_state()

    def reset(self) -> None:
        """Back to the seeded tenants and the start-up config; the clock runs in real time again."""
        with self.lock:
            super().reset()
            self.notification_log.clear()

    def snapshot(self) -> dict[str, Any]:
        """What GET /_emulator/state answers."""
        with self.lock:
            now = self.now()
            tenants = []
            for tenant in self.state["tenants"].values():
                consent = self.consent(tenant["id"])
                live = [
                    t
                    for t in self.state["tokens"].values()
                    if t["tenant_id"] == tenant["id"]
                    and not t["revoked"]
                    and t["generation"] == consent["generation"]
                    and t["expires_at"] > now
                ]
                tenants.append(
                    {
                        "id": tenant["id"],
                        "displayName": tenant["displayName"],
                        "domain": tenant["domain"],
                        "users": [
                            self.user_view(u, ["id", "userPrincipalName", "displayName", "accountEnabled"])
                            | {"roles": list(u["roles"])}
                            for u in self.state["users"]
                            if u["tenant_id"] == tenant["id"]
                        ],
                        "consent": {
                            "active": consent["active"],
                            "admin_consent": consent["admin_consent"],
                            "delegated_scopes": list(consent["delegated_scopes"]),
                            "app_roles": list(consent["app_roles"]),
                            "granted_at": iso_z(consent["granted_at"]) if consent["granted_at"] else None,
                            "withdrawn_at": iso_z(consent["withdrawn_at"])
                            if consent["withdrawn_at"]
                            else None,
                            "service_principal_id": consent_principal_id(self.config.client_id, tenant["id"]),
                            "live_tokens": {
                                "access": sum(t["kind"] == "access" for t in live),
                                "refresh": sum(t["kind"] == "refresh" for t in live),
                            },
                        },
                    }
                )
            stats = self.state["stats"]
            return {
                "now": iso_z(now),
                "clock_frozen": self.clock.frozen,
                "tenants": tenants,
                "events": self.events(),
                "online_meetings": self.online_meetings(),
                "subscriptions": self.subscriptions(),
                "request_counts": dict(stats["requests"]),
                "throttled_counts": dict(stats["throttled"]),
                "fault_counts": dict(stats["faults"]),
                "notifications": [self.notification_view(n) for n in self.state["outbox"]],
                "config": self.config.to_json(),
            }

    # ---- identity metadata ----------------------------------------------------------------------------
    def openid_configuration(self, req: Request, tenant: str) -> Response:
        base = f"{self.config.login_url}/{tenant}"
        return json_response(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{self.config.login_url}/{tenant}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{self.config.login_url}/{{tenantid}}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "code_challenge_methods_supported": ["plain", "S256"],
                "tenant_region_scope": "AS",
            },
        )

    # ---- /_emulator endpoints -------------------------------------------------------------------------
    def admin_add_tenant(self, req: Request) -> Response:
        options = self._admin_body(req) or {}
        try:
            tenant = self.add_tenant(
                name=str(options["displayName"]),
                domain=str(options["domain"]),
                tenant_id=options.get("id"),
                users=options.get("users") or [],
            )
        except (KeyError, TypeError, EmulatorError) as exc:
            return json_response(400, {"error": f"need displayName, domain (and users[]): {exc}"})
        return json_response(201, tenant)

    def admin_add_user(self, req: Request, tenant: str) -> Response:
        options = self._admin_body(req) or {}
        try:
            return json_response(201, self.add_user(tenant, **options))
        except (TypeError, EmulatorError) as exc:
            return json_response(400, {"error": str(exc)})

    def admin_grant_consent(self, req: Request) -> Response:
        options = self._admin_body(req) or {}
        tenant = self.resolve_tenant(str(options.get("tenant") or TENANT_ID))
        if tenant is None:
            return json_response(404, {"error": "no such tenant"})
        self.grant_admin_consent(tenant["id"])
        return self._admin_done(req, {"granted": tenant["id"]})

    def admin_withdraw_consent(self, req: Request) -> Response:
        options = self._admin_body(req) or {}
        try:
            withdrawn = self.revoke_consent(options.get("tenant"))
        except EmulatorError as exc:
            return json_response(404, {"error": str(exc)})
        return self._admin_done(req, {"withdrawn": withdrawn})

    def admin_events(self, req: Request) -> Response:
        return json_response(200, {"events": self.events(req.query.get("user"))})

    def admin_online_meetings(self, req: Request) -> Response:
        return json_response(200, {"online_meetings": self.online_meetings()})

    def admin_subscriptions(self, req: Request) -> Response:
        return json_response(200, {"subscriptions": self.subscriptions()})

    def admin_move_event(self, req: Request, event_id: str) -> Response:
        options = self._admin_body(req) or {}
        try:
            start, zone = _dtz(options.get("start"))
            end = _dtz(options["end"])[0] if options.get("end") else None
            event = self.move_event(event_id, start, end=end, time_zone=zone)
        except (ValueError, LookupError, EmulatorError) as exc:
            return json_response(400, {"error": str(exc)})
        return self._admin_done(req, {"moved": event_id, "start": event["start"], "end": event["end"]})

    def admin_delete_event(self, req: Request, event_id: str) -> Response:
        try:
            self.delete_event(event_id)
        except EmulatorError as exc:
            return json_response(404, {"error": str(exc)})
        return self._admin_done(req, {"deleted": event_id})

    def admin_lifecycle(self, req: Request, sub_id: str) -> Response:
        options = self._admin_body(req) or {}
        try:
            sent = self.trigger_lifecycle(sub_id, str(options.get("event", "")))
        except EmulatorError as exc:
            return json_response(400, {"error": str(exc)})
        return self._admin_done(req, {"queued": sent})

    def admin_deliver(self, req: Request) -> Response:
        results = self.deliver_notifications()
        return self._admin_done(req, {"delivered": [list(r) for r in results]})


def _timestamp(when: datetime | float) -> float:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise EmulatorError("datetimes must be timezone-aware")
        return when.timestamp()
    return float(when)


def _dtz(value: Any) -> tuple[float, str | None]:
    """ "2026-12-01T01:00:00Z" or {"dateTime": ..., "timeZone": ...} → (Unix seconds, zone or None)."""
    if isinstance(value, dict):
        return parse_date_time_zone(value)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp(), None
    raise ValueError("start must be an ISO date-time with Z or {dateTime, timeZone}")


__all__ = ["Emulator", "EmulatorError"]
