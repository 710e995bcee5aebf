"""The only module that speaks HTTP to Microsoft (Entra ID's v2.0 endpoints and Microsoft Graph v1.0).

Errors — every failure raises one of these (web_meetings.errors subclasses), never a requests exception:
    TeamsError                      base; .status, .code (Graph's error code string in .graph_code), .message
    TeamsReauthorizationRequired    the link is unusable until an admin runs 認可開始 again (consent
                                    withdrawn: AADSTS700016 / 65001 / invalid_grant; 401 after a new token;
                                    403 ErrorAccessDenied / Authorization_RequestDenied: a permission missing)
    TeamsTemporaryError             retry later: 429 (.retry_after from Retry-After), 5xx, timeouts,
                                    connection errors
    TeamsPermanentError             do not retry; show the message (other 4xx)
    TeamsNotFound                   404 ErrorItemNotFound / NotFound / Request_ResourceNotFound
    TeamsNotLinked                  the company has no usable link (raised before any HTTP call)

Identity platform (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow,
…/v2-admin-consent, …/v2-oauth2-client-creds-grant-flow):
    authorization_url(*, redirect_uri, state, code_challenge) -> str
    exchange_code(*, code, redirect_uri, code_verifier) -> SignIn          # the signed-in user's tenant (tid)
    admin_consent_url(*, tenant_id, redirect_uri, state) -> str
    acquire_app_token(*, tenant_id) -> AppToken                            # client credentials, .default

Graph: ``Graph(get_token, on_reauthorization=...)`` where ``get_token(rejected_token: str | None) -> str``
hands out the connection's application token (``rejected_token``: Graph answered 401 to it, fetch another).
A 401 is retried once with a fresh token; a second 401 (or a 403 for a missing permission) calls
``on_reauthorization(exc)`` (the link is marked エラー) and raises TeamsReauthorizationRequired.

Rules kept here: every request has a timeout; tokens and the client secret never appear in logs or exception
messages; empty 202/204 bodies are not parsed; non-JSON error bodies are survived.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from web_meetings.answers import json_object, retry_after, token_claims
from web_meetings.errors import (
    MeetingServiceError,
    NotFound,
    NotLinked,
    PermanentError,
    ReauthorizationRequired,
    TemporaryError,
)

logger = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
SIGN_IN_SCOPE = "openid profile email User.Read"
MAX_PAGES = 1000  # a guard against a server that never stops paging
ERROR_TEXT_LIMIT = 300
# Token endpoint error codes meaning "this tenant no longer lets the app in": the app is not (or no longer)
# consented in the directory (700016), consent withdrawn (65001), the app disabled (7000112).
CONSENT_GONE_CODES = frozenset({700016, 65001, 7000112, 500011})
NOT_FOUND_CODES = frozenset({"ErrorItemNotFound", "NotFound", "Request_ResourceNotFound", "ErrorInvalidUser"})
ACCESS_DENIED_CODES = frozenset({"ErrorAccessDenied", "Authorization_RequestDenied", "Forbidden"})


class TeamsError(MeetingServiceError):
    """Microsoft's answer as one of the web-meeting errors (web_meetings.errors) that issuance acts on."""

    graph_code: str = ""


class TeamsReauthorizationRequired(TeamsError, ReauthorizationRequired):
    after_refresh: bool = False


class TeamsTemporaryError(TeamsError, TemporaryError):
    pass


class TeamsPermanentError(TeamsError, PermanentError):
    pass


class TeamsNotFound(TeamsPermanentError, NotFound):
    pass


class TeamsNotLinked(TeamsPermanentError, NotLinked):
    pass


@dataclass(frozen=True)
class AppToken:
    """A client-credentials answer. repr() hides the token so it never reaches a log or a traceback."""

    access_token: str = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True)
class SignIn:
    """Who signed in at step 1 (read from the tokens' claims)."""

    tenant_id: str
    name: str = ""
    email: str = ""


# ---------------------------------------------------------------------------------------------------------
# Plumbing
# ---------------------------------------------------------------------------------------------------------


def _timeout() -> tuple[float, float]:
    read = float(settings.MICROSOFT_HTTP_TIMEOUT)
    return (min(5.0, read), read)


def _login_url(path: str) -> str:
    return f"{settings.MICROSOFT_LOGIN_BASE_URL.rstrip('/')}{path}"


def _graph_url(path: str) -> str:
    return f"{settings.MICROSOFT_GRAPH_BASE_URL.rstrip('/')}{path}"


