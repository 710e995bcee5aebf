"""The emulator core: one object holding the state, the clock, the config and the push-notification outbox.

Every transport drives the same ``Emulator.handle(method, path, query, headers, body)`` (the request
pipeline of ``emulator_kit.base``): the HTTP server (``google_emulator.server``) and the in-process
``responses`` adapter (``google_emulator.inprocess``). A lock makes it safe to call from many threads;
nothing here sleeps or does network I/O while holding it (push notifications go out from the outbox).
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from emulator_kit.base import EmulatorBase, Route, admin_routes, route
from emulator_kit.pages import signin_routes
from emulator_kit.wire import Request, Response, iso_z

from .calendar import CalendarMixin
from .channels import RESOURCE_STATES, ChannelsMixin, NotificationSender
from .config import CALENDAR, CALENDAR_EVENTS, CALENDAR_EVENTS_READONLY, CALENDAR_READONLY, Config
from .limits import LimitsMixin
from .oauth import OAuthMixin, normalize_scopes
from .pages import PagesMixin
from .seed import ADMIN_EMAIL, STATE_VERSION, new_user, seed_state
from .wire import JSON_CONTENT_TYPE, api_error, json_response


class EmulatorError(Exception):
    """A test-side action could not be done (unknown event, user, channel, ...)."""


SEG = "[^/]+"
EVENTS = f"/calendar/v3/calendars/(?P<calendar_id>{SEG})/events"
MEET_CODE = "[a-z]{3}-[a-z]{4}-[a-z]{3}"
ROUTES = [
    # Google OAuth 2.0 (accounts.google.com, oauth2.googleapis.com, openidconnect.googleapis.com)
    route("GET", "/o/oauth2/v2/auth", "oauth_authorize"),
    route("POST", "/o/oauth2/v2/auth", "oauth_authorize_decision"),
    route("POST", "/token", "oauth_token", "token"),
    route("POST", "/revoke", "oauth_revoke", "revoke"),
    route("GET", "/oauth2/v3/userinfo", "oauth_userinfo", "userinfo"),
    route("GET", "/oauth2/v3/tokeninfo", "oauth_tokeninfo", "tokeninfo"),
    route("POST", "/oauth2/v3/tokeninfo", "oauth_tokeninfo", "tokeninfo"),
    route("GET", "/.well-known/openid-configuration", "openid_configuration"),
    # Calendar API v3 (www.googleapis.com)
    route("POST", f"{EVENTS}/watch", "api_watch_events", "watch_events"),
    route("POST", EVENTS, "api_insert_event", "insert_event"),
    route("GET", EVENTS, "api_list_events", "list_events"),
    route("GET", f"{EVENTS}/(?P<event_id>{SEG})", "api_get_event", "get_event"),
    route("PATCH", f"{EVENTS}/(?P<event_id>{SEG})", "api_patch_event", "patch_event"),
    route("PUT", f"{EVENTS}/(?P<event_id>{SEG})", "api_update_event", "update_event"),
    route("DELETE", f"{EVENTS}/(?P<event_id>{SEG})", "api_delete_event", "delete_event"),
    route("POST", "/calendar/v3/channels/stop", "api_stop_channel", "stop_channel"),
    # Pages
    route("GET", "/", "page_home"),
    *signin_routes(),
    route("GET", "/calendar", "page_calendar"),
    route("POST", f"/calendar/events/(?P<user_id>{SEG})/(?P<event_id>{SEG})/move", "page_event_move"),
    route("POST", f"/calendar/events/(?P<user_id>{SEG})/(?P<event_id>{SEG})/delete", "page_event_delete"),
    route("GET", "/admin", "page_admin"),
    route("POST", f"/admin/grants/(?P<user_id>{SEG})/revoke", "page_admin_revoke"),
    route("GET", f"/(?P<code>{MEET_CODE})", "page_join"),
    # Test and benchmark endpoints
    route("GET", "/_emulator", "page_dashboard"),
    *admin_routes(),
    route("POST", "/_emulator/users", "admin_add_user"),
    route("POST", "/_emulator/grants", "admin_link"),
    route("POST", "/_emulator/grants/revoke", "admin_revoke"),
    route("GET", "/_emulator/events", "admin_events"),
    route("POST", f"/_emulator/events/(?P<event_id>{SEG})/move", "admin_move_event"),
    route("POST", f"/_emulator/events/(?P<event_id>{SEG})/delete", "admin_delete_event"),
    route("GET", "/_emulator/channels", "admin_channels"),
    route("POST", f"/_emulator/channels/(?P<channel_id>{SEG})/notify", "admin_notify_channel"),
    route("POST", "/_emulator/sync/invalidate", "admin_invalidate_sync"),
    route("POST", "/_emulator/notifications/deliver", "admin_deliver", locked=False),
]
READ_SCOPES = {CALENDAR, CALENDAR_READONLY, CALENDAR_EVENTS, CALENDAR_EVENTS_READONLY}
WRITE_SCOPES = {CALENDAR, CALENDAR_EVENTS}
WRITE_ENDPOINTS = ("insert_event", "patch_event", "update_event", "delete_event")


class Emulator(OAuthMixin, CalendarMixin, ChannelsMixin, LimitsMixin, PagesMixin, EmulatorBase):
    """A local Google: Workspace users, one OAuth client, Calendar events with Meet conferences, watch
    channels with push notifications, quotas and faults."""

    ROUTES = ROUTES
    JSON_CONTENT_TYPE = JSON_CONTENT_TYPE
    STATE_VERSION = STATE_VERSION
    STATE_FILE_PREFIX = ".google_emulator."
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

    @property
    def admin_email(self) -> str:
        return ADMIN_EMAIL

    @property
    def project_number(self) -> str:
        return str(int(hashlib.sha256(self.config.client_id.encode()).hexdigest()[:10], 16))

    # ---- the request pipeline's hooks (emulator_kit.base) ---------------------------------------------
    def _route_params(self, found: re.Match[str]) -> dict[str, str]:
        return {k: unquote(v) for k, v in found.groupdict().items()}

    def _no_route(self, req: Request, *, method_allowed: bool) -> Response:
        if req.path.startswith("/calendar/v3/"):
            return api_error(404, "notFound", "Not Found")
        return json_response(404 if method_allowed else 405, {"error": "Not Found"})

    def _endpoint_name(self, found: Route, req: Request) -> str | None:
        if found.endpoint != "token":
            return found.endpoint
        grant = req.form().get("grant_type")
        return {"authorization_code": "token_code", "refresh_token": "token_refresh"}.get(
            grant or "", "token_other"
        )

    def _api_call(self, found: Route, req: Request, params: dict[str, str], endpoint: str) -> Response:
        token = self.bearer(req)
        if isinstance(token, Response):
            return token
        needed = WRITE_SCOPES if endpoint in WRITE_ENDPOINTS else READ_SCOPES
        if not needed & set(token["scopes"]):
            return api_error(
                403,
                "insufficientPermissions",
                "Insufficient Permission",
                top_message="Request had insufficient authentication scopes.",
            )
        if "calendar_id" in params:
            owner = self.calendar_owner(token, params["calendar_id"])
            if isinstance(owner, Response):
                return owner
        else:
            owner = self.find_user(token["user_id"]) or {}
        limited = self.check_quota(endpoint, token)
        if limited:
            return limited
        return getattr(self, found.handler)(req, token, owner, **params)

    # ---- actions behind the app's back (pages, fixtures, /_emulator) ----------------------------------
    def _find_event(self, event_id: str, user: str | None = None) -> dict[str, Any]:
        owner = self.find_user(user) if user else None
        if user and owner is None:
            raise EmulatorError(f"no user {user}")
        for user_id, events in self.state["events"].items():
            if owner is not None and user_id != owner["id"]:
                continue
            if event_id in events:
                return events[event_id]
        raise EmulatorError(f"no event {event_id}")

    def move_event(
        self,
        event_id: str,
        start: datetime | float,
        *,
        end: datetime | float | None = None,
        user: str | None = None,
    ) -> dict[str, Any]:
        """Move an event as if dragged in Google Calendar (keeping its length unless ``end`` is given); the
        watch channels on that calendar get an ``exists`` message."""
        with self.lock:
            event = self._find_event(event_id, user)
            if event["fields"].get("status") == "cancelled":
                raise EmulatorError(f"event {event_id} is cancelled")
            start_ts = _timestamp(start)
            end_ts = _timestamp(end) if end is not None else None
            if end_ts is not None and end_ts < start_ts:
                raise EmulatorError("end before start")
            self.move(event, start_ts, end_ts)
            return self.event_view(event)

    def delete_event(self, event_id: str, *, user: str | None = None) -> None:
        """Delete an event in Google Calendar (it becomes cancelled); the watch channels get ``exists``."""
        with self.lock:
            event = self._find_event(event_id, user)
            if event["fields"].get("status") == "cancelled":
                raise EmulatorError(f"event {event_id} is already cancelled")
            self.cancel(event)

    def revoke(self, user: str) -> bool:
        """The user removes the app's access (or their admin does): False when there was no grant."""
        with self.lock:
            found = self.find_user(user)
            if found is None:
                raise EmulatorError(f"no user {user}")
            return self.revoke_grant(found["id"])

    def link(
        self, user: str, scopes: str | list[str] | None = None, *, offline: bool = True
    ) -> dict[str, Any]:
        """Grant the app ``scopes`` for ``user`` without the browser and answer the token response the
        authorization-code exchange would give."""
        with self.lock:
            found = self.find_user(user)
            if found is None:
                raise EmulatorError(f"no user {user}")
            wanted = normalize_scopes(
                scopes
                if isinstance(scopes, str)
                else " ".join(scopes or ["openid", "email", CALENDAR_EVENTS])
            )
            record = self.grant(found["id"])
            first = not record["active"]
            record.update(
                active=True,
                scopes=sorted(set(record["scopes"]) | set(wanted)),
                granted_at=record["granted_at"] if not first else self.now(),
                revoked_at=None,
            )
            return self._issue_tokens(found, wanted, refresh=offline, nonce=None)

    def invalidate_sync_tokens(self, user: str | None = None) -> None:
        """Every sync token issued so far (for one user's calendar, or all) answers 410 fullSyncRequired."""
        with self.lock:
            found = self.find_user(user) if user else None
            for user_id, calendar in self.state["calendars"].items():
                if found is None or user_id == found["id"]:
                    calendar["sync_epoch"] += 1

    def notify_channel(self, channel_id: str, state: str = "exists") -> None:
        """Queue a message with any resource state (``not_exists`` included) to one channel."""
        with self.lock:
            channel = self.state["channels"].get(channel_id)
            if channel is None:
                raise EmulatorError(f"no channel {channel_id}")
            if state not in RESOURCE_STATES:
                raise EmulatorError(f"unknown state {state!r}; one of {', '.join(RESOURCE_STATES)}")
            self._enqueue_message(channel, state)

    def add_user(self, **spec: Any) -> dict[str, Any]:
        with self.lock:
            email = spec.get("email")
            if not email or self.find_user(email):
                raise EmulatorError(f"email {email!r} missing or taken")
            sub = str(spec.get("id") or 130000000000000000000 + len(self.state["users"]))
            user = new_user(
                sub=sub,
                email=email,
                family_name=spec.get("family_name", ""),
                given_name=spec.get("given_name", ""),
                workspace=spec.get("workspace", "sample"),
                admin=bool(spec.get("admin", False)),
                active=bool(spec.get("active", True)),
                password=spec.get("password", "google-pass"),
            )
            self.state["users"].append(user)
            self.state["calendars"][sub] = {"seq": 0, "sync_epoch": 0}
            self.state["events"][sub] = {}
            return self._user_view(user)

    def _user_view(self, user: dict[str, Any]) -> dict[str, Any]:
        return {k: user[k] for k in ("id", "email", "name", "workspace", "admin", "active")}

    def events(self, user: str | None = None) -> list[dict[str, Any]]:
        """Every event (or one user's), cancelled ones included, with the owner: for counting duplicates."""
        with self.lock:
            found = self.find_user(user) if user else None
            chosen = [
                e
                for user_id, events in self.state["events"].items()
                if found is None or user_id == found["id"]
                for e in events.values()
            ]
            chosen.sort(key=lambda e: (e["start_ts"], e["created"], e["id"]))
            out = []
            for e in chosen:
                conference = e.get("conference") or {}
                out.append(
                    {
                        "id": e["id"],
                        "user_id": e["user_id"],
                        "user": (self.find_user(e["user_id"]) or {}).get("email"),
                        "summary": e["fields"].get("summary"),
                        "status": e["fields"].get("status", "confirmed"),
                        "start": iso_z(e["start_ts"]),
                        "end": iso_z(e["end_ts"]),
                        "meetUrl": f"{self.config.meet_url}/{conference['code']}" if conference else None,
                        "requestId": conference.get("request_id"),
                        "sequence": e["sequence"],
                    }
                )
            return out

    def channels(self) -> list[dict[str, Any]]:
        with self.lock:
            now = self.now()
            return [
                self.channel_view(c)
                | {
                    "address": c["address"],
                    "user": (self.find_user(c["user_id"]) or {}).get("email"),
                    "live": c["expires_at"] > now,
                    "messages": c["messages"],
                }
                for c in sorted(self.state["channels"].values(), key=lambda c: c["created_at"])
            ]

    def pending_notifications(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self.notification_view(n) for n in self.state["outbox"] if n["status"] == "pending"]

    # ---- reset, state ----------------------------------------------------------------------------------
    def seed_state(self) -> dict[str, Any]:
        return seed_state()

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.notification_log.clear()

    def snapshot(self) -> dict[str, Any]:
        """What GET /_emulator/state answers."""
        with self.lock:
            now = self.now()
            grants = []
            for record in self.state["grants"].values():
                if record["granted_at"] is None:
                    continue  # looked at, never granted
                live = [
                    t
                    for t in self.state["tokens"].values()
                    if t["user_id"] == record["user_id"]
                    and t["client_id"] == record["client_id"]
                    and t["generation"] == record["generation"]
                    and record["active"]
                    and (t["expires_at"] is None or t["expires_at"] > now)
                ]
                grants.append(
                    {
                        "user_id": record["user_id"],
                        "email": (self.find_user(record["user_id"]) or {}).get("email"),
                        "client_id": record["client_id"],
                        "active": record["active"],
                        "scopes": list(record["scopes"]),
                        "granted_at": iso_z(record["granted_at"]) if record["granted_at"] else None,
                        "revoked_at": iso_z(record["revoked_at"]) if record["revoked_at"] else None,
                        "live_tokens": {
                            "access": sum(t["kind"] == "access" for t in live),
                            "refresh": sum(t["kind"] == "refresh" for t in live),
                        },
                    }
                )
            stats = self.state["stats"]
            return {
                "now": iso_z(now),
                "clock_frozen": self.clock.frozen,
                "users": [self._user_view(u) for u in self.state["users"]],
                "grants": grants,
                "events": self.events(),
                "channels": self.channels(),
                "request_counts": dict(stats["requests"]),
                "rate_limited_counts": dict(stats["rate_limited"]),
                "fault_counts": dict(stats["faults"]),
                "notifications": [self.notification_view(n) for n in self.state["outbox"]],
                "config": self.config.to_json(),
            }

    def openid_configuration(self, req: Request) -> Response:
        accounts, oauth2 = self.config.accounts_url, self.config.oauth2_url
        return json_response(
            200,
            {
                "issuer": "https://accounts.google.com",
                "authorization_endpoint": f"{accounts}/o/oauth2/v2/auth",
                "token_endpoint": f"{oauth2}/token",
                "userinfo_endpoint": f"{self.config.api_url}/oauth2/v3/userinfo",
                "revocation_endpoint": f"{oauth2}/revoke",
                "jwks_uri": f"{self.config.api_url}/oauth2/v3/certs",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "code_challenge_methods_supported": ["plain", "S256"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
            },
        )

    # ---- /_emulator endpoints -------------------------------------------------------------------------
    def admin_add_user(self, req: Request) -> Response:
        try:
            return json_response(201, self.add_user(**(self._admin_body(req) or {})))
        except (TypeError, EmulatorError) as exc:
            return json_response(400, {"error": str(exc)})

    def admin_link(self, req: Request) -> Response:
        options = self._admin_body(req) or {}
        try:
            answer = self.link(str(options.get("user", "")), options.get("scopes"))
        except EmulatorError as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(200, answer)

    def admin_revoke(self, req: Request) -> Response:
        options = self._admin_body(req) or {}
        try:
            revoked = self.revoke(str(options.get("user", "")))
        except EmulatorError as exc:
            return json_response(404, {"error": str(exc)})
        return self._admin_done(req, {"revoked": revoked})

    def admin_events(self, req: Request) -> Response:
        return json_response(200, {"events": self.events(req.query.get("user"))})

    def admin_channels(self, req: Request) -> Response:
        return json_response(200, {"channels": self.channels()})

    def admin_move_event(self, req: Request, event_id: str) -> Response:
        options = self._admin_body(req) or {}
        try:
            start = _instant(options.get("start"))
            end = _instant(options["end"]) if options.get("end") else None
            event = self.move_event(event_id, start, end=end, user=options.get("user"))
        except (ValueError, EmulatorError) as exc:
            return json_response(400, {"error": str(exc)})
        return self._admin_done(req, {"moved": event_id, "start": event["start"], "end": event["end"]})

    def admin_delete_event(self, req: Request, event_id: str) -> Response:
        options = self._admin_body(req) or {}
        try:
            self.delete_event(event_id, user=options.get("user"))
        except EmulatorError as exc:
            return json_response(404, {"error": str(exc)})
        return self._admin_done(req, {"deleted": event_id})

    def admin_notify_channel(self, req: Request, channel_id: str) -> Response:
        options = self._admin_body(req) or {}
        try:
            self.notify_channel(channel_id, str(options.get("state", "exists")))
        except EmulatorError as exc:
            return json_response(400, {"error": str(exc)})
        return self._admin_done(req, {"queued": channel_id})

    def admin_invalidate_sync(self, req: Request) -> Response:
        options = self._admin_body(req) or {}
        self.invalidate_sync_tokens(options.get("user"))
        return self._admin_done(req, {"invalidated": options.get("user") or "all"})

    def admin_deliver(self, req: Request) -> Response:
        results = self.deliver_notifications()
        return self._admin_done(req, {"delivered": [list(r) for r in results]})


def _timestamp(when: datetime | float) -> float:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise EmulatorError("datetimes must be timezone-aware")
        return when.timestamp()
    return float(when)


def _instant(value: Any) -> float:
    if not isinstance(value, str):
        raise ValueError("start must be an RFC 3339 date-time")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


__all__ = ["Emulator", "EmulatorError"]
