"""Writes of the Zoom link: link (callback), tokens (refresh under a row lock), errors, unlink,
deauthorization, Zoom user sync. Each service owns its transaction; mail and hooks run after commit.

Used by scheduling: ``usable_connection(company)`` (a ZoomConnection, or client.ZoomNotLinked with a Japanese
reason) and ``sync_zoom_users``. A (re)link is announced with ``web_meetings.signals.link_usable`` after
commit.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, User
from web_meetings import signals
from web_meetings.crypto import TokenDecryptionError, decrypt_token, encrypt_token
from zoom_integration import client
from zoom_integration.client import (
    TokenSet,
    ZoomError,
    ZoomNotLinked,
    ZoomPermanentError,
    ZoomReauthorizationRequired,
    ZoomTemporaryError,
)
from zoom_integration.models import ConnectionStatus, ZoomConnection, ZoomUser

logger = logging.getLogger(__name__)

# Refresh only when the access token expires within this margin (refreshing on every call is against
# Zoom's review rules, and every refresh rotates the refresh token).
REFRESH_MARGIN = timedelta(minutes=5)
# Zoom user statuses listed by a sync (GET /users?status=...): pending and inactive too, so the list shows
# every user with their state; only active ones can host.
SYNCED_USER_STATUSES = ("active", "pending", "inactive")
# The scopes the product needs, each satisfied by its granular or its classic name.
REQUIRED_SCOPES: dict[str, tuple[str, ...]] = {
    "meeting:write:meeting:admin": ("meeting:write:meeting:admin", "meeting:write:admin"),
    "meeting:update:meeting:admin": ("meeting:update:meeting:admin", "meeting:write:admin"),
    "meeting:delete:meeting:admin": ("meeting:delete:meeting:admin", "meeting:write:admin"),
    "meeting:read:meeting:admin": ("meeting:read:meeting:admin", "meeting:read:admin"),
    "meeting:read:list_meetings:admin": ("meeting:read:list_meetings:admin", "meeting:read:admin"),
    "user:read:list_users:admin": ("user:read:list_users:admin", "user:read:admin"),
    "user:read:user:admin": ("user:read:user:admin", "user:read:admin"),
}


class AuthorizationFailed(Exception):
    """The OAuth callback could not link; ``message`` is the Japanese text the admin sees."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------------------------
# Configuration and state
# ---------------------------------------------------------------------------------------------------------


def zoom_configured() -> bool:
    """Whether the operator configured the Zoom app (client id and secret)."""
    return bool(settings.ZOOM_CLIENT_ID and settings.ZOOM_CLIENT_SECRET)


def redirect_uri() -> str:
    """The OAuth redirect URI registered in the Zoom app: <SITE_URL>/web-interview/zoom/callback/."""
    return f"{settings.SITE_URL.rstrip('/')}{reverse('zoom_integration:callback')}"


def missing_scopes(scopes: str) -> list[str]:
    """Needed scopes that ``scopes`` (space-separated, granular or classic names) does not grant."""
    granted = set(scopes.split())
    return [name for name, accepted in REQUIRED_SCOPES.items() if not granted.intersection(accepted)]


def usable_connection(company: Company) -> ZoomConnection:
    """The company's linked connection, or ZoomNotLinked saying why there is none (no HTTP call)."""
    if not company.zoom_enabled:
        raise ZoomNotLinked(_("この企業ではZoom連携を利用していません（未利用）。"))
    if not zoom_configured():
        raise ZoomNotLinked(_("Zoom連携が設定されていません（ZOOM_CLIENT_ID）。"))
    # [:1] without ORDER BY (one connection per company): read before every Zoom call of issuance.
    connection = next(iter(ZoomConnection.objects.filter(company=company).order_by()[:1]), None)
    if connection is None or connection.status == ConnectionStatus.AWAITING:
        raise ZoomNotLinked(_("Zoomアカウントが連携されていません（認可待ち）。"))
    if connection.status == ConnectionStatus.ERROR:
        raise ZoomNotLinked(_("Zoom連携でエラーが発生しています。管理者による再認可が必要です。"))
    if connection.status == ConnectionStatus.RELEASED:
        raise ZoomNotLinked(_("Zoom連携は解除されています。"))
    return connection


