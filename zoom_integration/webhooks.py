"""Zoom webhooks: signature, url_validation, storage (once per delivery body) and handling.

https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Company
from web_meetings import signals
from zoom_integration import services
from zoom_integration.models import ConnectionStatus, WebhookEvent, ZoomConnection

logger = logging.getLogger(__name__)

# Zoom's requests older (or further in the future) than this are refused: a captured delivery cannot be
# replayed later.
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60
URL_VALIDATION = "endpoint.url_validation"
DEAUTHORIZED = "app_deauthorized"
MEETING_EVENTS = frozenset({"meeting.deleted", "meeting.updated"})


class SignatureRejected(Exception):
    """Bad or missing signature, or a stale timestamp (answer 401)."""


class MalformedEvent(Exception):
    """A signed body that is not a Zoom event (answer 400)."""


def signature_for(*, secret: str, timestamp: str, body: bytes) -> str:
    """``v0=`` + hex HMAC-SHA256(secret, "v0:{timestamp}:{raw body}")."""
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(*, secret: str, timestamp: str, signature: str, body: bytes, now: float) -> None:
    """Check the raw body's signature in constant time and the timestamp window; SignatureRejected if not."""
    if not timestamp.isdigit():
        raise SignatureRejected("missing or malformed x-zm-request-timestamp")
    if abs(now - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        raise SignatureRejected("stale x-zm-request-timestamp")
    expected = signature_for(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise SignatureRejected("signature mismatch")


def parse_event(body: bytes) -> dict:
    """The event object of a (verified) body; MalformedEvent when it is not one."""
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedEvent("body is not JSON") from exc
    if not isinstance(message, dict) or not isinstance(message.get("event"), str) or not message["event"]:
        raise MalformedEvent("no event name")
    if not isinstance(message.get("payload", {}), dict):
        raise MalformedEvent("payload is not an object")
    return message


def url_validation_response(*, secret: str, message: dict) -> dict:
    """The answer to endpoint.url_validation: the plainToken and its HMAC-SHA256 (hex)."""
    plain_token = message.get("payload", {}).get("plainToken")
    if not isinstance(plain_token, str) or not plain_token:
        raise MalformedEvent("url_validation without plainToken")
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}


def receive_event(*, body: bytes, message: dict) -> tuple[WebhookEvent, bool]:
    """Store the delivery once (unique on the body's hash) and enqueue its handling after commit.

    A redelivery of an event whose handling never finished is enqueued again (the task is idempotent).
    """
    from zoom_integration import tasks

    digest = hashlib.sha256(body).hexdigest()
    payload = message.get("payload") or {}
    account_id = str(payload.get("account_id") or "")[:64]
    try:
        with transaction.atomic():
            event, created = WebhookEvent.objects.get_or_create(
                body_sha256=digest,
                defaults={"event": message["event"][:100], "account_id": account_id, "payload": message},
            )
    except IntegrityError:  # the same delivery arrived twice at the same moment
        event, created = WebhookEvent.objects.get(body_sha256=digest), False
    if created or event.processed_at is None:
        transaction.on_commit(lambda: tasks.handle_webhook_event.delay(event.pk))
    else:
        logger.info("zoom webhook: duplicate delivery of %s ignored", event.event)
    return event, created


def handle_event(event: WebhookEvent) -> str:
    """Act on one stored event; returns a short result for the record. Idempotent."""
    payload = event.payload.get("payload") or {}
    account_id = str(payload.get("account_id") or "")
    if event.event == DEAUTHORIZED:
        return _handle_deauthorized(account_id, payload)
    if event.event in MEETING_EVENTS:
        return _handle_meeting_event(event.event, account_id, payload)
    return "ignored: event not used"


def _handle_deauthorized(account_id: str, payload: dict) -> str:
    if not account_id:
        return "ignored: no account_id"
    if not ZoomConnection.objects.filter(zoom_account_id=account_id).exists():
        logger.warning("zoom webhook: app_deauthorized for unknown account %s", account_id)
        return "ignored: unknown account"
    released = services.deauthorize_account(
        account_id=account_id, deauthorized_at=_parse_time(payload.get("deauthorization_time"))
    )
    return f"released {released}"


def _handle_meeting_event(event_name: str, account_id: str, payload: dict) -> str:
    meeting = payload.get("object") or {}
    raw_id = meeting.get("id")
    if raw_id is None:
        return "ignored: no meeting id"
    try:
        meeting_id = int(raw_id)
    except (TypeError, ValueError):
        return "ignored: no meeting id"
    companies = list(
        Company.objects.filter(zoom_connection__zoom_account_id=account_id)
        .exclude(zoom_connection__status=ConnectionStatus.AWAITING)
        .distinct()
    )
    if not account_id or not companies:
        logger.warning("zoom webhook: %s for unknown account %s", event_name, account_id or "-")
        return "ignored: unknown account"
    duration = meeting.get("duration")
    change = {
        "company": None,
        "provider": "zoom",
        "meeting_id": str(meeting_id),
        "change": "deleted" if event_name == "meeting.deleted" else "updated",
        "start": _parse_time(meeting.get("start_time")),
        "duration_minutes": duration if isinstance(duration, int) else None,
        "changed_at": _event_time(payload),
    }
    for company in companies:
        # A receiver that raises leaves the delivery unprocessed (handle_webhook_event retries it).
        signals.meeting_changed.send(sender=WebhookEvent, **{**change, "company": company})
    return f"announced to {len(companies)} company(ies)"


def _event_time(payload: dict) -> datetime | None:
    """When the change happened in Zoom: meeting.updated carries it (ms) as payload.time_stamp; the
    envelope's event_ts is used when a caller passes it along."""
    event_ts = payload.get("event_ts", payload.get("time_stamp"))
    if isinstance(event_ts, int | float):
        return datetime.fromtimestamp(event_ts / 1000, tz=UTC)
    return None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)
