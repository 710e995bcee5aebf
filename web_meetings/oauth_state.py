"""The browser side of every service's OAuth step: a state and a PKCE verifier bound to the signed-in user's
session, single-use and short-lived (RFC 6749 §10.12, RFC 7636 S256). Zoom, Teams and Google Meet keep
their own session keys and build their own authorize URLs; the checks are these.
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

# The user has this long to sign in at the service and come back (the services' codes live 5-10 minutes).
STATE_TTL_SECONDS = 15 * 60


class CallbackRejected(Exception):
    """The callback does not belong to a step this session started; ``message`` is shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_code_verifier() -> str:
    return secrets.token_urlsafe(64)  # 86 characters: RFC 7636 allows 43 to 128


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def remember(request: AuthenticatedHttpRequest, key: str, **extra: Any) -> dict[str, Any]:
    """Store a pending step with a fresh state (and ``extra``) under ``key``; return it."""
    pending = {
        "state": secrets.token_urlsafe(32),
        "company_id": request.user.company_id,
        "user_id": request.user.pk,
        "created": int(time.time()),
        **extra,
    }
    request.session[key] = pending
    return pending


def consume(request: AuthenticatedHttpRequest, key: str, *, state: str | None, button: str) -> dict[str, Any]:
    """The pending step under ``key`` whose state matches, removed whatever happens; CallbackRejected for a
    missing, reused, mismatched, foreign or expired one (the message names ``button`` to start again)."""
    pending = request.session.pop(key, None)  # single use, whatever happens next
    again = {"button": button}
    if not isinstance(pending, dict):
        raise CallbackRejected(
            _(
                "この認可リクエストは無効です（期限切れ、または使用済みです）。もう一度「%(button)s」からやり直してください。"
            )
            % again
        )
    expected = str(pending.get("state") or "")
    if not state or not expected or not hmac.compare_digest(expected.encode(), state.encode()):
        raise CallbackRejected(
            _(
                "認可リクエストを確認できませんでした（state が一致しません）。"
                "もう一度「%(button)s」からやり直してください。"
            )
            % again
        )
    if pending.get("company_id") != request.user.company_id or pending.get("user_id") != request.user.pk:
        raise CallbackRejected(_("この認可リクエストは別のユーザーが開始したものです。"))
    if int(time.time()) - int(pending.get("created") or 0) > STATE_TTL_SECONDS:
        raise CallbackRejected(
            _("認可リクエストの有効期限が切れました。もう一度「%(button)s」からやり直してください。") % again
        )
    return pending