# ---------------------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------------------


def _expiring(connection: ZoomConnection) -> bool:
    return connection.expires_at is None or connection.expires_at - timezone.now() <= REFRESH_MARGIN


def _copy_token_state(source: ZoomConnection, target: ZoomConnection) -> None:
    for name in (
        "status",
        "access_token_encrypted",
        "refresh_token_encrypted",
        "expires_at",
        "scopes",
        "last_error",
        "last_error_at",
    ):
        setattr(target, name, getattr(source, name))


def _decrypt(value: str) -> str:
    try:
        return decrypt_token(value)
    except TokenDecryptionError:
        logger.error("zoom: a stored token cannot be decrypted; check TOKEN_ENCRYPTION_KEYS")
        raise ZoomPermanentError(
            _("保存されたZoomトークンを復号できません。TOKEN_ENCRYPTION_KEYS の設定を確認してください。")
        ) from None


def get_access_token(connection: ZoomConnection, *, rejected_token: str | None = None) -> str:
    """A usable access token for ``connection``, refreshed only when it expires within 5 minutes.

    ``rejected_token``: Zoom answered 401 to this token; refresh unless another worker already did.
    Refreshes are serialized by a row lock; the rotated pair is saved in the refresh's transaction.
    """
    if connection.status != ConnectionStatus.LINKED:
        raise ZoomNotLinked(_("Zoomアカウントが連携されていません。"))
    if rejected_token is None and not _expiring(connection) and connection.access_token_encrypted:
        return _decrypt(connection.access_token_encrypted)
    failure: ZoomReauthorizationRequired | None = None
    # The row lock serializes refreshes across processes (PostgreSQL); the in-process lock does the same
    # between threads of one process where the database has no row locks (SQLite in the demo).
    with _process_lock(connection.pk), transaction.atomic():
        locked = ZoomConnection.objects.select_for_update().get(pk=connection.pk)
        # Read again after the lock: another worker may have refreshed (or failed) while we waited.
        _copy_token_state(locked, connection)
        if locked.status != ConnectionStatus.LINKED:
            raise _not_usable(locked)
        current = _decrypt(locked.access_token_encrypted)
        if current and not _expiring(locked) and (rejected_token is None or current != rejected_token):
            return current
        try:
            tokens = client.refresh_tokens(refresh_token=_decrypt(locked.refresh_token_encrypted))
        except ZoomReauthorizationRequired as exc:
            _set_error(locked, reason=exc.message, cause="invalid_grant")
            failure = exc
        else:
            _save_tokens(locked, tokens)
        _copy_token_state(locked, connection)
    if failure is not None:
        raise ZoomReauthorizationRequired(failure.message, status=failure.status, code=failure.code)
    return tokens.access_token


