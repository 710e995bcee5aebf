"""Celery tasks of the Teams link: ids in, re-fetch, return early when done, safe to run twice."""

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
from teams_integration import changes, services
from teams_integration.client import TeamsError, TeamsTemporaryError
from teams_integration.models import (
    ConnectionStatus,
    GraphNotification,
    GraphSubscription,
    SubscriptionStatus,
    TeamsConnection,
)

logger = logging.getLogger(__name__)

NOTIFICATION_MAX_ATTEMPTS = 10


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def mail_reauthorization_required(connection_id: int) -> int:
    """Tell the company's admins that Teams needs 認可開始 again (only while the link is still in error)."""
    connection = (
        TeamsConnection.objects.select_related("company")
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
        "url": f"{settings.SITE_URL.rstrip('/')}{reverse('teams_integration:teams')}",
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("teams_integration/mail/reauthorization_required_subject.txt", context)
        body = render_to_string("teams_integration/mail/reauthorization_required.txt", context)
    send_mail(" ".join(subject.split()), body, None, recipients)
    return len(recipients)


@shared_task(
    autoretry_for=(TeamsTemporaryError, OperationalError), retry_backoff=60, retry_jitter=True, max_retries=3
)
def sync_connection_users(connection_id: int) -> None:
    """Resync one linked connection's tenant users (periodic)."""
    connection = (
        TeamsConnection.objects.select_related("company")
        .filter(pk=connection_id, status=ConnectionStatus.LINKED, company__teams_enabled=True)
        .first()
    )
    if connection is None or not services.teams_configured():
        return
    try:
        services.sync_teams_users(connection=connection)
    except TeamsTemporaryError:
        raise
    except TeamsError as exc:
        logger.warning(
            "teams: user sync of company %s stopped: %s", connection.company_id, type(exc).__name__
        )


@shared_task
def resync_all_teams_users() -> int:
    """Beat: enqueue a user resync for every linked company; returns how many were enqueued."""
    if not services.teams_configured():
        return 0
    ids = list(
        TeamsConnection.objects.filter(
            status=ConnectionStatus.LINKED, company__teams_enabled=True
        ).values_list("pk", flat=True)
    )
    for connection_id in ids:
        sync_connection_users.delay(connection_id)
    return len(ids)


@shared_task(ignore_result=True)
def ensure_subscription(company_id: int, host_id: str) -> bool:
    """Create or renew the host's subscription. A failure is recorded on the row; the beat task retries."""
    connection = TeamsConnection.objects.filter(
        company_id=company_id, status=ConnectionStatus.LINKED, company__teams_enabled=True
    ).first()
    if connection is None or not services.teams_configured():
        return False
    try:
        changes.subscribe_host(connection=connection, host_id=host_id)
    except TeamsError as exc:
        logger.warning("teams: subscription for company %s failed: %s", company_id, type(exc).__name__)
        GraphSubscription.objects.filter(company_id=company_id, host_id=host_id).update(
            last_error=exc.message[:255]
        )
        return False
    return True


@shared_task
def renew_due_subscriptions() -> int:
    """Beat: renew subscriptions expiring within a day, and retry the ones that failed or were removed
    while the link works. Returns how many were enqueued."""
    soon = timezone.now() + changes.RENEW_BEFORE
    due = list(
        GraphSubscription.objects.filter(
            company__teams_connection__status=ConnectionStatus.LINKED, company__teams_enabled=True
        )
        .filter(
            Q(status=SubscriptionStatus.ACTIVE, expires_at__lt=soon)
            | Q(status=SubscriptionStatus.REMOVED)
            | Q(subscription_id="")
        )
        .values_list("company_id", "host_id")
    )
    for company_id, host_id in due:
        ensure_subscription.delay(company_id, host_id)
    return len(due)


@shared_task(acks_late=True, ignore_result=True)
def process_notification(notification_id: int) -> None:
    """Handle one stored notification once (row lock + processed_at). When handling fails nothing of it is
    kept, the error is recorded and ``process_pending_notifications`` tries it again later."""
    try:
        with transaction.atomic():
            notification = GraphNotification.objects.select_for_update().filter(pk=notification_id).first()
            if notification is None or notification.processed_at is not None:
                return
            notification.result = changes.handle(notification)[:255]
            notification.processed_at = timezone.now()
            notification.save(update_fields=["result", "processed_at"])
    except Exception as exc:
        logger.exception("teams notification %s: handling failed; it stays unprocessed", notification_id)
        GraphNotification.objects.filter(pk=notification_id, processed_at__isnull=True).update(
            attempts=F("attempts") + 1,
            last_attempt_at=timezone.now(),
            last_error=f"{type(exc).__name__}"[:255],
        )


@shared_task(ignore_result=True)
def process_pending_notifications(*, limit: int = 200) -> int:
    """Beat: enqueue notifications still unprocessed a minute after they came (lost task or failure),
    waiting 2^attempts minutes after each failure, up to NOTIFICATION_MAX_ATTEMPTS."""
    now = timezone.now()
    waited = Q(attempts=0) | Q(last_attempt_at__isnull=True)
    for attempts in range(1, NOTIFICATION_MAX_ATTEMPTS):
        waited |= Q(
            attempts=attempts, last_attempt_at__lte=now - timedelta(minutes=min(60, 2 ** (attempts - 1)))
        )
    due = list(
        GraphNotification.objects.filter(
            waited,
            processed_at__isnull=True,
            attempts__lt=NOTIFICATION_MAX_ATTEMPTS,
            received_at__lt=now - timedelta(minutes=1),
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in due:
        process_notification.delay(notification_id)
    return len(due)
