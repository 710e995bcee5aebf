"""The browser side of connecting a host's Google account: authorization code + PKCE S256, with a state
bound to the user's session and single-use.

https://developers.google.com/identity/protocols/oauth2/web-server
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest
from google_meet import client
from google_meet.services import redirect_uri

SESSION_KEY = "google_oauth_pending"
STATE_TTL_SECONDS = 15 * 60


class CallbackRejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def begin(request: AuthenticatedHttpRequest) -> str:
    """Remember a fresh state and PKCE verifier in the session; return Google's authorization URL."""
    verifier = secrets.token_urlsafe(64)
    state = secrets.token_urlsafe(32)
    pending = {
        "state": state,
        "code_verifier": verifier,
        "company_id": request.user.company_id,
        "user_id": request.user.pk,
        "created": int(time.time()),
    }
    request.session[SESSION_KEY] = pending
    return client.authorization_url(
        redirect_uri=redirect_uri(),
        state=state,
        code_challenge=pkce_challenge(verifier),
    )


def consume(request: AuthenticatedHttpRequest, *, state: str | None) -> str:
    """The PKCE verifier of the pending request whose state matches (CallbackRejected otherwise)."""
    pending = request.session.pop(SESSION_KEY, None)  # single use, whatever happens next
    if not isinstance(pending, dict):
        raise CallbackRejected(
            _(
                "この認可リクエストは無効です（期限切れ、または使用済みです）。"
                "もう一度「Googleアカウントを連携」からやり直してください。"
            )
        )
    expected = str(pending.get("state") or "")
    if not state or not expected or not hmac.compare_digest(expected.encode(), state.encode()):
        raise CallbackRejected(
            _(
                "認可リクエストを確認できませんでした（state が一致しません）。"
                "もう一度「Googleアカウントを連携」からやり直してください。"
            )
        )
    if pending.get("company_id") != request.user.company_id or pending.get("user_id") != request.user.pk:
        raise CallbackRejected(_("この認可リクエストは別のユーザーが開始したものです。"))
    if int(time.time()) - int(pending.get("created") or 0) > STATE_TTL_SECONDS:
        raise CallbackRejected(
            _(
                "認可リクエストの有効期限が切れました。もう一度「Googleアカウントを連携」からやり直してください。"
            )
        )
    return str(pending["code_verifier"])