_process_locks: dict[int, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(connection_id: int) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(connection_id, threading.Lock())


def _not_usable(connection: ZoomConnection) -> ZoomError:
    if connection.status == ConnectionStatus.ERROR:
        return ZoomReauthorizationRequired(connection.last_error or _("Zoom連携の再認可が必要です。"))
    return ZoomNotLinked(_("Zoomアカウントが連携されていません。"))


def _save_tokens(connection: ZoomConnection, tokens: TokenSet) -> None:
    connection.access_token_encrypted = encrypt_token(tokens.access_token)
    if tokens.refresh_token:
        connection.refresh_token_encrypted = encrypt_token(tokens.refresh_token)
    connection.expires_at = tokens.expires_at
    if tokens.scope:
        connection.scopes = tokens.scope
    connection.save(
        update_fields=[
            "access_token_encrypted",
            "refresh_token_encrypted",
            "expires_at",
            "scopes",
            "updated_at",
        ]
    )


def _set_error(connection: ZoomConnection, *, reason: str, cause: str) -> None:
    """On a locked, linked row: status error, tokens cleared, audit, admins mailed after commit."""
    connection.status = ConnectionStatus.ERROR
    connection.clear_tokens()
    connection.last_error = reason
    connection.last_error_at = timezone.now()
    connection.save(
        update_fields=[
            "status",
            *ZoomConnection.TOKEN_FIELDS,
            "last_error",
            "last_error_at",
            "updated_at",
        ]
    )
    record_audit(
        action="zoom.reauthorization_required",
        company=connection.company,
        target=connection,
        details={"cause": cause, "reason": reason},
    )
    logger.warning("zoom: company %s needs re-authorization (%s)", connection.company_id, cause)
    from zoom_integration import tasks

    transaction.on_commit(lambda: tasks.mail_reauthorization_required.delay(connection.pk))


def mark_reauthorization_required(*, connection: ZoomConnection, reason: str, cause: str) -> None:
    """Put a linked connection in エラー（再認可が必要）; a no-op when it already left 連携中."""
    with transaction.atomic():
        locked = ZoomConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.status == ConnectionStatus.LINKED:
            _set_error(locked, reason=reason, cause=cause)
        _copy_token_state(locked, connection)


# ---------------------------------------------------------------------------------------------------------
# Link (OAuth callback)
# ---------------------------------------------------------------------------------------------------------


@dataclass
class LinkResult:
    connection: ZoomConnection
    sync: SyncResult | None = None
    sync_error: str = ""
    missing_scopes: list[str] = field(default_factory=list)


def complete_authorization(
    *,
    company: Company,
    actor: User,
    code: str,
    code_verifier: str,
    request: HttpRequest | None = None,
) -> LinkResult:
    """Exchange the code, learn the Zoom account (GET /users/me), store the link, fetch the users.

    Any failure before the link is saved raises AuthorizationFailed and changes nothing.
    """
    if not company.zoom_enabled or not zoom_configured():
        raise AuthorizationFailed(_("この企業ではZoom連携を利用できません。"))
    tokens = _exchange(code=code, code_verifier=code_verifier)
    me = _fetch_authorizing_user(tokens)
    account_id = str(me.get("account_id") or "")
    if not account_id:
        raise AuthorizationFailed(_("ZoomアカウントIDを取得できませんでした。もう一度お試しください。"))
    taken = (
        ZoomConnection.objects.filter(
            zoom_account_id=account_id, status__in=[ConnectionStatus.LINKED, ConnectionStatus.ERROR]
        )
        .exclude(company=company)
        .exists()
    )
    if taken:
        raise AuthorizationFailed(_("このZoomアカウントは別の企業と連携中のため、連携できません。"))
    connection = _store_link(company=company, actor=actor, tokens=tokens, me=me, request=request)
    result = LinkResult(connection=connection, missing_scopes=missing_scopes(connection.scopes))
    try:
        result.sync = sync_zoom_users(connection=connection, actor=actor)
    except ZoomError as exc:
        # The link stands; the periodic resync (or the button) fetches the users later.
        result.sync_error = exc.message
    return result


def _exchange(*, code: str, code_verifier: str) -> TokenSet:
    try:
        return client.exchange_code(code=code, redirect_uri=redirect_uri(), code_verifier=code_verifier)
    except ZoomTemporaryError:
        raise AuthorizationFailed(
            _("Zoomに接続できませんでした。時間をおいて、もう一度「認可開始」からお試しください。")
        ) from None
    except ZoomError as exc:
        logger.warning("zoom: authorization code refused (%s)", exc.status)
        raise AuthorizationFailed(
            _("Zoomが認可コードを受け付けませんでした。もう一度「認可開始」からお試しください。")
        ) from None


def _fetch_authorizing_user(tokens: TokenSet) -> dict:
    try:
        return client.get_user_with_token(access_token=tokens.access_token)
    except ZoomReauthorizationRequired as exc:
        raise AuthorizationFailed(
            _("Zoomアカウント情報を取得できませんでした。%(reason)s") % {"reason": exc.message}
        ) from None
    except ZoomError:
        raise AuthorizationFailed(
            _("Zoomアカウント情報を取得できませんでした。時間をおいて、もう一度お試しください。")
        ) from None


def _account_label(me: dict) -> str:
    email = str(me.get("email") or "")
    organisation = str(me.get("company") or "")
    if organisation and email:
        return f"{organisation}（{email}）"
    return organisation or email or str(me.get("account_id") or "")


def _store_link(
    *, company: Company, actor: User, tokens: TokenSet, me: dict, request: HttpRequest | None
) -> ZoomConnection:
    account_id = str(me["account_id"])
    with transaction.atomic():
        connection, _created = ZoomConnection.objects.select_for_update().get_or_create(company=company)
        previous_account = connection.zoom_account_id
        connection.status = ConnectionStatus.LINKED
        connection.zoom_account_id = account_id
        connection.zoom_account_label = _account_label(me)[:255]
        connection.scopes = tokens.scope
        connection.access_token_encrypted = encrypt_token(tokens.access_token)
        connection.refresh_token_encrypted = encrypt_token(tokens.refresh_token)
        connection.expires_at = tokens.expires_at
        connection.linked_by = actor
        connection.linked_at = timezone.now()
        connection.released_at = None
        connection.last_error = ""
        connection.last_error_at = None
        connection.save()
        if previous_account and previous_account != account_id:
            # Another Zoom account: the old account's users are not host candidates any more.
            ZoomUser.objects.filter(company=company).delete()
        record_audit(
            action="zoom.linked",
            actor=actor,
            company=company,
            target=connection,
            target_label=connection.zoom_account_label,
            details={"zoom_account_id": account_id, "scopes": tokens.scope},
            request=request,
        )
        transaction.on_commit(lambda: _announce_link_usable(company.pk))
    logger.info("zoom: company %s linked Zoom account %s", company.pk, account_id)
    return connection


def _announce_link_usable(company_id: int) -> None:
    """Tell the apps above that the link works again (slots that waited for it go on)."""
    company = Company.objects.get(pk=company_id)
    # The link is saved: a failing receiver must not turn it into an error page.
    signals.link_usable.send_logged(ZoomConnection, company=company, provider="zoom")


# ---------------------------------------------------------------------------------------------------------
# Unlink and deauthorization
# ---------------------------------------------------------------------------------------------------------


@dataclass
class UnlinkResult:
    connection: ZoomConnection
    revoked: bool


def unlink_connection(*, company: Company, actor: User, request: HttpRequest | None = None) -> UnlinkResult:
    """連携解除: release the link here (tokens and Zoom users deleted), then revoke the token at Zoom."""
    # [:1] without ORDER BY (one connection per company): read before every Zoom call of issuance.
    connection = next(iter(ZoomConnection.objects.filter(company=company).order_by()[:1]), None)
    if connection is None or connection.status not in (ConnectionStatus.LINKED, ConnectionStatus.ERROR):
        raise ZoomNotLinked(_("Zoomアカウントは連携されていません。"))
    token = ""
    if connection.status == ConnectionStatus.LINKED:
        try:
            token = get_access_token(connection)
        except ZoomError as exc:
            logger.warning(
                "zoom: no usable token to revoke for company %s (%s)", company.pk, type(exc).__name__
            )
    with transaction.atomic():
        locked = ZoomConnection.objects.select_for_update().get(pk=connection.pk)
        released = _release(locked, action="zoom.unlinked", actor=actor, request=request)
    revoked = False
    if token and released:
        # After the release: the app_deauthorized webhook this triggers finds nothing left to do.
        try:
            client.revoke_token(token=token)
            revoked = True
        except ZoomError as exc:
            logger.warning("zoom: revoke failed for company %s (%s)", company.pk, exc.status)
    return UnlinkResult(connection=locked, revoked=revoked)


def deauthorize_account(*, account_id: str, deauthorized_at: datetime | None = None) -> int:
    """app_deauthorized: release every live link to ``account_id``; returns how many were released.

    A deauthorization older than the link (a late webhook for an earlier installation) is ignored.
    """
    released = 0
    candidates = ZoomConnection.objects.filter(
        zoom_account_id=account_id, status__in=[ConnectionStatus.LINKED, ConnectionStatus.ERROR]
    ).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            locked = ZoomConnection.objects.select_for_update().select_related("company").get(pk=pk)
            if deauthorized_at and locked.linked_at and deauthorized_at < locked.linked_at:
                logger.info(
                    "zoom: ignored a deauthorization older than the link of company %s", locked.company_id
                )
                continue
            if _release(locked, action="zoom.deauthorized", actor=None, request=None):
                released += 1
    return released


def _release(
    connection: ZoomConnection, *, action: str, actor: User | None, request: HttpRequest | None
) -> bool:
    """On a locked row: 連携解除, tokens and Zoom user data deleted, audited. False if already released."""
    if connection.status not in (ConnectionStatus.LINKED, ConnectionStatus.ERROR):
        return False
    connection.status = ConnectionStatus.RELEASED
    connection.clear_tokens()
    connection.scopes = ""
    connection.released_at = timezone.now()
    connection.last_error = ""
    connection.last_error_at = None
    connection.users_synced_at = None
    connection.save(
        update_fields=[
            "status",
            *ZoomConnection.TOKEN_FIELDS,
            "scopes",
            "released_at",
            "last_error",
            "last_error_at",
            "users_synced_at",
            "updated_at",
        ]
    )
    deleted, _by_model = ZoomUser.objects.filter(company_id=connection.company_id).delete()
    record_audit(
        action=action,
        actor=actor,
        company=connection.company,
        target=connection,
        target_label=connection.zoom_account_label,
        details={"zoom_account_id": connection.zoom_account_id, "zoom_users_deleted": deleted},
        request=request,
    )
    logger.info("zoom: company %s released (%s)", connection.company_id, action)
    return True


# ---------------------------------------------------------------------------------------------------------
# Zoom users
# ---------------------------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    total: int
    added: int
    left: int


def sync_zoom_users(*, connection: ZoomConnection, actor: User | None = None) -> SyncResult:
    """Every page of GET /users (active, pending, inactive) into ZoomUser; users gone are only marked."""
    started = timezone.now()
    fetched: dict[str, dict] = {}
    for status in SYNCED_USER_STATUSES:
        for user in client.list_users(connection, status=status):
            if user.get("id"):
                fetched[str(user["id"])] = {**user, "status": user.get("status") or status}
    with transaction.atomic():
        locked = ZoomConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.status != ConnectionStatus.LINKED:
            # Unlinked or deauthorized while we were fetching: keep nothing.
            raise ZoomNotLinked(_("Zoomアカウントが連携されていません。"))
        known = set(
            ZoomUser.objects.filter(company_id=connection.company_id).values_list("zoom_user_id", flat=True)
        )
        rows = [_zoom_user_row(connection.company_id, data, started) for data in fetched.values()]
        ZoomUser.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["company", "zoom_user_id"],
            update_fields=[
                "email",
                "first_name",
                "last_name",
                "display_name",
                "user_type",
                "zoom_status",
                "time_zone",
                "in_account",
                "synced_at",
            ],
        )
        # Rows this sync wrote carry synced_at=started; older ones were not in the account any more.
        left = ZoomUser.objects.filter(
            company_id=connection.company_id, in_account=True, synced_at__lt=started
        ).update(in_account=False)
        locked.users_synced_at = timezone.now()
        locked.save(update_fields=["users_synced_at", "updated_at"])
        connection.users_synced_at = locked.users_synced_at
        result = SyncResult(total=len(fetched), added=len(set(fetched) - known), left=left)
        if actor is not None or result.added or result.left:
            record_audit(
                action="zoom.users_synced",
                actor=actor,
                company=locked.company,
                target=locked,
                target_label=locked.zoom_account_label,
                details={"total": result.total, "added": result.added, "left": result.left},
            )
    return result


def _zoom_user_row(company_id: int, data: dict, synced_at: datetime) -> ZoomUser:
    try:
        user_type = int(data.get("type") or 1)
    except (TypeError, ValueError):
        user_type = 1
    return ZoomUser(
        company_id=company_id,
        zoom_user_id=str(data["id"])[:64],
        email=str(data.get("email") or "")[:254],
        first_name=str(data.get("first_name") or "")[:100],
        last_name=str(data.get("last_name") or "")[:100],
        display_name=str(data.get("display_name") or "")[:255],
        user_type=user_type,
        zoom_status=str(data.get("status") or "active")[:20],
        time_zone=str(data.get("timezone") or "")[:64],
        in_account=True,
        synced_at=synced_at,
    )
