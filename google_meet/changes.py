"""Calendar push notifications: one watch channel per host calendar (events.watch) with a random token we
check, the receiver's checks, and the incremental sync (events.list with the stored sync token) that tells
the apps above about our events moved or deleted in Google Calendar
(``web_meetings.signals.meeting_changed``).

https://developers.google.com/calendar/api/guides/push and …/guides/sync.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from google_meet import services
from google_meet.client import GoogleError, GoogleSyncTokenExpired, event_path
from google_meet.models import GoogleGrant, GoogleWatch, GrantStatus, WatchStatus
from web_meetings import signals

logger = logging.getLogger(__name__)

CHANNEL_TTL = timedelta(days=7)  # Google's default for calendar channels
RENEW_BEFORE = timedelta(days=1)
PRIVATE_PROPERTY = "e2rpro"  # extendedProperties.private[e2rpro] = "1" on every event we create
OUR_EVENT_ID = re.compile(r"^[0-9a-f]{40}$")  # event ids we derive from a slot marker (provider.event_id)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _from_ms(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError):
        return None


def ensure_host_watch(*, grant_id: int) -> None:
    """Make sure the host's calendar has a live channel: enqueued after commit (no Google call here) unless
    the channel is live for more than a day (a bulk issue then enqueues nothing)."""
    fresh = GoogleWatch.objects.filter(
        grant_id=grant_id,
        status=WatchStatus.ACTIVE,
        expires_at__gt=timezone.now() + RENEW_BEFORE,
    ).exclude(channel_id="")
    if fresh.exists():
        return
    from google_meet import tasks  # tasks import this module

    transaction.on_commit(lambda: tasks.ensure_watch.delay(grant_id))


def watch_host(*, grant: GoogleGrant) -> GoogleWatch:
    """Open, renew or keep the channel on the host's calendar (serialized per grant by the row's lock).
    A new channel replaces the old one (stopped best effort). The first time, a full sync fetches a sync
    token so later notifications list only the changes."""
    with transaction.atomic():
        GoogleWatch.objects.get_or_create(grant=grant, defaults={"company_id": grant.company_id})
        row = GoogleWatch.objects.select_for_update().get(grant=grant)
        live = row.status == WatchStatus.ACTIVE and row.channel_id
        if live and row.expires_at and row.expires_at - timezone.now() > RENEW_BEFORE:
            return row
        calendar = services.calendar_for(grant)
        old = (row.channel_id, row.resource_id) if live else None
        channel_id = secrets.token_hex(16)
        token = secrets.token_urlsafe(32)
        answer = calendar.request(
            "POST",
            event_path() + "/watch",
            body={
                "id": channel_id,
                "type": "web_hook",
                "address": services.notification_url(),
                "token": token,
                "expiration": _ms(timezone.now() + CHANNEL_TTL),
            },
        )
        row.channel_id = str(answer.get("id") or channel_id)
        row.resource_id = str(answer.get("resourceId") or "")
        row.token_hash = _hash(token)
        row.status = WatchStatus.ACTIVE
        row.expires_at = _from_ms(answer.get("expiration")) or timezone.now() + CHANNEL_TTL
        row.last_error = ""
        row.save()
        if old:
            _stop_channel(calendar, *old)
    # The channel is saved before the first full sync: a sync that fails (quota, 5xx) must not roll back
    # the record of a channel Google has opened. Without a sync token the next notification syncs fully.
    logger.info("google: watch channel for a host of company %s opened", grant.company_id)
    if not row.sync_token:
        _first_sync(row, calendar)
    return row


def _first_sync(row: GoogleWatch, calendar: Any) -> None:
    try:
        token = _full_sync(calendar)
    except GoogleError as exc:
        logger.warning(
            "google: first full sync failed (%s); the next notification retries it", type(exc).__name__
        )
        return
    GoogleWatch.objects.filter(pk=row.pk, channel_id=row.channel_id, sync_token="").update(
        sync_token=token, synced_at=timezone.now(), updated_at=timezone.now()
    )
    row.sync_token = token


def _stop_channel(calendar: Any, channel_id: str, resource_id: str) -> None:
    try:
        calendar.request("POST", "/channels/stop", body={"id": channel_id, "resourceId": resource_id})
    except GoogleError as exc:
        logger.warning("google: channel stop failed (%s)", type(exc).__name__)


def stop_watch(*, grant: GoogleGrant) -> None:
    """Best effort: stop the host's channel at Google and forget it (the sync token goes with it)."""
    row = GoogleWatch.objects.filter(grant=grant).first()
    if row is None:
        return
    if row.status == WatchStatus.ACTIVE and row.channel_id and grant.status == GrantStatus.LINKED:
        try:
            _stop_channel(services.calendar_for(grant), row.channel_id, row.resource_id)
        except GoogleError as exc:
            logger.warning("google: channel stop failed (%s)", type(exc).__name__)
    GoogleWatch.objects.filter(pk=row.pk).update(
        status=WatchStatus.STOPPED, channel_id="", token_hash="", sync_token="", expires_at=None
    )


