"""The browser side of the OAuth flow: state and PKCE verifier bound to the admin's session, single-use.

https://developers.zoom.us/docs/integrations/oauth/ (authorization code grant with PKCE).
"""

from __future__ import annotations

import hmac
import secrets
import time

from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest
from zoom_integration import client
from zoom_integration.services import redirect_uri

SESSION_KEY = "zoom_oauth_pending"
# The admin has this long to sign in at Zoom and come back (Zoom's code itself lives 5 minutes).
STATE_TTL_SECONDS = 15 * 60


class CallbackRejected(Exception):
    """The callback does not belong to an authorization this session started; ``message`` is shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def begin_authorization(request: AuthenticatedHttpRequest) -> str:
    """Remember a fresh state and PKCE verifier in the session; return Zoom's authorize URL."""
    state = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 allows 43 to 128
    request.session[SESSION_KEY] = {
        "state": state,
        "code_verifier": code_verifier,
        "company_id": request.user.company_id,
        "user_id": request.user.pk,
        "created": int(time.time()),
    }
    return client.authorization_url(redirect_uri=redirect_uri(), state=state, code_verifier=code_verifier)


def consume_authorization(request: AuthenticatedHttpRequest, *, state: str | None) -> str:
    """The PKCE verifier of the pending authorization whose state matches; the pending entry is gone after.

    Raises CallbackRejected for a missing, foreign, reused, mismatched or expired state.
    """
    pending = request.session.pop(SESSION_KEY, None)  # single use, whatever happens next
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
    return str(pending["code_verifier"])