def _send(method: str, url: str, **kwargs: Any) -> requests.Response:
    """One HTTP request; transport failures become TeamsTemporaryError (no URL query or token in it)."""
    try:
        return requests.request(method, url, timeout=_timeout(), allow_redirects=False, **kwargs)
    except requests.Timeout:
        logger.warning("microsoft: %s %s timed out", method, url.split("?")[0])
        raise TeamsTemporaryError(_("Microsoftの応答がタイムアウトしました。")) from None
    except requests.RequestException as exc:
        logger.warning("microsoft: %s %s failed (%s)", method, url.split("?")[0], type(exc).__name__)
        raise TeamsTemporaryError(_("Microsoftに接続できませんでした。")) from None


# ---------------------------------------------------------------------------------------------------------
# Identity platform
# ---------------------------------------------------------------------------------------------------------


def authorization_url(*, redirect_uri: str, state: str, code_challenge: str) -> str:
    """Step 1: sign in a work account of any organisation (authorization code + PKCE S256)."""
    params = {
        "client_id": settings.MICROSOFT_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "response_mode": "query",
        "scope": SIGN_IN_SCOPE,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    return _login_url("/organizations/oauth2/v2.0/authorize?") + urlencode(params)


def admin_consent_url(*, tenant_id: str, redirect_uri: str, state: str) -> str:
    """Step 2: the tenant's admin grants the app's application permissions to the organisation."""
    params = {
        "client_id": settings.MICROSOFT_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": GRAPH_SCOPE,
        "state": state,
    }
    return _login_url(f"/{quote(tenant_id, safe='')}/v2.0/adminconsent?") + urlencode(params)


def _token_request(tenant: str, form: dict[str, str]) -> dict[str, Any]:
    body = {
        "client_id": settings.MICROSOFT_CLIENT_ID,
        "client_secret": settings.MICROSOFT_CLIENT_SECRET,
        **form,
    }
    response = _send(
        "POST",
        _login_url(f"/{quote(tenant, safe='')}/oauth2/v2.0/token"),
        data=body,
        headers={"Accept": "application/json"},
    )
    data = json_object(response)
    if response.status_code == 200 and data.get("access_token"):
        return data
    raise _token_error(response, data)


def _token_error(response: requests.Response, data: dict[str, Any]) -> TeamsError:
    error = str(data.get("error") or "")
    codes = {int(c) for c in data.get("error_codes") or [] if str(c).isdigit()}
    status = response.status_code
    # error_description carries AADSTS code + text + trace ids; keep the first sentence only.
    description = str(data.get("error_description") or "").split("\r\n")[0].split(" Trace ID")[0]
    description = description[:ERROR_TEXT_LIMIT]
    logger.warning("microsoft: token endpoint answered %s %s %s", status, error or "-", sorted(codes))
    if status >= 500 or status == 429 or error == "temporarily_unavailable":
        return TeamsTemporaryError(
            _("Microsoftのサインインサービスが一時的に利用できません。"),
            status=status,
            retry_after=retry_after(response),
        )
    if codes & CONSENT_GONE_CODES or error in ("invalid_grant", "unauthorized_client"):
        return TeamsReauthorizationRequired(
            _(
                "Microsoft 365 テナントでこのアプリへの管理者の同意が取り消されたか、見つかりません。"
                "管理者が「認可開始」から再認可してください。（%(detail)s）"
            )
            % {"detail": description or error},
            status=status,
        )
    if error == "invalid_client":
        return TeamsPermanentError(
            _(
                "MicrosoftがアプリのクライアントIDまたはシークレットを受け付けませんでした"
                "（MICROSOFT_CLIENT_SECRET を確認してください）。"
            ),
            status=status,
        )
    return TeamsPermanentError(
        _("Microsoftがトークンの発行を拒否しました（%(detail)s）。")
        % {"detail": description or error or status},
        status=status,
    )


def exchange_code(*, code: str, redirect_uri: str, code_verifier: str) -> SignIn:
    """Step 1's code for tokens; only the signed-in user's tenant (tid) and name are kept."""
    data = _token_request(
        "organizations",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "scope": SIGN_IN_SCOPE,
        },
    )
    claims = {
        **token_claims(str(data.get("access_token") or "")),
        **token_claims(str(data.get("id_token") or "")),
    }
    return SignIn(
        tenant_id=str(claims.get("tid") or ""),
        name=str(claims.get("name") or ""),
        email=str(claims.get("preferred_username") or claims.get("email") or claims.get("upn") or ""),
    )


