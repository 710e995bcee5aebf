"""The emulator core: one object holding the state, the clock, the config and the webhook outbox.

Every transport drives the same ``Emulator.handle(method, path, query, headers, body)`` (the request
pipeline of ``emulator_kit.base``): the HTTP server (``zoom_emulator.server``) and the in-process
``responses`` adapter (``zoom_emulator.inprocess``). A lock makes it safe to call from many threads (the
product's race tests do). Nothing here sleeps or does network I/O while holding the lock.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from emulator_kit import outbox
from emulator_kit.base import EmulatorBase, Route, admin_routes, route
from emulator_kit.pages import signin_routes
from emulator_kit.wire import Request, Response, iso_z

from .api import ApiMixin
from .config import ENDPOINT_GROUPS, Config
from .limits import LimitsMixin
from .oauth import OAuthMixin
from .pages import PagesMixin
from .seed import ADMIN_EMAIL, STATE_VERSION, seed_state
from .webhooks import encrypted_token, event_body, signed_headers, url_validation_body
from .wire import JSON_CONTENT_TYPE, api_error, json_response

# send(url, body, headers) -> (status, response body); raises on network errors.
WebhookSender = Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]


class EmulatorError(Exception):
    """A test-side action could not be done (unknown meeting, user, ...)."""


def _route(
    method: str, path: str, handler: str, endpoint: str | None = None, *, locked: bool = True
) -> Route:
    return route(method, path, handler, endpoint, locked=locked)


ROUTES = [
    # OAuth
    _route("GET", "/oauth/authorize", "oauth_authorize"),
    _route("POST", "/oauth/authorize", "oauth_decision"),
    _route("POST", "/oauth/token", "oauth_token", "token"),
    _route("POST", "/oauth/revoke", "oauth_revoke", "revoke"),
    # REST API v2
    _route("GET", "/v2/users", "api_list_users", "list_users"),
    _route("GET", "/v2/users/(?P<user_id>[^/]+)", "api_get_user", "get_user"),
    _route("GET", "/v2/users/(?P<user_id>[^/]+)/meetings", "api_list_meetings", "list_meetings"),
    _route("POST", "/v2/users/(?P<user_id>[^/]+)/meetings", "api_create_meeting", "create_meeting"),
    _route("GET", "/v2/meetings/(?P<meeting_id>[^/]+)", "api_get_meeting", "get_meeting"),
    _route("PATCH", "/v2/meetings/(?P<meeting_id>[^/]+)", "api_update_meeting", "update_meeting"),
    _route("DELETE", "/v2/meetings/(?P<meeting_id>[^/]+)", "api_delete_meeting", "delete_meeting"),
    # Pages
    _route("GET", "/", "page_home"),
    *signin_routes(),
    _route("GET", "/marketplace", "page_marketplace"),
    _route("GET", "/marketplace/manage", "page_manage"),
    _route("GET", "/marketplace/manage/added-apps", "page_added_apps"),
    _route("GET", "/marketplace/manage/added-apps/remove", "page_remove_confirm"),
    _route("POST", "/marketplace/manage/added-apps/remove", "page_remove"),
    _route("GET", "/meeting", "page_meetings"),
    _route("POST", r"/meeting/(?P<meeting_id>\d+)/delete", "page_meeting_delete"),
    _route("POST", r"/meeting/(?P<meeting_id>\d+)/move", "page_meeting_move"),
    _route("GET", "/account/user", "page_users"),
    _route("POST", "/account/user/(?P<user_id>[^/]+)/status", "page_user_status"),
    _route("GET", r"/j/(?P<meeting_id>\d+)", "page_join"),
    _route("GET", r"/s/(?P<meeting_id>\d+)", "page_start"),
    # Test and benchmark endpoints
    _route("GET", "/_emulator", "page_dashboard"),
    *admin_routes(),
    _route("POST", "/_emulator/remove_app", "admin_remove_app", locked=False),
    _route("POST", r"/_emulator/meetings/(?P<meeting_id>\d+)/delete", "admin_delete_meeting", locked=False),
    _route("POST", r"/_emulator/meetings/(?P<meeting_id>\d+)/move", "admin_move_meeting", locked=False),
    _route("POST", "/_emulator/webhooks/deliver", "admin_deliver", locked=False),
    _route("POST", "/_emulator/webhooks/validate", "admin_validate", locked=False),
]


class Emulator(OAuthMixin, ApiMixin, LimitsMixin, PagesMixin, EmulatorBase):
    """A local Zoom: one account, one admin-managed OAuth app, users, meetings, rate limits, webhooks."""

    ROUTES = ROUTES
    JSON_CONTENT_TYPE = JSON_CONTENT_TYPE
    STATE_VERSION = STATE_VERSION
    STATE_FILE_PREFIX = ".zoom_emulator."
    config: Config

    def __init__(
        self,
        config: Config | None = None,
        *,
        state_file: str | os.PathLike[str] | None = None,
        webhook_sender: WebhookSender | None = None,
    ) -> None:
        self.webhook_sender = webhook_sender
        self.webhook_log: list[tuple[str, int | None]] = []
        self._qps: dict[str, tuple[int, int]] = {}
        super().__init__(config or Config(), state_file=state_file)

    # ---- basics ---------------------------------------------------------------------------------------
    @property
    def admin_email(self) -> str:
        return ADMIN_EMAIL

    @property
    def account_id(self) -> str:
        return self.state["account"]["id"]

    def installation(self) -> dict[str, Any]:
        key = f"{self.config.client_id}:{self.state['account']['id']}"
        installations = self.state["installations"]
        if key not in installations:
            installations[key] = {
                "client_id": self.config.client_id,
                "account_id": self.state["account"]["id"],
                "installed": False,
                "installed_at": None,
                "installed_by": None,
                "authorized_by": None,
                "scopes": [],
                "generation": 0,
                "authorizations": 0,
                "removed_at": None,
                "removed_by": None,
            }
        return installations[key]

    # ---- the request pipeline's hooks (emulator_kit.base) ---------------------------------------------
    def _no_route(self, req: Request, *, method_allowed: bool) -> Response:
        if not method_allowed:
            return api_error(405, 405, "Method Not Allowed")
        return api_error(404, 404, "Not Found")

    def _endpoint_name(self, route: Route, req: Request) -> str | None:
        if route.endpoint != "token":
            return route.endpoint
        grant = req.query.get("grant_type") or req.form().get("grant_type")
        return {"authorization_code": "token_code", "refresh_token": "token_refresh"}.get(
            grant or "", "token_other"
        )

    def _answered(self, req: Request, response: Response) -> Response:
        response.headers.setdefault("x-zm-trackingid", f"v=2.0;clid=us05;rid=WEB_{secrets.token_hex(16)}")
        return response

    def _api_call(self, route: Route, req: Request, params: dict[str, str], endpoint: str) -> Response:
        token = self.api_authenticate(req, endpoint)
        if isinstance(token, Response):
            return token
        limited = self.check_rate_limits(endpoint)
        if limited:
            return limited
        return getattr(self, route.handler)(req, token, **params)

    # ---- actions behind the product's back (pages, fixtures, /_emulator) ------------------------------
    def remove_app(self) -> bool:
        """Marketplace → Manage → Added Apps → Remove. False when the app was not added."""
        with self.lock:
            return self.uninstall(reason="marketplace")

    def delete_meeting(self, meeting_id: int | str, *, operator_id: str | None = None) -> None:
        with self.lock:
            meeting = self.state["meetings"].pop(str(meeting_id), None)
            if meeting is None:
                raise EmulatorError(f"no meeting {meeting_id}")
            self._meeting_event("meeting.deleted", meeting, operator=self._operator(operator_id))

    def move_meeting(
        self,
        meeting_id: int | str,
        start_time: datetime | float,
        *,
        timezone: str | None = None,
        duration: int | None = None,
        operator_id: str | None = None,
    ) -> None:
        """Change the meeting's start (and optionally zone/duration) as if edited on zoom.us."""
        with self.lock:
            meeting = self.state["meetings"].get(str(meeting_id))
            if meeting is None:
                raise EmulatorError(f"no meeting {meeting_id}")
            if isinstance(start_time, datetime):
                if start_time.tzinfo is None:
                    raise EmulatorError("start_time must be timezone-aware")
                start_time = start_time.timestamp()
            fields: dict[str, Any] = {"start_time": float(int(start_time))}
            if timezone:
                fields["timezone"] = timezone
            if duration is not None:
                fields["duration"] = duration
            changed = self.apply_meeting_change(meeting, fields)
            if changed:
                self._meeting_updated_event(meeting, changed, operator=self._operator(operator_id))

    def set_user_status(self, user_ref: str, status: str) -> None:
        """Deactivate / reactivate a user behind the product's back."""
        if status not in ("active", "inactive"):
            raise ValueError("status must be active or inactive")
        with self.lock:
            user = self.find_user(user_ref)
            if user is None:
                raise EmulatorError(f"no user {user_ref}")
            user["status"] = status

    def meetings(self) -> list[dict[str, Any]]:
        with self.lock:
            ordered = sorted(self.state["meetings"].values(), key=lambda m: (m["start_time"] or 0, m["id"]))
            return [self.meeting_view(m) | {"agenda": m["agenda"]} for m in ordered]

    def _operator(self, user_id: str | None) -> dict[str, Any]:
        return self.find_user(user_id or "") or self.find_user(ADMIN_EMAIL) or {}

    # ---- webhooks -------------------------------------------------------------------------------------
    def _meeting_event(self, event: str, meeting: dict[str, Any], *, operator: dict[str, Any] | None) -> None:
        payload: dict[str, Any] = {
            "account_id": self.account_id,
            "operator": (operator or {}).get("email", ""),
            "operator_id": (operator or {}).get("id", ""),
        }
        if event == "meeting.deleted":
            payload["operation"] = "single"
        payload["object"] = self.meeting_view(meeting, shape="event")
        self.enqueue_webhook(event, payload)

    def _meeting_updated_event(
        self, meeting: dict[str, Any], changed: dict[str, Any], *, operator: dict[str, Any] | None
    ) -> None:
        """meeting.updated: payload.object has the id and the changed fields, old_object their old values."""

        def public(key: str, value: Any) -> Any:
            return iso_z(value) if key == "start_time" and value is not None else value

        obj = {"id": meeting["id"], "uuid": meeting["uuid"]}
        old = {"id": meeting["id"], "uuid": meeting["uuid"]}
        for key, old_value in changed.items():
            if key in ("password", "encrypted_password", "pre_schedule"):
                continue
            obj[key] = public(key, meeting[key])
            old[key] = public(key, old_value)
        payload = {
            "account_id": self.account_id,
            "operator": (operator or {}).get("email", ""),
            "operator_id": (operator or {}).get("id", ""),
            "object": obj,
            "time_stamp": int(self.now() * 1000),
            "old_object": old,
        }
        self.enqueue_webhook("meeting.updated", payload)

    def enqueue_webhook(
        self, event: str, payload: dict[str, Any], *, require_installation: bool = True
    ) -> None:
        """Queue an event for delivery. Events reach the app only while it is installed (app_deauthorized
        is sent as it is removed)."""
        with self.lock:
            if require_installation and not self.installation()["installed"]:
                return
            now = self.now()
            event_ts = int(now * 1000)
            item = {
                "id": self.state["next_webhook_id"],
                "event": event,
                "body": event_body(event, event_ts, payload),
            }
            self.state["next_webhook_id"] += 1
            outbox.queue(self.state["outbox"], item, now)

    def pending_webhooks(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self._webhook_view(w) for w in self.state["outbox"] if w["status"] == "pending"]

    def deliver_webhooks(
        self, sender: WebhookSender | None = None, *, raise_errors: bool = False
    ) -> list[tuple[str, int | None]]:
        """Deliver every due webhook once (pending, next attempt reached). Failures are retried after
        ``webhook_retry_schedule``; returns (event, status or None) per attempt. With ``raise_errors`` an
        exception from the sender is re-raised after the batch (tests: a crash in the receiving view)."""
        sender = sender or self.webhook_sender
        url = self.config.webhook_url
        if sender is None or not url:
            return []
        with self.lock:
            if self.state["webhook_endpoint"]["status"] == "failed":
                return []  # Zoom stops deliveries to an endpoint that failed validation
            now = self.now()
            due = outbox.take_due(self.state["outbox"], now)
        timestamp = int(now)

        def send(item: dict[str, Any]) -> int | None:
            body = item["body"].encode()
            headers = signed_headers(self.config.webhook_secret_token, timestamp, body, secrets.token_hex(16))
            status, _ = sender(url, body, headers)
            return status

        return outbox.deliver_each(due, send, self._finish_delivery, raise_errors=raise_errors)

    def _finish_delivery(self, item: dict[str, Any], status: int | None, error: str | None) -> None:
        with self.lock:
            self.webhook_log.append((item["event"], status))
            outbox.record_attempt(
                item,
                status,
                error,
                now=self.now(),
                delivered=status in (200, 204),
                retries=self.config.webhook_retry_schedule,
            )

    def validate_webhook_endpoint(self, sender: WebhookSender | None = None) -> bool:
        """Send endpoint.url_validation now and check the answer. A failed validation stops deliveries."""
        sender = sender or self.webhook_sender
        url = self.config.webhook_url
        if sender is None or not url:
            raise EmulatorError("no webhook URL / sender configured")
        plain = secrets.token_urlsafe(16)
        now = self.now()
        body = url_validation_body(plain, int(now * 1000)).encode()
        headers = signed_headers(self.config.webhook_secret_token, int(now), body, secrets.token_hex(16))
        status: int | None = None
        ok = False
        try:
            status, answer = sender(url, body, headers)
            data = json.loads(answer or b"null")
            ok = (
                status == 200
                and isinstance(data, dict)
                and data.get("plainToken") == plain
                and data.get("encryptedToken") == encrypted_token(self.config.webhook_secret_token, plain)
            )
        except Exception:  # noqa: BLE001 - a broken answer is a failed validation
            ok = False
        with self.lock:
            self.webhook_log.append(("endpoint.url_validation", status))
            self.state["webhook_endpoint"] = {
                "status": "validated" if ok else "failed",
                "validated_at": iso_z(self.now()),
            }
        return ok

    def _webhook_view(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": item["id"],
            "event": item["event"],
            "status": item["status"],
            "created_at": iso_z(item["created_at"]),
            "next_attempt_at": iso_z(item["next_attempt_at"]),
            "attempts": outbox.attempts_view(item, iso_z),
            "body": item["body"],
        }

    # ---- reset, state ----------------------------------------------------------------------------------
    def seed_state(self) -> dict[str, Any]:
        return seed_state()

    def reset(self) -> None:
        """Back to the seeded account and the start-up config; the clock runs in real time again."""
        with self.lock:
            super().reset()
            self.webhook_log.clear()
            self._qps.clear()

    def snapshot(self) -> dict[str, Any]:
        """What GET /_emulator/state answers."""
        with self.lock:
            now = self.now()
            self.installation()  # the app is always listed, added or not
            installations = []
            for inst in self.state["installations"].values():
                live = [
                    t
                    for t in self.state["tokens"].values()
                    if not t["revoked"]
                    and not t["used"]
                    and t["generation"] == inst["generation"]
                    and t["expires_at"] > now
                ]
                installations.append(
                    {
                        "app_name": self.config.app_name,
                        "client_id": inst["client_id"],
                        "account_id": inst["account_id"],
                        "installed": inst["installed"],
                        "installed_at": iso_z(inst["installed_at"]) if inst["installed_at"] else None,
                        "installed_by": (self.find_user(inst["installed_by"] or "") or {}).get("email"),
                        "removed_at": iso_z(inst["removed_at"]) if inst["removed_at"] else None,
                        "scopes": inst["scopes"],
                        "authorizations": inst["authorizations"],
                        "live_tokens": {
                            "access": sum(t["kind"] == "access" for t in live) if inst["installed"] else 0,
                            "refresh": sum(t["kind"] == "refresh" for t in live) if inst["installed"] else 0,
                        },
                    }
                )
            stats = self.state["stats"]
            return {
                "now": iso_z(now),
                "clock_frozen": self.clock.frozen,
                "account": dict(self.state["account"]),
                "users": [self.user_list_item(u) for u in self.state["users"]],
                "installations": installations,
                "meetings": self.meetings(),
                "request_counts": dict(stats["requests"]),
                "rate_limited_counts": dict(stats["rate_limited"]),
                "rate_limited_by_type": dict(stats["rate_limited_by_type"]),
                "fault_counts": dict(stats["faults"]),
                "daily_counts": dict(self.state["daily_counts"]),
                "webhook_endpoint": dict(self.state["webhook_endpoint"]),
                "webhooks": [self._webhook_view(w) for w in self.state["outbox"]],
                "config": self.config.to_json(),
            }

    # ---- /_emulator endpoints -------------------------------------------------------------------------
    def admin_remove_app(self, req: Request) -> Response:
        removed = self.remove_app()
        return self._admin_done(req, {"removed": removed})

    def admin_delete_meeting(self, req: Request, meeting_id: str) -> Response:
        try:
            self.delete_meeting(meeting_id)
        except EmulatorError as exc:
            return json_response(404, {"error": str(exc)})
        return self._admin_done(req, {"deleted": int(meeting_id)})

    def admin_move_meeting(self, req: Request, meeting_id: str) -> Response:
        options = self._admin_body(req) or {}
        try:
            start = datetime.fromisoformat(str(options.get("start_time", "")).replace("Z", "+00:00"))
            self.move_meeting(
                meeting_id, start, timezone=options.get("timezone"), duration=options.get("duration")
            )
        except (ValueError, EmulatorError) as exc:
            return json_response(400, {"error": str(exc)})
        return self._admin_done(req, {"moved": int(meeting_id)})

    def admin_deliver(self, req: Request) -> Response:
        results = self.deliver_webhooks()
        return self._admin_done(req, {"delivered": [list(r) for r in results]})

    def admin_validate(self, req: Request) -> Response:
        try:
            ok = self.validate_webhook_endpoint()
        except EmulatorError as exc:
            return json_response(409, {"error": str(exc)})
        return self._admin_done(req, {"validated": ok})


__all__ = ["ENDPOINT_GROUPS", "Emulator", "EmulatorError", "WebhookSender"]
