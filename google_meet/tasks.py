"""Celery tasks of Google Meet: ids in, re-fetch, return early when done, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role, User
from google_meet import changes, services
from google_meet.client import GoogleError, GoogleTemporaryError
from google_meet.models import ConnectionStatus, GoogleGrant, GoogleWatch, GrantStatus, WatchStatus

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def mail_reauthorization_required(grant_id: int) -> int:
    """Tell the host and the company's admins that the host's Google account must be connected again
    (only while the grant is still in error)."""
    grant = (
        GoogleGrant.objects.select_related("company", "user")
        .filter(pk=grant_id, status=GrantStatus.ERROR)
        .first()
    )
    if grant is None:
        return 0
    recipients = {grant.user.email} if grant.user.is_active else set()
    recipients |= set(
        User.objects.filter(company=grant.company, role=Role.ADMIN, is_active=True).values_list(
            "email", flat=True
        )
    )
    if not recipients:
        return 0
    site = settings.SITE_URL.rstrip("/")
    context = {
        "company": grant.company,
        "grant": grant,
        "host_name": grant.user.display_name,
        "connect_url": f"{site}{reverse('google_meet:connect')}",
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("google_meet/mail/reauthorization_required_subject.txt", context)
        body = render_to_string("google_meet/mail/reauthorization_required.txt", context)
    send_mail(" ".join(subject.split()), body, None, sorted(recipients))
    return len(recipients)


def _watchable(grant_id: int) -> GoogleGrant | None:
    return (
        GoogleGrant.objects.select_related("company")
        .filter(
            pk=grant_id,
            status=GrantStatus.LINKED,
            company__google_enabled=True,
            company__google_meet_link__status=ConnectionStatus.LINKED,
        )
        .first()
    )


@shared_task(ignore_result=True)
def ensure_watch(grant_id: int) -> bool:
    """Open or renew the host's channel. A failure is recorded on the row; the beat task retries."""
    grant = _watchable(grant_id)
    if grant is None or not services.google_configured():
        return False
    try:
        changes.watch_host(grant=grant)
    except GoogleError as exc:
        logger.warning("google: watch for company %s failed: %s", grant.company_id, type(exc).__name__)
        GoogleWatch.objects.filter(grant_id=grant_id).update(last_error=exc.message[:255])
        return False
    return True


@shared_task
def renew_due_watches() -> int:
    """Beat: renew channels expiring within a day, and retry the ones never opened or that failed, for the
    usable grants of companies using Google Meet. Returns how many were enqueued."""
    soon = timezone.now() + changes.RENEW_BEFORE
    grants = GoogleGrant.objects.filter(
        status=GrantStatus.LINKED,
        company__google_enabled=True,
        company__google_meet_link__status=ConnectionStatus.LINKED,
    ).filter(
        Q(watch__isnull=True)
        | Q(watch__status=WatchStatus.STOPPED)
        | Q(watch__expires_at__lt=soon)
        | Q(watch__expires_at__isnull=True)
    )
    due = list(grants.values_list("pk", flat=True))
    for grant_id in due:
        ensure_watch.delay(grant_id)
    return len(due)


@shared_task(
    autoretry_for=(GoogleTemporaryError, OperationalError), retry_backoff=30, retry_jitter=True, max_retries=5
)
def sync_calendar(watch_id: int) -> int:
    """A push message said the host's calendar changed: list the changes and announce ours."""
    try:
        return changes.sync_watch(watch_id=watch_id)
    except GoogleTemporaryError:
        raise
    except GoogleError as exc:
        logger.warning("google: sync of watch %s stopped: %s", watch_id, type(exc).__name__)
        GoogleWatch.objects.filter(pk=watch_id).update(last_error=exc.message[:255])
        return 0
