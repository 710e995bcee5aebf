"""Writes of Google Meet: the company switch (利用開始 / 連携解除), each host's Google account grant (connect,
access token refresh under a row lock, errors, disconnect). Each service owns its transaction; mail and
signals run after commit.

Used by the provider: ``usable_link(company)`` (the company's GoogleMeetLink, or GoogleNotLinked) and
``calendar_for(grant)``.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, User
from google_meet import client
from google_meet.client import (
    GoogleError,
    GoogleNotLinked,
    GoogleReauthorizationRequired,
    GoogleTemporaryError,
)
from google_meet.models import ConnectionStatus, GoogleGrant, GoogleMeetLink, GrantStatus
from web_meetings import signals
from web_meetings.crypto import TokenDecryptionError, decrypt_token, encrypt_token

logger = logging.getLogger(__name__)

PROVIDER_KEY = "google"
REFRESH_MARGIN = timedelta(minutes=5)


class AuthorizationFailed(Exception):
    """A connect step could not complete; ``message`` is the Japanese text the user sees."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def google_configured() -> bool:
    return bool(settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET)


def _absolute(name: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse(name)}"


def redirect_uri() -> str:
    """<SITE_URL>/web-interview/google/callback/ (registered in the Google OAuth client)."""
    return _absolute("google_meet:callback")


def notification_url() -> str:
    return _absolute("google_notifications:notifications")


# ---------------------------------------------------------------------------------------------------------
# The company switch
# ---------------------------------------------------------------------------------------------------------


def usable_link(company: Company) -> GoogleMeetLink:
    """The company's 連携中 link, or GoogleNotLinked saying why (no HTTP call)."""
    if not company.google_enabled:
        raise GoogleNotLinked(_("この企業ではGoogle Meet連携を利用していません（未利用）。"))
    if not google_configured():
        raise GoogleNotLinked(_("Google Meet連携が設定されていません（GOOGLE_CLIENT_ID）。"))
    link = GoogleMeetLink.objects.filter(company=company).first()
    if link is None or link.status == ConnectionStatus.AWAITING:
        raise GoogleNotLinked(_("Google Meetの利用が開始されていません（認可待ち）。"))
    if link.status == ConnectionStatus.RELEASED:
        raise GoogleNotLinked(_("Google Meet連携は解除されています。"))
    return link


def enable_link(*, company: Company, actor: User, request: HttpRequest | None = None) -> GoogleMeetLink:
    """利用開始: the company's Google Meet becomes 連携中 (hosts connect their own accounts)."""
    if not company.google_enabled or not google_configured():
        raise AuthorizationFailed(_("この企業ではGoogle Meet連携を利用できません。"))
    with transaction.atomic():
        link, _created = GoogleMeetLink.objects.select_for_update().get_or_create(company=company)
        if link.status != ConnectionStatus.LINKED:
            link.status = ConnectionStatus.LINKED
            link.enabled_by = actor
            link.linked_at = timezone.now()
            link.released_at = None
            link.save()
            record_audit(action="google.enabled", actor=actor, company=company, target=link, request=request)
            transaction.on_commit(lambda: _after_enable(company.pk))
    return link


def unlink(*, company: Company, actor: User, request: HttpRequest | None = None) -> GoogleMeetLink:
    """連携解除: Google Meet off for the company; every watch channel is stopped (best effort). The hosts'
    grants are kept (a 利用開始 later needs no new consent); each host may disconnect their own."""
    link = GoogleMeetLink.objects.filter(company=company).first()
    if link is None or link.status != ConnectionStatus.LINKED:
        raise GoogleNotLinked(_("Google Meetは連携されていません。"))
    from google_meet import changes  # changes imports this module

    changes.stop_company_watches(company_id=company.pk)
    with transaction.atomic():
        locked = GoogleMeetLink.objects.select_for_update().get(pk=link.pk)
        if locked.status == ConnectionStatus.LINKED:
            locked.status = ConnectionStatus.RELEASED
            locked.released_at = timezone.now()
            locked.save(update_fields=["status", "released_at", "updated_at"])
            record_audit(
                action="google.unlinked", actor=actor, company=company, target=locked, request=request
            )
    return locked


def _after_enable(company_id: int) -> None:
    from google_meet import tasks

    tasks.renew_due_watches.delay()  # hosts connected before a 連携解除 get their channels back
    _announce_link_usable(company_id)


def _announce_link_usable(company_id: int) -> None:
    company = Company.objects.get(pk=company_id)
    signals.link_usable.send_logged(GoogleMeetLink, company=company, provider=PROVIDER_KEY)


# ---------------------------------------------------------------------------------------------------------
# A host's grant
# ---------------------------------------------------------------------------------------------------------


