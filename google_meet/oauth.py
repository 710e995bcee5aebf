"""The browser side of connecting a host's Google account: authorization code + PKCE S256, with a state
bound to the user's session and single-use (``web_meetings.oauth_state``).

https://developers.google.com/identity/protocols/oauth2/web-server
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest
from google_meet import client
from google_meet.services import redirect_uri
from web_meetings.oauth_state import CallbackRejected, consume, new_code_verifier, pkce_challenge, remember

__all__ = ["SESSION_KEY", "CallbackRejected", "begin", "consume_connect"]

SESSION_KEY = "google_oauth_pending"


def begin(request: AuthenticatedHttpRequest) -> str:
    """Remember a fresh state and PKCE verifier in the session; return Google's authorization URL."""
    pending = remember(request, SESSION_KEY, code_verifier=new_code_verifier())
    return client.authorization_url(
        redirect_uri=redirect_uri(),
        state=pending["state"],
        code_challenge=pkce_challenge(pending["code_verifier"]),
    )


def consume_connect(request: AuthenticatedHttpRequest, *, state: str | None) -> str:
    """The PKCE verifier of the pending request whose state matches (CallbackRejected otherwise)."""
    return str(
        consume(request, SESSION_KEY, state=state, button=_("Googleアカウントを連携"))["code_verifier"]
    )
