"""The browser side of the two-step link: a sign-in (authorization code + PKCE S256) that tells us the
tenant, then the tenant admin's consent. Each step's state is bound to the admin's session and single-use.

https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest
from teams_integration import client
from teams_integration.services import consent_redirect_uri, redirect_uri

SIGN_IN_SESSION_KEY = "teams_oauth_pending"
CONSENT_SESSION_KEY = "teams_consent_pending"
# The admin has this long to sign in at Microsoft and come back (Entra's code itself lives 10 minutes).
STATE_TTL_SECONDS = 15 * 60


class CallbackRejected(Exception):
    """The callback does not belong to a step this session started; ``message`` is shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _pending(request: AuthenticatedHttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "state": secrets.token_urlsafe(32),
        "company_id": request.user.company_id,
        "user_id": request.user.pk,
        "created": int(time.time()),
        **extra,
    }


def begin_sign_in(request: AuthenticatedHttpRequest) -> str:
    """Remember a fresh state and PKCE verifier in the session; return Microsoft's authorize URL."""
    code_verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 allows 43 to 128
    pending = _pending(request, code_verifier=code_verifier)
    request.session.pop(CONSENT_SESSION_KEY, None)
    request.session[SIGN_IN_SESSION_KEY] = pending
    return client.authorization_url(
        redirect_uri=redirect_uri(), state=pending["state"], code_challenge=pkce_challenge(code_verifier)
    )


def begin_admin_consent(request: AuthenticatedHttpRequest, *, tenant_id: str) -> str:
    """Step 2 for the tenant step 1 found: a new state; return the adminconsent URL."""
    pending = _pending(request, tenant_id=tenant_id)
    request.session[CONSENT_SESSION_KEY] = pending
    return client.admin_consent_url(
        tenant_id=tenant_id, redirect_uri=consent_redirect_uri(), state=pending["state"]
    )


def _consume(request: AuthenticatedHttpRequest, key: str, state: str | None) -> dict[str, Any]:
    pending = request.session.pop(key, None)  # single use, whatever happens next
    if not isinstance(pending, dict):
        raise CallbackRejected(
            _(
                "この認可リクエストは無効です（期限切れ、または使用済みです）。もう一度「認可開始」からやり直してください。"
            )
        )
    expected = str(pending.get("state") or "")
    if not state or not expected or not hmac.compare_digest(expected.encode(), state.encode()):
        raise CallbackRejected(
            _(
                "認可リクエストを確認できませんでした（state が一致しません）。"
                "もう一度「認可開始」からやり直してください。"
            )
        )
    if pending.get("company_id") != request.user.company_id or pending.get("user_id") != request.user.pk:
        raise CallbackRejected(_("この認可リクエストは別のユーザーが開始したものです。"))
    if int(time.time()) - int(pending.get("created") or 0) > STATE_TTL_SECONDS:
        raise CallbackRejected(
            _("認可リクエストの有効期限が切れました。もう一度「認可開始」からやり直してください。")
        )
    return pending


def consume_sign_in(request: AuthenticatedHttpRequest, *, state: str | None) -> str:
    """The PKCE verifier of the pending sign-in whose state matches (CallbackRejected otherwise)."""
    return str(_consume(request, SIGN_IN_SESSION_KEY, state)["code_verifier"])


def consume_admin_consent(request: AuthenticatedHttpRequest, *, state: str | None) -> str:
    """The tenant id of the pending admin consent whose state matches (CallbackRejected otherwise)."""
    return str(_consume(request, CONSENT_SESSION_KEY, state)["tenant_id"])