def stop_company_watches(*, company_id: int) -> None:
    for grant in GoogleGrant.objects.filter(company_id=company_id, watch__status=WatchStatus.ACTIVE):
        stop_watch(grant=grant)


# ---------------------------------------------------------------------------------------------------------
# Receiving
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Received:
    accepted: bool
    state: str = ""
    watch_id: int | None = None


def receive(*, channel_id: str, token: str, state: str) -> Received:
    """Check the channel id and token (never logged); on ``exists`` enqueue the host's sync."""
    row = (
        GoogleWatch.objects.filter(channel_id=channel_id, status=WatchStatus.ACTIVE)
        .exclude(channel_id="")
        .first()
        if channel_id
        else None
    )
    if row is None or not row.token_hash or not hmac.compare_digest(row.token_hash, _hash(token)):
        logger.warning("google: push message ignored: unknown channel or token mismatch")
        return Received(accepted=False)
    if state == "exists":
        from google_meet import tasks

        watch_id = row.pk
        transaction.on_commit(lambda: tasks.sync_calendar.delay(watch_id))
    return Received(accepted=True, state=state, watch_id=row.pk)


# ---------------------------------------------------------------------------------------------------------
# Sync
# ---------------------------------------------------------------------------------------------------------


def _full_sync(calendar: Any, *, on_event: Any = None) -> str:
    """List every event (cancelled ones too); return the final nextSyncToken."""
    token = ""
    for page in calendar.pages(event_path(), params={"showDeleted": "true", "maxResults": "250"}):
        for event in page.get("items") or []:
            if on_event is not None:
                on_event(event)
        token = str(page.get("nextSyncToken") or token)
    return token


def is_ours(event: dict[str, Any]) -> bool:
    private = (event.get("extendedProperties") or {}).get("private") or {}
    if isinstance(private, dict) and private.get(PRIVATE_PROPERTY):
        return True
    return bool(OUR_EVENT_ID.match(str(event.get("id") or "")))


def sync_watch(*, watch_id: int) -> int:
    """The incremental list since the stored sync token (a 410 lists everything again); each changed event
    of ours is announced with ``meeting_changed`` inside this transaction, and the next sync token is stored
    only when every receiver succeeded. Returns how many changes were announced."""
    announced = 0
    with transaction.atomic():
        row = (
            GoogleWatch.objects.select_for_update()
            .select_related("grant__company")
            .filter(pk=watch_id)
            .first()
        )
        if row is None or row.status != WatchStatus.ACTIVE or row.grant.status != GrantStatus.LINKED:
            return 0
        company = row.grant.company
        calendar = services.calendar_for(row.grant)

        def announce(event: dict[str, Any]) -> None:
            nonlocal announced
            if not is_ours(event):
                return
            from google_meet.provider import event_times  # provider imports this module

            if event.get("status") == "cancelled":
                change, start, duration = "deleted", None, None
            else:
                change = "updated"
                start, duration = event_times(event)
            signals.meeting_changed.send(
                sender=GoogleWatch,
                company=company,
                provider=services.PROVIDER_KEY,
                meeting_id=str(event["id"]),
                change=change,
                start=start,
                duration_minutes=duration,
                changed_at=_parse_updated(event.get("updated")),
            )
            announced += 1

        token = ""
        if row.sync_token:
            try:
                for page in calendar.pages(event_path(), params={"syncToken": row.sync_token}):
                    for event in page.get("items") or []:
                        announce(event)
                    token = str(page.get("nextSyncToken") or token)
            except GoogleSyncTokenExpired:
                logger.info("google: sync token of company %s expired; full sync", company.pk)
                token = _full_sync(calendar, on_event=announce)
        else:
            token = _full_sync(calendar)
        row.sync_token = token
        row.synced_at = timezone.now()
        row.save(update_fields=["sync_token", "synced_at", "updated_at"])
    return announced


def _parse_updated(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
