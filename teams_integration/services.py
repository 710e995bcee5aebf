"""Writes of the Teams link: link (sign-in + admin consent), the application token (client credentials under
a row lock), errors, unlink, user sync. Each service owns its transaction; mail and signals run after commit.

Used by the provider (and scheduling through it): ``usable_connection(company)`` (a TeamsConnection, or
TeamsNotLinked with a Japanese reason) and ``graph_for(connection)``. A (re)link is announced with
``web_meetings.signals.link_usable`` (provider="teams") after commit.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, User
from teams_integration import client
from teams_integration.client import (
    AppToken,
    SignIn,
    TeamsError,
    TeamsNotLinked,
    TeamsReauthorizationRequired,
    TeamsTemporaryError,
)
from teams_integration.models import ConnectionStatus, GraphSubscription, TeamsConnection, TeamsUser
from web_meetings import signals
from web_meetings.crypto import TokenDecryptionError, decrypt_token, encrypt_token

logger = logging.getLogger(__name__)

PROVIDER_KEY = "teams"
# Fetch a new application token when the current one expires within this margin.
REFRESH_MARGIN = timedelta(minutes=5)
USERS_PAGE_SIZE = 999  # Graph's largest $top for /users
USER_FIELDS = "id,displayName,mail,userPrincipalName,accountEnabled"


class AuthorizationFailed(Exception):
    """A link step could not complete; ``message`` is the Japanese text the admin sees."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------------------------
# Configuration and state
# ---------------------------------------------------------------------------------------------------------


def teams_configured() -> bool:
    """Whether the operator configured the Entra ID app (client id and secret)."""
    return bool(settings.MICROSOFT_CLIENT_ID and settings.MICROSOFT_CLIENT_SECRET)


def _absolute(name: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse(name)}"


def redirect_uri() -> str:
    """Step 1's redirect URI registered in the app: <SITE_URL>/web-interview/teams/callback/."""
    return _absolute("teams_integration:callback")


def consent_redirect_uri() -> str:
    """Step 2's redirect URI registered in the app: <SITE_URL>/web-interview/teams/admin-consent/."""
    return _absolute("teams_integration:admin_consent")


def notification_url() -> str:
    return _absolute("teams_notifications:notifications")


def lifecycle_url() -> str:
    return _absolute("teams_notifications:lifecycle")


def usable_connection(company: Company) -> TeamsConnection:
    """The company's linked connection, or TeamsNotLinked saying why there is none (no HTTP call)."""
    if not company.teams_enabled:
        raise TeamsNotLinked(_("この企業ではMicrosoft Teams連携を利用していません（未利用）。"))
    if not teams_configured():
        raise TeamsNotLinked(_("Microsoft Teams連携が設定されていません（MICROSOFT_CLIENT_ID）。"))
    connection = TeamsConnection.objects.filter(company=company).first()
    if connection is None or connection.status == ConnectionStatus.AWAITING:
        raise TeamsNotLinked(_("Microsoft 365 テナントが連携されていません（認可待ち）。"))
    if connection.status == ConnectionStatus.ERROR:
        raise TeamsReauthorizationRequired(
            connection.last_error
            or _("Microsoft Teams連携でエラーが発生しています。管理者による再認可が必要です。")
        )
    if connection.status == ConnectionStatus.RELEASED:
        raise TeamsNotLinked(_("Microsoft Teams連携は解除されています。"))
    return connection


# ---------------------------------------------------------------------------------------------------------
# The application token
# ---------------------------------------------------------------------------------------------------------


def _expiring(connection: TeamsConnection) -> bool:
    return connection.expires_at is None or connection.expires_at - timezone.now() <= REFRESH_MARGIN


def _stored_token(connection: TeamsConnection) -> str:
    """The stored token, or "" when none or it cannot be decrypted (a new one is simply fetched)."""
    try:
        return decrypt_token(connection.access_token_encrypted)
    except TokenDecryptionError:
        logger.error("teams: a stored token cannot be decrypted; fetching a new one (TOKEN_ENCRYPTION_KEYS)")
        return ""


def _copy_token_state(source: TeamsConnection, target: TeamsConnection) -> None:
    for name in ("status", "access_token_encrypted", "expires_at", "last_error", "last_error_at"):
        setattr(target, name, getattr(source, name))