def acquire_app_token(*, tenant_id: str) -> AppToken:
    """An application token for the tenant (client credentials, scope .default)."""
    data = _token_request(tenant_id, {"grant_type": "client_credentials", "scope": GRAPH_SCOPE})
    try:
        lifetime = int(data.get("expires_in") or 3599)
    except (TypeError, ValueError):
        lifetime = 3599
    return AppToken(
        access_token=str(data["access_token"]), expires_at=datetime.now(UTC) + timedelta(seconds=lifetime)
    )


# ---------------------------------------------------------------------------------------------------------
# Graph
# ---------------------------------------------------------------------------------------------------------


def _graph_error(response: requests.Response) -> TeamsError:
    status = response.status_code
    body = json_object(response).get("error")
    error = body if isinstance(body, dict) else {}
    code = str(error.get("code") or "")
    message = str(error.get("message") or "")[:ERROR_TEXT_LIMIT]
    logger.warning("microsoft graph: %s %s", status, code or "-")
    exc: TeamsError
    if status == 429:
        exc = TeamsTemporaryError(
            _("Microsoft Graphの呼び出し回数の上限に達しました。しばらく待って再試行します。"),
            status=429,
            retry_after=retry_after(response),
        )
    elif status >= 500:
        exc = TeamsTemporaryError(
            _("Microsoft Graphが一時的に利用できません（%(status)s）。") % {"status": status},
            status=status,
            retry_after=retry_after(response),
        )
    elif status == 404 and (code in NOT_FOUND_CODES or not code):
        exc = TeamsNotFound(message or _("Microsoft Graphに対象が見つかりません。"), status=404)
    elif status == 401:
        exc = TeamsReauthorizationRequired(
            _(
                "Microsoft Graphがアクセストークンを受け付けませんでした。"
                "管理者が「認可開始」から再認可してください。"
            ),
            status=401,
        )
    elif status == 403 and code in ACCESS_DENIED_CODES:
        exc = TeamsReauthorizationRequired(
            _(
                "Microsoft Graphへのアクセス許可が不足しています（%(code)s）。"
                "管理者が「認可開始」から必要なアクセス許可に同意してください。"
            )
            % {"code": code},
            status=403,
        )
    else:
        exc = TeamsPermanentError(
            _("Microsoft Graphが要求を拒否しました（%(status)s %(code)s）: %(message)s")
            % {"status": status, "code": code or "-", "message": message or "-"},
            status=status,
        )
    exc.graph_code = code
    return exc


class Graph:
    """Microsoft Graph calls with one application token source (see the module docstring)."""

    def __init__(
        self,
        get_token: Callable[[str | None], str],
        *,
        on_reauthorization: Callable[[TeamsReauthorizationRequired], None] | None = None,
    ) -> None:
        self._get_token = get_token
        self._on_reauthorization = on_reauthorization

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One Graph call; the JSON answer ({} for an empty body). A 401 gets one fresh token."""
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else _graph_url(path_or_url)
        token = self._get_token(None)
        for attempt in (1, 2):
            request_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            request_headers.update(headers or {})
            response = _send(method, url, params=params, json=body, headers=request_headers)
            if response.status_code == 401 and attempt == 1:
                token = self._get_token(token)
                continue
            if response.status_code >= 400:
                exc = _graph_error(response)
                if isinstance(exc, TeamsReauthorizationRequired):
                    exc.after_refresh = response.status_code == 401
                    if self._on_reauthorization is not None:
                        self._on_reauthorization(exc)
                raise exc
            return json_object(response) if response.content else {}
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(self, path: str, *, params: dict[str, str] | None = None, headers=None) -> Iterator[dict]:
        """Every item of a collection, following @odata.nextLink."""
        data = self.request("GET", path, params=params, headers=headers)
        for _page in range(MAX_PAGES):
            yield from data.get("value") or []
            next_link = data.get("@odata.nextLink")
            if not next_link:
                return
            data = self.request("GET", str(next_link), headers=headers)
        raise TeamsTemporaryError(_("Microsoft Graphのページングが終わりませんでした。"))


def event_path(host_id: str, event_id: str | None = None) -> str:
    path = f"/users/{quote(host_id, safe='')}/events"
    return f"{path}/{quote(event_id, safe='')}" if event_id else path
