"""Graph change notifications: subscriptions on a user's events, the validation handshake, change and
lifecycle notifications (https://learn.microsoft.com/graph/change-notifications-delivery-webhooks,
https://learn.microsoft.com/graph/change-notifications-lifecycle-events)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from emulator_kit import outbox
from emulator_kit.wire import Request, Response, dumps, empty, with_query

from .wire import iso_7z, json_response, parse_iso

if TYPE_CHECKING:
    from .core import Emulator

# send(url, body, headers) -> (status, response headers, response body); raises on network errors.
NotificationSender = Callable[[str, bytes, dict[str, str]], tuple[int, dict[str, str], bytes]]

EVENT_RESOURCE = re.compile(r"^/?(?:(?P<me>me)|users/(?P<user>[^/]+))/(?:calendar/)?events$", re.I)
CHANGE_TYPES = ("created", "updated", "deleted")
LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")
VALIDATION_FAILED = (
    "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation "
    "request."
)
VALIDATION_MISMATCH = (
    "Subscription validation request failed. Response must exactly match validationToken query parameter."
)
VALIDATION_TIMEOUT = "Subscription validation request failed. Validation request timed out."


class SubscriptionsMixin:
    """Handlers for /v1.0/subscriptions and the notification outbox. Mixed into Emulator."""

    def subscription_view(self: Emulator, sub: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": sub["id"],
            "resource": sub["resource"],
            "applicationId": sub["client_id"],
            "changeType": sub["change_type"],
            "clientState": sub["client_state"],
            "notificationUrl": sub["notification_url"],
            "notificationQueryOptions": None,
            "lifecycleNotificationUrl": sub["lifecycle_url"],
            "expirationDateTime": iso_7z(sub["expires_at"]),
            "creatorId": sub["creator_id"],
            "includeResourceData": False,
            "latestSupportedTlsVersion": "v1_2",
            "encryptionCertificate": None,
            "encryptionCertificateId": None,
            "notificationUrlAppId": None,
        }

    def _subscription_entity(self: Emulator, sub: dict[str, Any]) -> dict[str, Any]:
        return {
            "@odata.context": f"{self.config.graph_url}/v1.0/$metadata#subscriptions/$entity",
            **self.subscription_view(sub),
        }

    def _expiry(self: Emulator, req: Request, value: Any) -> float | Response:
        try:
            expires = parse_iso(value)
        except (ValueError, TypeError):
            return self.gerr(
                req, 400, "InvalidRequest", "expirationDateTime is required and must be a date-time."
            )
        now = self.now()
        if expires <= now:
            return self.gerr(req, 400, "InvalidRequest", "Subscription expiration must be in the future.")
        limit = self.config.max_event_subscription_minutes
        if expires > now + limit * 60:
            return self.gerr(
                req,
                400,
                "InvalidRequest",
                f"Subscription expiration can only be {limit} minutes in the future.",
            )
        return expires

    def _live_subscription(
        self: Emulator, req: Request, token: dict[str, Any], sub_id: str
    ) -> dict[str, Any] | Response:
        sub = self.state["subscriptions"].get(sub_id)
        if (
            sub is None
            or sub["tenant_id"] != token["tenant_id"]
            or sub["client_id"] != token["client_id"]
            or sub["expires_at"] <= self.now()
        ):
            return self.gerr(req, 404, "ResourceNotFound", "The object was not found.")
        return sub

    # ---- API ------------------------------------------------------------------------------------------
    def api_create_subscription(self: Emulator, req: Request, token: dict[str, Any]) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            return self.gerr(req, 400, "InvalidRequest", "Cannot read the request body as a JSON object.")
        for key in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
            if not isinstance(body.get(key), str) or not body[key]:
                return self.gerr(req, 400, "InvalidRequest", f"The property '{key}' is required.")
        changes = [c.strip() for c in body["changeType"].split(",") if c.strip()]
        if not changes or any(c not in CHANGE_TYPES for c in changes):
            return self.gerr(req, 400, "InvalidRequest", f"Unsupported changeType '{body['changeType']}'.")
        client_state = body.get("clientState")
        if client_state is not None and (not isinstance(client_state, str) or len(client_state) > 128):
            return self.gerr(
                req, 400, "InvalidRequest", "clientState must be a string of at most 128 characters."
            )
        if body.get("includeResourceData"):
            return self.gerr(
                req,
                400,
                "InvalidRequest",
                "Rich notifications need an encryptionCertificate; the emulator sends basic "
                "notifications only.",
            )
        urls = [body["notificationUrl"]]
        lifecycle = body.get("lifecycleNotificationUrl")
        if lifecycle:
            urls.append(lifecycle)
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                return self.gerr(req, 400, "InvalidRequest", f"Invalid notification url '{url}'.")
            if self.config.require_https_notification_url and parts.scheme != "https":
                return self.gerr(req, 400, "InvalidRequest", "The notification url must use https.")
        found = EVENT_RESOURCE.match(body["resource"])
        if not found:
            return self.gerr(
                req,
                400,
                "ExtensionError",
                "Operation: Create; Exception: [Status Code: BadRequest; Reason: The resource "
                f"'{body['resource']}' is not supported.]",
            )
        user_ref = "me" if found.group("me") else found.group("user")
        user = self._calendar_access(req, token, user_ref, write=False)
        if isinstance(user, Response):
            return user
        expires = self._expiry(req, body["expirationDateTime"])
        if isinstance(expires, Response):
            return expires
        sub = {
            "id": str(uuid.uuid4()),
            "client_id": token["client_id"],
            "tenant_id": token["tenant_id"],
            "user_id": user["id"],
            "resource": body["resource"],
            "change_type": ",".join(changes),
            "client_state": client_state,
            "notification_url": body["notificationUrl"],
            "lifecycle_url": lifecycle or None,
            "expires_at": expires,
            "creator_id": token["user_id"] or token["client_id"],
            "created_at": self.now(),
        }

        def handshake() -> Response:
            # Outside the lock: the subscriber may call Graph while it answers the validation request.
            for url in dict.fromkeys(urls):
                problem = self.validate_notification_url(url)
                if problem:
                    with self.lock:
                        self.state["stats"]["validation_failures"] = (
                            self.state["stats"].get("validation_failures", 0) + 1
                        )
                    return self.gerr(req, 400, "ValidationError", problem)
            with self.lock:
                self.state["subscriptions"][sub["id"]] = sub
                return json_response(201, self._subscription_entity(sub))

        return Response(0, then=handshake)

    def validate_notification_url(self: Emulator, url: str) -> str | None:
        """POST url?validationToken=...; the endpoint must answer 200, text/plain, the token, within 10 s.
        Returns the failure message, or None."""
        sender = self.notification_sender
        if sender is None:
            return VALIDATION_FAILED
        token = (
            f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
        )
        target = with_query(url, {"validationToken": token})
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        try:
            status, answer_headers, answer = sender(target, b"", headers)
        except Exception as exc:  # noqa: BLE001 - any failure to reach the endpoint fails validation
            self.notification_log.append(("validation", None))
            if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
                return VALIDATION_TIMEOUT
            return VALIDATION_FAILED
        self.notification_log.append(("validation", status))
        if status != 200:
            return VALIDATION_FAILED
        content_type = {k.lower(): v for k, v in answer_headers.items()}.get("content-type", "")
        if not content_type.startswith("text/plain") or answer.decode("utf-8", "replace") != token:
            return VALIDATION_MISMATCH
        return None

    def api_list_subscriptions(self: Emulator, req: Request, token: dict[str, Any]) -> Response:
        now = self.now()
        mine = [
            s
            for s in self.state["subscriptions"].values()
            if s["tenant_id"] == token["tenant_id"]
            and s["client_id"] == token["client_id"]
            and s["expires_at"] > now
        ]
        mine.sort(key=lambda s: s["created_at"])
        return json_response(
            200,
            {
                "@odata.context": f"{self.config.graph_url}/v1.0/$metadata#subscriptions",
                "value": [self.subscription_view(s) for s in mine],
            },
        )

    def api_get_subscription(self: Emulator, req: Request, token: dict[str, Any], sub_id: str) -> Response:
        sub = self._live_subscription(req, token, sub_id)
        if isinstance(sub, Response):
            return sub
        return json_response(200, self._subscription_entity(sub))

    def api_update_subscription(self: Emulator, req: Request, token: dict[str, Any], sub_id: str) -> Response:
        sub = self._live_subscription(req, token, sub_id)
        if isinstance(sub, Response):
            return sub
        body = req.json()
        if not isinstance(body, dict) or "expirationDateTime" not in body:
            return self.gerr(req, 400, "InvalidRequest", "Only expirationDateTime can be updated.")
        expires = self._expiry(req, body["expirationDateTime"])
        if isinstance(expires, Response):
            return expires
        sub["expires_at"] = expires
        if isinstance(body.get("notificationUrl"), str):
            sub["notification_url"] = body["notificationUrl"]
        return json_response(200, self._subscription_entity(sub))

    def api_delete_subscription(self: Emulator, req: Request, token: dict[str, Any], sub_id: str) -> Response:
        sub = self._live_subscription(req, token, sub_id)
        if isinstance(sub, Response):
            return sub
        del self.state["subscriptions"][sub_id]
        return empty(204)

    def api_reauthorize_subscription(
        self: Emulator, req: Request, token: dict[str, Any], sub_id: str
    ) -> Response:
        sub = self._live_subscription(req, token, sub_id)
        if isinstance(sub, Response):
            return sub
        sub["reauthorized_at"] = self.now()
        return empty(204)

    # ---- notifications --------------------------------------------------------------------------------
    def notify_event_change(self: Emulator, event: dict[str, Any], change_type: str) -> int:
        """Queue a change notification to each live subscription on the event's calendar; return how many."""
        now = self.now()
        queued = 0
        for sub in self.state["subscriptions"].values():
            if (
                sub["user_id"] != event["user_id"]
                or sub["tenant_id"] != event["tenant_id"]
                or sub["expires_at"] <= now
                or change_type not in sub["change_type"].split(",")
            ):
                continue
            resource = f"Users/{event['user_id']}/Events/{event['id']}"
            item = {
                "subscriptionId": sub["id"],
                "subscriptionExpirationDateTime": iso_7z(sub["expires_at"]),
                "changeType": change_type,
                "resource": resource,
                "resourceData": {
                    "@odata.type": "#Microsoft.Graph.Event",
                    "@odata.id": resource,
                    "@odata.etag": f'W/"{event["change_key"]}"',
                    "id": event["id"],
                },
                "clientState": sub["client_state"],
                "tenantId": sub["tenant_id"],
            }
            self._enqueue("change", change_type, sub, sub["notification_url"], {"value": [item]})
            queued += 1
        return queued

    def enqueue_lifecycle(self: Emulator, sub: dict[str, Any], lifecycle_event: str) -> bool:
        """Queue a lifecycle notification (reauthorizationRequired, subscriptionRemoved, missed). False when
        the subscription has no lifecycleNotificationUrl."""
        if lifecycle_event not in LIFECYCLE_EVENTS:
            raise ValueError(f"unknown lifecycle event {lifecycle_event!r}")
        if not sub["lifecycle_url"]:
            return False
        item = {
            "subscriptionId": sub["id"],
            "subscriptionExpirationDateTime": iso_7z(sub["expires_at"]),
            "tenantId": sub["tenant_id"],
            "clientState": sub["client_state"],
            "lifecycleEvent": lifecycle_event,
        }
        self._enqueue("lifecycle", lifecycle_event, sub, sub["lifecycle_url"], {"value": [item]})
        return True

    def _enqueue(
        self: Emulator, kind: str, label: str, sub: dict[str, Any], url: str, body: dict[str, Any]
    ) -> None:
        item = {
            "id": self.state["next_notification_id"],
            "kind": kind,
            "event": label,
            "subscription_id": sub["id"],
            "url": url,
            "body": dumps(body),
        }
        outbox.queue(self.state["outbox"], item, self.now())
        self.state["next_notification_id"] += 1

    def deliver_notifications(
        self: Emulator, sender: NotificationSender | None = None, *, raise_errors: bool = False
    ) -> list[tuple[str, int | None]]:
        """Deliver every due notification once; 2xx is success, anything else is retried after
        ``notification_retry_schedule``. Returns (changeType or lifecycleEvent, status or None) per
        attempt."""
        sender = sender or self.notification_sender
        if sender is None:
            return []
        with self.lock:
            due = outbox.take_due(self.state["outbox"], self.now())

        def send(item: dict[str, Any]) -> int | None:
            headers = {"Content-Type": "application/json; charset=utf-8"}
            status, _, _ = sender(item["url"], item["body"].encode(), headers)
            return status

        return outbox.deliver_each(due, send, self._finish_delivery, raise_errors=raise_errors)

    def _finish_delivery(self: Emulator, item: dict[str, Any], status: int | None, error: str | None) -> None:
        with self.lock:
            self.notification_log.append((item["event"], status))
            outbox.record_attempt(
                item,
                status,
                error,
                now=self.now(),
                delivered=status is not None and 200 <= status < 300,
                retries=self.config.notification_retry_schedule,
            )

    def notification_view(self: Emulator, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": item["id"],
            "kind": item["kind"],
            "event": item["event"],
            "subscription_id": item["subscription_id"],
            "url": item["url"],
            "status": item["status"],
            "attempts": outbox.attempts_view(item, iso_7z),
            "body": item["body"],
        }


__all__ = ["LIFECYCLE_EVENTS", "NotificationSender", "SubscriptionsMixin"]