_process_locks: dict[int, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(connection_id: int) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(connection_id, threading.Lock())


def get_app_token(connection: TeamsConnection, *, rejected_token: str | None = None) -> str:
    """A usable application token, fetched by client credentials only when the stored one expires within
    5 minutes (or Graph rejected it). Fetches are serialized per connection by a row lock (and an
    in-process lock where the database has none), so concurrent workers make one token request."""
    if connection.status != ConnectionStatus.LINKED:
        raise _not_usable(connection)
    if rejected_token is None and not _expiring(connection):
        current = _stored_token(connection)
        if current:
            return current
    failure: TeamsReauthorizationRequired | None = None
    token: AppToken | None = None
    with _process_lock(connection.pk), transaction.atomic():
        locked = TeamsConnection.objects.select_for_update().get(pk=connection.pk)
        # Read again after the lock: another worker may have fetched a token (or failed) meanwhile.
        _copy_token_state(locked, connection)
        if locked.status != ConnectionStatus.LINKED:
            raise _not_usable(locked)
        current = _stored_token(locked)
        if current and not _expiring(locked) and (rejected_token is None or current != rejected_token):
            return current
        try:
            token = client.acquire_app_token(tenant_id=locked.tenant_id)
        except TeamsReauthorizationRequired as exc:
            _set_error(locked, reason=exc.message, cause="client_credentials")
            failure = exc
        else:
            locked.access_token_encrypted = encrypt_token(token.access_token)
            locked.expires_at = token.expires_at
            locked.save(update_fields=[*TeamsConnection.TOKEN_FIELDS, "updated_at"])
        _copy_token_state(locked, connection)
    if failure is not None:
        raise TeamsReauthorizationRequired(failure.message, status=failure.status)
    assert token is not None
    return token.access_token


def _not_usable(connection: TeamsConnection) -> TeamsError:
    if connection.status == ConnectionStatus.ERROR:
        return TeamsReauthorizationRequired(
            connection.last_error or _("Microsoft Teams連携の再認可が必要です。")
        )
    return TeamsNotLinked(_("Microsoft 365 テナントが連携されていません。"))


def graph_for(connection: TeamsConnection) -> client.Graph:
    """Graph with the connection's application token; a 401 after a fresh token or a missing permission
    puts the link in エラー（再認可が必要）."""

    def on_reauthorization(exc: TeamsReauthorizationRequired) -> None:
        mark_reauthorization_required(
            connection=connection, reason=exc.message, cause=f"graph_{exc.status}_{exc.graph_code or '-'}"
        )

    return client.Graph(
        lambda rejected: get_app_token(connection, rejected_token=rejected),
        on_reauthorization=on_reauthorization,
    )


def _set_error(connection: TeamsConnection, *, reason: str, cause: str) -> None:
    """On a locked, linked row: status error, token cleared, audit, admins mailed after commit."""
    connection.status = ConnectionStatus.ERROR
    connection.clear_tokens()
    connection.last_error = reason
    connection.last_error_at = timezone.now()
    connection.save(
        update_fields=["status", *TeamsConnection.TOKEN_FIELDS, "last_error", "last_error_at", "updated_at"]
    )
    record_audit(
        action="teams.reauthorization_required",
        company=connection.company,
        target=connection,
        details={"cause": cause, "reason": reason},
    )
    logger.warning("teams: company %s needs re-authorization (%s)", connection.company_id, cause)
    from teams_integration import tasks  # tasks import this module

    transaction.on_commit(lambda: tasks.mail_reauthorization_required.delay(connection.pk))


def mark_reauthorization_required(*, connection: TeamsConnection, reason: str, cause: str) -> None:
    """Put a linked connection in エラー（再認可が必要）; a no-op when it already left 連携中 (one mail)."""
    with transaction.atomic():
        locked = TeamsConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.status == ConnectionStatus.LINKED:
            _set_error(locked, reason=reason, cause=cause)
        _copy_token_state(locked, connection)


# ---------------------------------------------------------------------------------------------------------
# Link: step 1 (sign-in: which tenant) and step 2 (admin consent → application token)
# ---------------------------------------------------------------------------------------------------------


def complete_sign_in(*, company: Company, code: str, code_verifier: str) -> SignIn:
    """Exchange step 1's code (PKCE) and learn the tenant; nothing is stored."""
    if not company.teams_enabled or not teams_configured():
        raise AuthorizationFailed(_("この企業ではMicrosoft Teams連携を利用できません。"))
    try:
        signed_in = client.exchange_code(code=code, redirect_uri=redirect_uri(), code_verifier=code_verifier)
    except TeamsTemporaryError:
        raise AuthorizationFailed(
            _("Microsoftに接続できませんでした。時間をおいて、もう一度「認可開始」からお試しください。")
        ) from None
    except TeamsError:
        raise AuthorizationFailed(
            _("Microsoftが認可コードを受け付けませんでした。もう一度「認可開始」からお試しください。")
        ) from None
    if not signed_in.tenant_id:
        raise AuthorizationFailed(
            _("Microsoft 365 テナントIDを取得できませんでした。もう一度お試しください。")
        )
    taken = (
        TeamsConnection.objects.filter(
            tenant_id=signed_in.tenant_id, status__in=[ConnectionStatus.LINKED, ConnectionStatus.ERROR]
        )
        .exclude(company=company)
        .exists()
    )
    if taken:
        raise AuthorizationFailed(_("このMicrosoft 365 テナントは別の企業と連携中のため、連携できません。"))
    return signed_in


@dataclass
class LinkResult:
    connection: TeamsConnection
    sync: SyncResult | None = None
    sync_error: str = ""


def complete_admin_consent(
    *,
    company: Company,
    actor: User,
    tenant_id: str,
    tenant_label: str = "",
    request: HttpRequest | None = None,
) -> LinkResult:
    """After the admin consented: get an application token for the tenant, store the link (連携中), sync
    the users. Any failure before the link is saved raises AuthorizationFailed and changes nothing."""
    if not company.teams_enabled or not teams_configured():
        raise AuthorizationFailed(_("この企業ではMicrosoft Teams連携を利用できません。"))
    try:
        token = client.acquire_app_token(tenant_id=tenant_id)
    except TeamsTemporaryError:
        raise AuthorizationFailed(
            _("Microsoftに接続できませんでした。時間をおいて、もう一度「認可開始」からお試しください。")
        ) from None
    except TeamsError as exc:
        raise AuthorizationFailed(
            _("アプリケーションのアクセス許可を取得できませんでした。%(reason)s") % {"reason": exc.message}
        ) from None
    connection = _store_link(
        company=company,
        actor=actor,
        tenant_id=tenant_id,
        tenant_label=tenant_label,
        token=token,
        request=request,
    )
    result = LinkResult(connection=connection)
    try:
        result.sync = sync_teams_users(connection=connection, actor=actor)
    except TeamsError as exc:
        # The link stands; the periodic resync (or the button) fetches the users later.
        result.sync_error = exc.message
    return result


def _store_link(
    *,
    company: Company,
    actor: User,
    tenant_id: str,
    tenant_label: str,
    token: AppToken,
    request: HttpRequest | None,
) -> TeamsConnection:
    with transaction.atomic():
        connection, _created = TeamsConnection.objects.select_for_update().get_or_create(company=company)
        previous_tenant = connection.tenant_id
        connection.status = ConnectionStatus.LINKED
        connection.tenant_id = tenant_id
        connection.tenant_label = (tenant_label or tenant_id)[:255]
        connection.access_token_encrypted = encrypt_token(token.access_token)
        connection.expires_at = token.expires_at
        connection.consented_by = actor
        connection.linked_at = timezone.now()
        connection.released_at = None
        connection.last_error = ""
        connection.last_error_at = None
        connection.save()
        if previous_tenant and previous_tenant != tenant_id:
            # Another tenant: the old tenant's users and subscriptions mean nothing any more.
            TeamsUser.objects.filter(company=company).delete()
            GraphSubscription.objects.filter(company=company).delete()
        record_audit(
            action="teams.linked",
            actor=actor,
            company=company,
            target=connection,
            target_label=connection.tenant_label,
            details={"tenant_id": tenant_id},
            request=request,
        )
        transaction.on_commit(lambda: _announce_link_usable(company.pk))
    logger.info("teams: company %s linked tenant %s", company.pk, tenant_id)
    return connection


def _announce_link_usable(company_id: int) -> None:
    """Tell the apps above that the link works again (work that waited for it may go on)."""
    company = Company.objects.get(pk=company_id)
    # The link is saved: a failing receiver must not turn it into an error page.
    signals.link_usable.send_logged(TeamsConnection, company=company, provider=PROVIDER_KEY)


# ---------------------------------------------------------------------------------------------------------
# Unlink
# ---------------------------------------------------------------------------------------------------------


def unlink_connection(
    *, company: Company, actor: User, request: HttpRequest | None = None
) -> TeamsConnection:
    """連携解除 on our side: token, users and subscriptions forgotten (the subscriptions are deleted at Graph
    first, best effort). The admin consent itself is withdrawn in the Entra admin center."""
    connection = TeamsConnection.objects.filter(company=company).first()
    if connection is None or connection.status not in (ConnectionStatus.LINKED, ConnectionStatus.ERROR):
        raise TeamsNotLinked(_("Microsoft 365 テナントは連携されていません。"))
    if connection.status == ConnectionStatus.LINKED:
        from teams_integration import changes  # changes imports this module

        changes.delete_company_subscriptions(connection=connection)
    with transaction.atomic():
        locked = TeamsConnection.objects.select_for_update().select_related("company").get(pk=connection.pk)
        if locked.status in (ConnectionStatus.LINKED, ConnectionStatus.ERROR):
            locked.status = ConnectionStatus.RELEASED
            locked.clear_tokens()
            locked.released_at = timezone.now()
            locked.last_error = ""
            locked.last_error_at = None
            locked.users_synced_at = None
            locked.save(
                update_fields=[
                    "status",
                    *TeamsConnection.TOKEN_FIELDS,
                    "released_at",
                    "last_error",
                    "last_error_at",
                    "users_synced_at",
                    "updated_at",
                ]
            )
            deleted, _by_model = TeamsUser.objects.filter(company=company).delete()
            GraphSubscription.objects.filter(company=company).delete()
            record_audit(
                action="teams.unlinked",
                actor=actor,
                company=company,
                target=locked,
                target_label=locked.tenant_label,
                details={"tenant_id": locked.tenant_id, "teams_users_deleted": deleted},
                request=request,
            )
            logger.info("teams: company %s released", company.pk)
    return locked


# ---------------------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    total: int
    added: int
    left: int


def sync_teams_users(*, connection: TeamsConnection, actor: User | None = None) -> SyncResult:
    """Every page of GET /users into TeamsUser; users no longer listed are marked out of the tenant."""
    started = timezone.now()
    graph = graph_for(connection)
    fetched: dict[str, dict] = {}
    for user in graph.pages("/users", params={"$select": USER_FIELDS, "$top": str(USERS_PAGE_SIZE)}):
        if user.get("id"):
            fetched[str(user["id"])] = user
    with transaction.atomic():
        locked = TeamsConnection.objects.select_for_update().select_related("company").get(pk=connection.pk)
        if locked.status != ConnectionStatus.LINKED:
            # Unlinked or in error while we were fetching: keep nothing.
            raise TeamsNotLinked(_("Microsoft 365 テナントが連携されていません。"))
        known = set(TeamsUser.objects.filter(company_id=locked.company_id).values_list("user_id", flat=True))
        rows = [_user_row(locked.company_id, data, started) for data in fetched.values()]
        TeamsUser.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["company", "user_id"],
            update_fields=["email", "display_name", "account_enabled", "in_tenant", "synced_at"],
        )
        left = TeamsUser.objects.filter(
            company_id=locked.company_id, in_tenant=True, synced_at__lt=started
        ).update(in_tenant=False)
        locked.users_synced_at = timezone.now()
        locked.save(update_fields=["users_synced_at", "updated_at"])
        connection.users_synced_at = locked.users_synced_at
        result = SyncResult(total=len(fetched), added=len(set(fetched) - known), left=left)
        if actor is not None or result.added or result.left:
            record_audit(
                action="teams.users_synced",
                actor=actor,
                company=locked.company,
                target=locked,
                target_label=locked.tenant_label,
                details={"total": result.total, "added": result.added, "left": result.left},
            )
    return result


def _user_row(company_id: int, data: dict, synced_at: datetime) -> TeamsUser:
    return TeamsUser(
        company_id=company_id,
        user_id=str(data["id"])[:64],
        email=str(data.get("mail") or data.get("userPrincipalName") or "")[:254],
        display_name=str(data.get("displayName") or "")[:255],
        account_enabled=data.get("accountEnabled") is not False,
        in_tenant=True,
        synced_at=synced_at,
    )