def complete_connect(
    *, user: User, code: str, code_verifier: str, request: HttpRequest | None = None
) -> GoogleGrant:
    """Exchange the code (PKCE) and store the user's grant (連携中). Fails without changing anything."""
    company = user.company
    if company is None:
        raise AuthorizationFailed(_("この企業ではGoogle Meet連携を利用できません。"))
    try:
        usable_link(company)
    except GoogleError as exc:
        raise AuthorizationFailed(exc.message) from None
    try:
        tokens = client.exchange_code(code=code, redirect_uri=redirect_uri(), code_verifier=code_verifier)
    except GoogleTemporaryError:
        raise AuthorizationFailed(
            _("Googleに接続できませんでした。時間をおいて、もう一度お試しください。")
        ) from None
    except GoogleError:
        raise AuthorizationFailed(
            _(
                "Googleが認可コードを受け付けませんでした。もう一度「Googleアカウントを連携」からお試しください。"
            )
        ) from None
    if (
        client.CALENDAR_SCOPE not in tokens.scope.split()
        and "https://www.googleapis.com/auth/calendar" not in (tokens.scope.split())
    ):
        raise AuthorizationFailed(
            _("Googleカレンダーへのアクセスが許可されませんでした。すべての項目を許可してください。")
        )
    if not tokens.refresh_token:
        raise AuthorizationFailed(
            _("Googleからリフレッシュトークンが返されませんでした。もう一度お試しください。")
        )
    with transaction.atomic():
        grant, _created = GoogleGrant.objects.select_for_update().get_or_create(
            company=company, user=user, defaults={"status": GrantStatus.LINKED}
        )
        previous_sub = grant.google_sub
        grant.status = GrantStatus.LINKED
        grant.google_email = tokens.email[:254]
        grant.google_sub = tokens.sub[:255]
        grant.scope = tokens.scope
        grant.refresh_token_encrypted = encrypt_token(tokens.refresh_token)
        grant.access_token_encrypted = encrypt_token(tokens.access_token)
        grant.expires_at = tokens.expires_at
        grant.linked_at = timezone.now()
        grant.last_error = ""
        grant.last_error_at = None
        grant.save()
        from google_meet.models import GoogleWatch

        if previous_sub and previous_sub != grant.google_sub:
            # Another Google account: the old calendar's channel and sync token mean nothing any more.
            GoogleWatch.objects.filter(grant=grant).delete()
        else:
            # A revoked grant took its channels with it at Google: open a new one (the old is stopped).
            GoogleWatch.objects.filter(grant=grant).update(expires_at=None)
        record_audit(
            action="google.grant_linked",
            actor=user,
            company=company,
            target=grant,
            target_label=grant.google_email,
            request=request,
        )
        grant_id = grant.pk
        transaction.on_commit(lambda: _after_connect(company.pk, grant_id))
    logger.info("google: a user of company %s connected a Google account", company.pk)
    return grant


def _after_connect(company_id: int, grant_id: int) -> None:
    from google_meet import tasks

    tasks.ensure_watch.delay(grant_id)
    _announce_link_usable(company_id)


def disconnect(*, grant: GoogleGrant, actor: User, request: HttpRequest | None = None) -> None:
    """The host disconnects their Google account: channel stopped, grant revoked at Google (best effort),
    tokens forgotten (the row stays: the host id is kept for a later reconnect)."""
    from google_meet import changes

    changes.stop_watch(grant=grant)
    refresh_token = _decrypt(grant.refresh_token_encrypted)
    if refresh_token:
        client.revoke(refresh_token)
    with transaction.atomic():
        locked = GoogleGrant.objects.select_for_update().get(pk=grant.pk)
        locked.status = GrantStatus.RELEASED
        locked.clear_tokens()
        locked.save(update_fields=["status", *GoogleGrant.TOKEN_FIELDS, "updated_at"])
        record_audit(
            action="google.grant_released",
            actor=actor,
            company=locked.company,
            target=locked,
            target_label=locked.google_email,
            request=request,
        )


def _decrypt(value: str) -> str:
    try:
        return decrypt_token(value)
    except TokenDecryptionError:
        logger.error("google: a stored token cannot be decrypted (TOKEN_ENCRYPTION_KEYS)")
        return ""


def _expiring(grant: GoogleGrant) -> bool:
    return grant.expires_at is None or grant.expires_at - timezone.now() <= REFRESH_MARGIN


