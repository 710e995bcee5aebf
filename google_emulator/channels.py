"""Calendar push notifications (https://developers.google.com/calendar/api/guides/push): events.watch opens a
channel on a calendar's events; the emulator POSTs an empty body with the X-Goog-* headers to its address —
``sync`` once when it opens, ``exists`` on every change after — retrying 500/502/503/504 (and unreachable
addresses) with exponential backoff; channels.stop closes it; an expired channel gets nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from emulator_kit import outbox
from emulator_kit.oauth import b64url
from emulator_kit.wire import Request, Response, empty

from .calendar import resource_uri
from .wire import api_error, http_date, json_response, rfc3339_ms

if TYPE_CHECKING:
    from .core import Emulator

# send(url, body, headers) -> (status, response headers, response body); raises on network errors.
NotificationSender = Callable[[str, bytes, dict[str, str]], tuple[int, dict[str, str], bytes]]

CHANNEL_ID = re.compile(r"^[A-Za-z0-9\-_+/=]{1,64}$")
RETRIED = (500, 502, 503, 504)
RESOURCE_STATES = ("sync", "exists", "not_exists")
USER_AGENT = "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"


def resource_id(user_id: str) -> str:
    """The opaque id of a calendar's events collection (the same for every channel on it)."""
    return b64url(hashlib.sha256(f"events:{user_id}".encode()).digest())[:27]


class ChannelsMixin:
    """events.watch, channels.stop and the notification outbox. Mixed into Emulator."""

    def channel_view(self: Emulator, channel: dict[str, Any]) -> dict[str, Any]:
        view = {
            "kind": "api#channel",
            "id": channel["id"],
            "resourceId": channel["resource_id"],
            "resourceUri": channel["resource_uri"],
            "expiration": str(int(channel["expires_at"] * 1000)),
        }
        if channel["token"] is not None:
            view["token"] = channel["token"]
        return view

    def api_watch_events(
        self: Emulator, req: Request, token: dict, owner: dict, calendar_id: str
    ) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            return api_error(400, "parseError", "Parse Error")
        channel_id = body.get("id")
        if not isinstance(channel_id, str) or not CHANNEL_ID.match(channel_id):
            return api_error(400, "required" if not channel_id else "invalid", "Invalid channel id.")
        if body.get("type") not in ("web_hook", "webhook"):
            return api_error(400, "invalid", f"Invalid value for: {body.get('type')} is not a valid value")
        address = body.get("address")
        parts = urlsplit(address) if isinstance(address, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return api_error(400, "invalid", f"Invalid value for: address {address}")
        if self.config.require_https_notification_url and parts.scheme != "https":
            return api_error(400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}")
        channel_token = body.get("token")
        if channel_token is not None and (not isinstance(channel_token, str) or len(channel_token) > 256):
            return api_error(400, "invalid", "Invalid channel token.")
        existing = self.state["channels"].get(channel_id)
        if existing is not None and existing["expires_at"] > self.now():
            return api_error(400, "channelIdNotUnique", f"Channel id {channel_id} not unique")
        now = self.now()
        expires = now + int(self.config.channel_default_ttl)
        if body.get("expiration") not in (None, ""):
            try:
                wanted = int(body["expiration"]) / 1000
            except (TypeError, ValueError):
                return api_error(400, "invalid", "Invalid value for: expiration")
            if wanted <= now:
                return api_error(400, "invalid", "Invalid value for: expiration (in the past)")
            expires = min(wanted, now + int(self.config.channel_max_ttl))
        channel = {
            "id": channel_id,
            "user_id": owner["id"],
            "client_id": token["client_id"],
            "resource_id": resource_id(owner["id"]),
            "resource_uri": resource_uri(self.config.api_url, calendar_id),
            "token": channel_token,
            "address": address,
            "expires_at": expires,
            "created_at": now,
            "messages": 0,
        }
        self.state["channels"][channel_id] = channel
        self._enqueue_message(channel, "sync")
        return json_response(200, self.channel_view(channel))

    def api_stop_channel(self: Emulator, req: Request, token: dict, owner: dict) -> Response:
        body = req.json()
        if not isinstance(body, dict) or not body.get("id"):
            return api_error(400, "required", "Required")
        channel = self.state["channels"].get(str(body["id"]))
        if (
            channel is None
            or channel["client_id"] != token["client_id"]
            or channel["expires_at"] <= self.now()
            or (body.get("resourceId") and body["resourceId"] != channel["resource_id"])
        ):
            return api_error(
                404, "notFound", f"Channel '{body['id']}' not found for project '{self.project_number}'"
            )
        del self.state["channels"][channel["id"]]
        return empty(204)

    # ---- notifications --------------------------------------------------------------------------------
    def notify_calendar(self: Emulator, user_id: str, state: str = "exists") -> int:
        """Queue a message to each live channel on the user's calendar; return how many."""
        queued = 0
        for channel in list(self.state["channels"].values()):
            if channel["user_id"] == user_id and channel["expires_at"] > self.now():
                self._enqueue_message(channel, state)
                queued += 1
        return queued

    def _enqueue_message(self: Emulator, channel: dict[str, Any], state: str) -> None:
        channel["messages"] += 1
        headers = {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Channel-Expiration": http_date(channel["expires_at"]),
            "X-Goog-Resource-ID": channel["resource_id"],
            "X-Goog-Resource-URI": channel["resource_uri"],
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel["messages"]),
            "User-Agent": USER_AGENT,
        }
        if channel["token"] is not None:
            headers["X-Goog-Channel-Token"] = channel["token"]
        item = {
            "id": self.state["next_notification_id"],
            "event": state,
            "channel_id": channel["id"],
            "url": channel["address"],
            "headers": headers,
            "body": "",
        }
        outbox.queue(self.state["outbox"], item, self.now())
        self.state["next_notification_id"] += 1

    def deliver_notifications(
        self: Emulator, sender: NotificationSender | None = None, *, raise_errors: bool = False
    ) -> list[tuple[str, int | None]]:
        """Deliver every due message once. 2xx is delivered; 500/502/503/504 or no answer is retried after
        ``notification_retry_schedule``; any other status fails for good. Returns (resource state, status or
        None) per attempt. A message for a channel stopped meanwhile is dropped."""
        sender = sender or self.notification_sender
        if sender is None:
            return []
        with self.lock:
            due = outbox.take_due(self.state["outbox"], self.now())
            for item in list(due):
                if item["channel_id"] not in self.state["channels"]:
                    item.update(status="dropped", in_flight=False)
                    due.remove(item)

        def send(item: dict[str, Any]) -> int | None:
            status, _, _ = sender(item["url"], b"", dict(item["headers"]))
            return status

        return outbox.deliver_each(due, send, self._finish_delivery, raise_errors=raise_errors)

    def _finish_delivery(self: Emulator, item: dict[str, Any], status: int | None, error: str | None) -> None:
        with self.lock:
            self.notification_log.append((item["event"], status))
            retried = status is None or status in RETRIED
            outbox.record_attempt(
                item,
                status,
                error,
                now=self.now(),
                delivered=status is not None and 200 <= status < 300,
                retries=self.config.notification_retry_schedule if retried else [],
            )

    def notification_view(self: Emulator, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": item["id"],
            "state": item["event"],
            "channel_id": item["channel_id"],
            "url": item["url"],
            "headers": dict(item["headers"]),
            "status": item["status"],
            "attempts": outbox.attempts_view(item, rfc3339_ms),
        }


__all__ = ["RESOURCE_STATES", "ChannelsMixin", "NotificationSender", "resource_id"]
