"""Celery tasks of the Zoom link: ids in, re-fetch, return early when done, safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role, User
from zoom_integration import services, webhooks
from zoom_integration.client import ZoomError, ZoomTemporaryError
from zoom_integration.models import ConnectionStatus, WebhookEvent, ZoomConnection

logger = logging.getLogger(__name__)

WEBHOOK_EVENT_RETENTION = timedelta(days=30)


@shared_task(acks_late=True, ignore_result=True)
def handle_webhook_event(event_id: int) -> None:
    """Handle one stored webhook delivery once (row lock + processed_at).

    When handling fails, nothing of it is kept (one transaction), the delivery stays unprocessed with the
    error recorded, and ``retry_unprocessed_webhook_events`` tries it again later.
    """
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
            if event is None or event.processed_at is not None:
                return
            event.result = webhooks.handle_event(event)[:255]
            event.processed_at = timezone.now()
            event.save(update_fields=["result", "processed_at"])
    except Exception as exc:
        logger.exception("zoom webhook %s: handling failed; it stays unprocessed and is retried", event_id)
        WebhookEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(
            attempts=F("attempts") + 1,
            last_attempt_at=timezone.now(),
            last_error=f"{type(exc).__name__}: {exc}"[:255],
        )
        return
    logger.info("zoom webhook: %s handled: %s", event.event, event.result)


def webhook_retry_delay(attempts: int) -> timedelta:
    """How long a delivery whose handling failed ``attempts`` times waits: 1, 2, 4 … up to 60 minutes."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


@shared_task(ignore_result=True)
def retry_unprocessed_webhook_events(*, limit: int = 200) -> int:
    """Beat: enqueue deliveries still unprocessed (failed, or their task was lost) once their wait is over.
    Returns how many were enqueued."""
    now = timezone.now()
    max_attempts = settings.ZOOM_WEBHOOK_MAX_ATTEMPTS
    # Never tried (the task was lost), or its wait after the last failure is over: one OR term per count.
    waited = Q(attempts=0) | Q(last_attempt_at__isnull=True)
    for attempts in range(1, max_attempts):
        waited |= Q(attempts=attempts, last_attempt_at__lte=now - webhook_retry_delay(attempts))
    due = list(
        WebhookEvent.objects.filter(
            waited,
            processed_at__isnull=True,
            attempts__lt=max_attempts,
            received_at__lt=now - timedelta(minutes=1),
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in due:
        handle_webhook_event.delay(event_id)
    return len(due)


@shared_task(
    autoretry_for=(ZoomTemporaryError, OperationalError),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=3,
)
def sync_connection_users(connection_id: int) -> None:
    """Resync one linked connection's Zoom users (periodic)."""
    connection = (
        ZoomConnection.objects.select_related("company")
        .filter(pk=connection_id, status=ConnectionStatus.LINKED, company__zoom_enabled=True)
        .first()
    )
    if connection is None or not services.zoom_configured():
        return
    try:
        services.sync_zoom_users(connection=connection)
    except ZoomTemporaryError:
        raise
    except ZoomError as exc:
        # Re-authorization needed (already marked and mailed), unlinked meanwhile, or a permanent refusal.
        logger.warning("zoom: user sync of company %s stopped: %s", connection.company_id, type(exc).__name__)


@shared_task
def resync_all_zoom_users() -> int:
    """Beat: enqueue a user resync for every linked company; returns how many were enqueued."""
    if not services.zoom_configured():
        return 0
    ids = list(
        ZoomConnection.objects.filter(status=ConnectionStatus.LINKED, company__zoom_enabled=True).values_list(
            "pk", flat=True
        )
    )
    for connection_id in ids:
        sync_connection_users.delay(connection_id)
    return len(ids)


@shared_task
def purge_old_webhook_events() -> int:
    """Beat: forget handled deliveries older than 30 days (Zoom stops retrying after hours)."""
    cutoff = timezone.now() - WEBHOOK_EVENT_RETENTION
    deleted, _by_model = WebhookEvent.objects.filter(processed_at__lt=cutoff).delete()
    return deleted


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def mail_reauthorization_required(connection_id: int) -> int:
    """Tell the company's admins that Zoom needs 認可開始 again (only while the link is still in error)."""
    connection = (
        ZoomConnection.objects.select_related("company")
        .filter(pk=connection_id, status=ConnectionStatus.ERROR)
        .first()
    )
    if connection is None:
        return 0
    recipients = list(
        User.objects.filter(company=connection.company, role=Role.ADMIN, is_active=True).values_list(
            "email", flat=True
        )
    )
    if not recipients:
        return 0
    context = {
        "company": connection.company,
        "connection": connection,
        "url": f"{settings.SITE_URL.rstrip('/')}{reverse('zoom_integration:zoom')}",
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("zoom_integration/mail/reauthorization_required_subject.txt", context)
        body = render_to_string("zoom_integration/mail/reauthorization_required.txt", context)
    send_mail(" ".join(subject.split()), body, None, recipients)
    return len(recipients)
