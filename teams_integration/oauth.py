"""The browser side of the two-step link: a sign-in (authorization code + PKCE S256) that tells us the
tenant, then the tenant admin's consent. Each step's state is bound to the admin's session and single-use.

https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest
from teams_integration import client
from teams_integration.services import consent_redirect_uri, redirect_uri
from web_meetings.oauth_state import CallbackRejected, consume, new_code_verifier, pkce_challenge, remember

__all__ = [
    "CONSENT_SESSION_KEY",
    "SIGN_IN_SESSION_KEY",
    "CallbackRejected",
    "begin_admin_consent",
    "begin_sign_in",
    "consume_admin_consent",
    "consume_sign_in",
]

SIGN_IN_SESSION_KEY = "teams_oauth_pending"
CONSENT_SESSION_KEY = "teams_consent_pending"


def begin_sign_in(request: AuthenticatedHttpRequest) -> str:
    """Remember a fresh state and PKCE verifier in the session; return Microsoft's authorize URL."""
    request.session.pop(CONSENT_SESSION_KEY, None)
    pending = remember(request, SIGN_IN_SESSION_KEY, code_verifier=new_code_verifier())
    return client.authorization_url(
        redirect_uri=redirect_uri(),
        state=pending["state"],
        code_challenge=pkce_challenge(pending["code_verifier"]),
    )


def begin_admin_consent(request: AuthenticatedHttpRequest, *, tenant_id: str) -> str:
    """Step 2 for the tenant step 1 found: a new state; return the adminconsent URL."""
    pending = remember(request, CONSENT_SESSION_KEY, tenant_id=tenant_id)
    return client.admin_consent_url(
        tenant_id=tenant_id, redirect_uri=consent_redirect_uri(), state=pending["state"]
    )


def consume_sign_in(request: AuthenticatedHttpRequest, *, state: str | None) -> str:
    """The PKCE verifier of the pending sign-in whose state matches (CallbackRejected otherwise)."""
    return str(consume(request, SIGN_IN_SESSION_KEY, state=state, button=_("認可開始"))["code_verifier"])


def consume_admin_consent(request: AuthenticatedHttpRequest, *, state: str | None) -> str:
    """The tenant id of the pending admin consent whose state matches (CallbackRejected otherwise)."""
    return str(consume(request, CONSENT_SESSION_KEY, state=state, button=_("認可開始"))["tenant_id"])