_process_locks: dict[int, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(grant_id: int) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(grant_id, threading.Lock())


def _copy_token_state(source: GoogleGrant, target: GoogleGrant) -> None:
    for name in ("status", *GoogleGrant.TOKEN_FIELDS, "last_error", "last_error_at"):
        setattr(target, name, getattr(source, name))


def _not_usable(grant: GoogleGrant) -> GoogleError:
    if grant.status == GrantStatus.ERROR:
        return GoogleReauthorizationRequired(grant.last_error or host_reauthorization_message(grant))
    return GoogleNotLinked(_("ホストのGoogleアカウントが連携されていません。"))


def host_reauthorization_message(grant: GoogleGrant) -> str:
    return _(
        "ホストのGoogleアカウントの再連携が必要です（%(email)s）。"
        "ホストが「Googleアカウントを連携」からもう一度連携してください。"
    ) % {"email": grant.google_email or "-"}


def get_access_token(grant: GoogleGrant, *, rejected_token: str | None = None) -> str:
    """A usable access token; refreshed only when the stored one expires within 5 minutes (or Google
    rejected it). Refreshes are serialized per grant by a row lock (and an in-process lock where the
    database has none), so concurrent workers make one refresh."""
    if grant.status != GrantStatus.LINKED:
        raise _not_usable(grant)
    if rejected_token is None and not _expiring(grant):
        current = _decrypt(grant.access_token_encrypted)
        if current:
            return current
    failure: GoogleReauthorizationRequired | None = None
    access = ""
    with _process_lock(grant.pk), transaction.atomic():
        locked = GoogleGrant.objects.select_for_update().select_related("company").get(pk=grant.pk)
        _copy_token_state(locked, grant)
        if locked.status != GrantStatus.LINKED:
            raise _not_usable(locked)
        current = _decrypt(locked.access_token_encrypted)
        if current and not _expiring(locked) and (rejected_token is None or current != rejected_token):
            return current
        refresh_token = _decrypt(locked.refresh_token_encrypted)
        try:
            if not refresh_token:
                raise GoogleReauthorizationRequired(host_reauthorization_message(locked))
            tokens = client.refresh(refresh_token=refresh_token)
        except GoogleReauthorizationRequired as exc:
            _set_error(locked, reason=host_reauthorization_message(locked), cause=exc.reason or "refresh")
            failure = exc
        else:
            locked.access_token_encrypted = encrypt_token(tokens.access_token)
            locked.expires_at = tokens.expires_at
            if tokens.refresh_token:
                locked.refresh_token_encrypted = encrypt_token(tokens.refresh_token)
            locked.save(update_fields=[*GoogleGrant.TOKEN_FIELDS, "updated_at"])
            access = tokens.access_token
        _copy_token_state(locked, grant)
    if failure is not None:
        raise GoogleReauthorizationRequired(host_reauthorization_message(grant), status=failure.status)
    return access


def _set_error(grant: GoogleGrant, *, reason: str, cause: str) -> None:
    """On a locked, linked grant: status error, tokens cleared, audit, the host and admins mailed once
    after commit."""
    grant.status = GrantStatus.ERROR
    grant.clear_tokens()
    grant.last_error = reason
    grant.last_error_at = timezone.now()
    grant.save(
        update_fields=["status", *GoogleGrant.TOKEN_FIELDS, "last_error", "last_error_at", "updated_at"]
    )
    record_audit(
        action="google.reauthorization_required",
        company=grant.company,
        target=grant,
        target_label=grant.google_email,
        details={"cause": cause[:100]},
    )
    logger.warning(
        "google: grant %s of company %s needs re-authorization (%s)", grant.pk, grant.company_id, cause
    )
    from google_meet import tasks  # tasks import this module

    grant_id = grant.pk
    transaction.on_commit(lambda: tasks.mail_reauthorization_required.delay(grant_id))


def mark_reauthorization_required(*, grant: GoogleGrant, reason: str, cause: str) -> None:
    """Put a linked grant in エラー（再認可が必要）; a no-op when it already left 連携中 (one mail)."""
    with transaction.atomic():
        locked = GoogleGrant.objects.select_for_update().select_related("company").get(pk=grant.pk)
        if locked.status == GrantStatus.LINKED:
            _set_error(locked, reason=reason, cause=cause)
        _copy_token_state(locked, grant)


def calendar_for(grant: GoogleGrant) -> client.Calendar:
    """Calendar API with the grant's token; a 401 after a refresh or missing permission → エラー."""

    def on_reauthorization(exc: GoogleReauthorizationRequired) -> None:
        mark_reauthorization_required(
            grant=grant,
            reason=host_reauthorization_message(grant),
            cause=f"calendar_{exc.status}_{exc.reason}",
        )

    return client.Calendar(
        lambda rejected: get_access_token(grant, rejected_token=rejected),
        on_reauthorization=on_reauthorization,
    )
