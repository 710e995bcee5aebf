"""Graph change notifications: one subscription per host calendar with Teams meetings, the receiver's
checks and storage, and the handling that tells the apps above (``web_meetings.signals.meeting_changed``).

https://learn.microsoft.com/graph/change-notifications-delivery-webhooks (validation handshake, clientState,
202 within 3 seconds) and https://learn.microsoft.com/graph/change-notifications-lifecycle-events.

For the apps above: ``ensure_host_subscription(company_id=, host_id=)`` (idempotent; enqueues after commit).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from teams_integration import services
from teams_integration.client import TeamsError, TeamsNotFound, TeamsReauthorizationRequired, event_path
from teams_integration.models import (
    ConnectionStatus,
    GraphNotification,
    GraphSubscription,
    SubscriptionStatus,
    TeamsConnection,
)
from web_meetings import signals

logger = logging.getLogger(__name__)

# Graph allows up to 4230 minutes for Outlook resources; ask a little less and renew a day before.
SUBSCRIPTION_MINUTES = 4200
RENEW_BEFORE = timedelta(hours=24)
CHANGE_TYPES = "updated,deleted"
UTC_PREFERENCE = {"Prefer": 'outlook.timezone="UTC"'}


def _hash(client_state: str) -> str:
    return hashlib.sha256(client_state.encode()).hexdigest()


def _expiration() -> datetime:
    return timezone.now() + timedelta(minutes=SUBSCRIPTION_MINUTES)


def _graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


# ---------------------------------------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------------------------------------


def ensure_host_subscription(*, company_id: int, host_id: str) -> None:
    """Make sure the host's calendar has a live subscription: enqueued after commit (no Graph call here)."""
    from teams_integration import tasks  # tasks import this module

    transaction.on_commit(lambda: tasks.ensure_subscription.delay(company_id, host_id))


def subscribe_host(*, connection: TeamsConnection, host_id: str) -> GraphSubscription:
    """Create, renew or keep the host's subscription (serialized per host by the row's lock).

    Creating makes Graph call the notification URL (validation handshake) before it answers.
    """
    try:
        return _subscribe_host(connection=connection, host_id=host_id)
    except TeamsReauthorizationRequired as exc:
        # The token fetch (or Graph's 401) put the link in エラー inside the block that just rolled back:
        # write it again, or the link stays 連携中 and the admins are never told (a no-op if it is kept).
        services.mark_reauthorization_required(
            connection=connection, reason=exc.message, cause="subscription"
        )
        raise


def _subscribe_host(*, connection: TeamsConnection, host_id: str) -> GraphSubscription:
    with transaction.atomic():
        # The link's row first, then the subscription's, as everywhere else (lifecycle handling, linking,
        # unlinking): a token fetch inside locks the link's row, and taking it after the subscription's
        # would deadlock with an unlink deleting the company's subscriptions under the link's lock.
        TeamsConnection.objects.select_for_update().filter(pk=connection.pk).exists()
        GraphSubscription.objects.get_or_create(
            company_id=connection.company_id,
            host_id=host_id,
            defaults={"resource": f"/users/{host_id}/events", "status": SubscriptionStatus.REMOVED},
        )
        row = GraphSubscription.objects.select_for_update().get(
            company_id=connection.company_id, host_id=host_id
        )
        live = row.status == SubscriptionStatus.ACTIVE and row.subscription_id
        if live and row.expires_at and row.expires_at - timezone.now() > RENEW_BEFORE:
            return row
        graph = services.graph_for(connection)
        if live:
            try:
                answer = graph.request(
                    "PATCH",
                    f"/subscriptions/{row.subscription_id}",
                    body={"expirationDateTime": _graph_time(_expiration())},
                )
            except TeamsNotFound:
                answer = {}  # expired or removed at Graph: create a new one below
            if answer.get("id"):
                row.expires_at = parse_datetime(str(answer.get("expirationDateTime") or "")) or _expiration()
                row.last_error = ""
                row.save(update_fields=["expires_at", "last_error", "updated_at"])
                return row
        client_state = secrets.token_urlsafe(32)
        answer = graph.request(
            "POST",
            "/subscriptions",
            body={
                "changeType": CHANGE_TYPES,
                "notificationUrl": services.notification_url(),
                "lifecycleNotificationUrl": services.lifecycle_url(),
                "resource": row.resource,
                "expirationDateTime": _graph_time(_expiration()),
                "clientState": client_state,
            },
        )
        row.subscription_id = str(answer.get("id") or "")
        row.client_state_hash = _hash(client_state)
        row.status = SubscriptionStatus.ACTIVE
        row.expires_at = parse_datetime(str(answer.get("expirationDateTime") or "")) or _expiration()
        row.last_error = ""
        row.save()
    logger.info("teams: subscription for a host of company %s created", connection.company_id)
    return row


