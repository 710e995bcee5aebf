"""The browser side of the OAuth flow: state and PKCE verifier bound to the admin's session, single-use
(``web_meetings.oauth_state``).

https://developers.zoom.us/docs/integrations/oauth/ (authorization code grant with PKCE).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest
from web_meetings.oauth_state import CallbackRejected, consume, new_code_verifier, remember
from zoom_integration import client
from zoom_integration.services import redirect_uri

__all__ = ["SESSION_KEY", "CallbackRejected", "begin_authorization", "consume_authorization"]

SESSION_KEY = "zoom_oauth_pending"


def begin_authorization(request: AuthenticatedHttpRequest) -> str:
    """Remember a fresh state and PKCE verifier in the session; return Zoom's authorize URL."""
    pending = remember(request, SESSION_KEY, code_verifier=new_code_verifier())
    return client.authorization_url(
        redirect_uri=redirect_uri(), state=pending["state"], code_verifier=pending["code_verifier"]
    )


def consume_authorization(request: AuthenticatedHttpRequest, *, state: str | None) -> str:
    """The PKCE verifier of the pending authorization whose state matches; the pending entry is gone after.

    Raises CallbackRejected for a missing, foreign, reused, mismatched or expired state.
    """
    return str(consume(request, SESSION_KEY, state=state, button=_("認可開始"))["code_verifier"])