def delete_company_subscriptions(*, connection: TeamsConnection) -> None:
    """Best effort before 連携解除: delete the company's subscriptions at Graph."""
    graph = services.graph_for(connection)
    for row in GraphSubscription.objects.filter(
        company_id=connection.company_id, status=SubscriptionStatus.ACTIVE
    ).exclude(subscription_id=""):
        try:
            graph.request("DELETE", f"/subscriptions/{row.subscription_id}")
        except TeamsError as exc:
            logger.warning("teams: subscription delete failed (%s)", type(exc).__name__)


# ---------------------------------------------------------------------------------------------------------
# Receiving
# ---------------------------------------------------------------------------------------------------------


class MalformedNotification(Exception):
    pass


@dataclass
class Received:
    stored: list[int]
    ignored: int


def receive(body: bytes, *, kind: str) -> Received:
    """Check each item's clientState against its subscription and store it once; enqueue the new ones."""
    try:
        message = json.loads(body)
        items = message["value"]
        if not isinstance(items, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise MalformedNotification("not a Graph notification collection") from None
    stored: list[int] = []
    ignored = 0
    for item in items:
        if not isinstance(item, dict):
            ignored += 1
            continue
        subscription_id = str(item.get("subscriptionId") or "")
        row = (
            GraphSubscription.objects.filter(subscription_id=subscription_id)
            .exclude(subscription_id="")
            .first()
        )
        given = str(item.get("clientState") or "")
        if (
            row is None
            or not row.client_state_hash
            or not hmac.compare_digest(row.client_state_hash, _hash(given))
        ):
            # Never log the clientState itself.
            logger.warning(
                "teams: notification ignored: unknown subscription or clientState mismatch (%s)", kind
            )
            ignored += 1
            continue
        notification_id = _store(item, row=row, kind=kind)
        if notification_id is not None:
            stored.append(notification_id)
    if stored:
        from teams_integration import tasks

        for notification_id in stored:
            transaction.on_commit(lambda pk=notification_id: tasks.process_notification.delay(pk))  # type: ignore[misc]
    return Received(stored=stored, ignored=ignored)


def _store(item: dict[str, Any], *, row: GraphSubscription, kind: str) -> int | None:
    payload = {key: value for key, value in item.items() if key != "clientState"}
    raw_data = item.get("resourceData")
    resource_data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    if kind == GraphNotification.KIND_LIFECYCLE:
        change = str(item.get("lifecycleEvent") or "")
        unique = f"{row.subscription_id}|{change}|{item.get('subscriptionExpirationDateTime')}"
    else:
        change = str(item.get("changeType") or "")
        unique = f"{row.subscription_id}|{change}|{item.get('resource')}|{resource_data.get('@odata.etag')}"
    key = hashlib.sha256(f"{kind}|{unique}".encode()).hexdigest()
    try:
        with transaction.atomic():
            notification = GraphNotification.objects.create(
                key=key,
                kind=kind,
                company_id=row.company_id,
                subscription_id=row.subscription_id,
                change_type=change[:40],
                resource=str(item.get("resource") or "")[:255],
                payload=payload,
            )
    except IntegrityError:
        return None  # a redelivery of one we already have
    return notification.pk


# ---------------------------------------------------------------------------------------------------------
# Handling (the task calls handle() inside its transaction, on the locked row)
# ---------------------------------------------------------------------------------------------------------


def handle(notification: GraphNotification) -> str:
    """Act on one stored notification; returns what was done (for ``result``)."""
    row = GraphSubscription.objects.filter(subscription_id=notification.subscription_id).first()
    if row is None:
        return "subscription gone"
    connection = TeamsConnection.objects.select_related("company").filter(company_id=row.company_id).first()
    if connection is None:
        return "no connection"
    if notification.kind == GraphNotification.KIND_LIFECYCLE:
        return _handle_lifecycle(notification, row=row, connection=connection)
    return _handle_change(notification, row=row, connection=connection)


def _event_id(notification: GraphNotification) -> str:
    data = notification.payload.get("resourceData")
    if isinstance(data, dict) and data.get("id"):
        return str(data["id"])
    return notification.resource.rstrip("/").rsplit("/", 1)[-1]


def _handle_change(
    notification: GraphNotification, *, row: GraphSubscription, connection: TeamsConnection
) -> str:
    event_id = _event_id(notification)
    if connection.status != ConnectionStatus.LINKED:
        return "link not usable"
    start: datetime | None = None
    duration: int | None = None
    change = "deleted" if notification.change_type == "deleted" else "updated"
    if change == "updated":
        try:
            event = services.graph_for(connection).request(
                "GET", event_path(row.host_id, event_id), headers=UTC_PREFERENCE
            )
        except TeamsNotFound:
            change = "deleted"
        else:
            from teams_integration.provider import event_times  # provider imports this module

            start, duration = event_times(event)
    signals.meeting_changed.send(
        sender=GraphNotification,
        company=connection.company,
        provider=services.PROVIDER_KEY,
        meeting_id=event_id,
        change=change,
        start=start,
        duration_minutes=duration,
    )
    return f"meeting {change}"


def _handle_lifecycle(
    notification: GraphNotification, *, row: GraphSubscription, connection: TeamsConnection
) -> str:
    event = notification.change_type
    if event == "missed":
        return "missed (nothing to resend)"
    # The link's row first, then the subscription's, as the token fetch does: on withdrawn consent Graph sends
    # reauthorizationRequired and subscriptionRemoved at once, and two workers taking the rows in opposite
    # orders deadlock (the loser's エラー rolled back). Serialized, the second sees the first one's outcome.
    locked = TeamsConnection.objects.select_for_update().filter(pk=connection.pk).first()
    if locked is None:
        return f"{event}: no connection"
    connection = locked
    if connection.status != ConnectionStatus.LINKED:
        row.status = SubscriptionStatus.REMOVED
        row.save(update_fields=["status", "updated_at"])
        return f"{event}: link not usable"
    try:
        if event == "reauthorizationRequired":
            services.graph_for(connection).request(
                "POST", f"/subscriptions/{row.subscription_id}/reauthorize"
            )
            return "reauthorized"
        if event == "subscriptionRemoved":
            GraphSubscription.objects.filter(pk=row.pk).update(status=SubscriptionStatus.REMOVED)
            subscribe_host(connection=connection, host_id=row.host_id)
            return "recreated"
    except TeamsReauthorizationRequired:
        # get_app_token / graph_for already put the link in エラー（再認可が必要） and mailed the admins.
        GraphSubscription.objects.filter(pk=row.pk).update(status=SubscriptionStatus.REMOVED)
        return f"{event}: reauthorization required"
    except TeamsNotFound:
        GraphSubscription.objects.filter(pk=row.pk).update(status=SubscriptionStatus.REMOVED)
        subscribe_host(connection=connection, host_id=row.host_id)
        return f"{event}: recreated"
    return f"{event}: ignored"
