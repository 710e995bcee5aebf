"""The only module that speaks HTTP to Zoom (OAuth token endpoint, revoke, REST API v2).

CONTRACT (used by scheduling/ and the rest of the product; keep these names and signatures):

Errors — every failure of a Zoom call raises one of these, never a requests/authlib exception:
    ZoomError                      base; .status (HTTP status or None), .code (Zoom code or None), .message
    ZoomReauthorizationRequired    the link is unusable until an admin runs 認可開始 again
                                   (refresh token refused: invalid_grant; scope missing: 400/4711;
                                   401/124 still after one refresh). The connection is already marked ERROR.
    ZoomTemporaryError             worth retrying later: 429 per-second, 5xx, timeouts, connection errors,
                                   non-JSON 5xx bodies. .retry_after: datetime | None (from Retry-After)
    ZoomDailyLimitExceeded         (subclass of ZoomTemporaryError) per-host 100 create+update per day;
                                   .retry_after = next 00:00 UTC
    ZoomPermanentError             do not retry; show the reason (400/300 validation, other 4xx)
    ZoomNotFound                   (subclass of ZoomPermanentError) 404, code 3001 (meeting) or 1001 (user)
    ZoomNotLinked                  (subclass of ZoomPermanentError) the company has no usable link
                                   (not linked, released, error); raised before any HTTP call

REST helpers — each takes the company's ZoomConnection, gets a valid access token through
zoom_integration.services.get_access_token (refresh under a row lock), and on 401/124 refreshes once
and retries once:
    get_me(connection) -> dict
    list_users(connection, *, status: str = "active") -> list[dict]          # all pages
    create_meeting(connection, *, host_id: str, body: dict) -> dict          # 201 → the meeting
    get_meeting(connection, *, meeting_id: int) -> dict                      # fresh start_url
    update_meeting(connection, *, meeting_id: int, body: dict) -> None       # 204
    delete_meeting(connection, *, meeting_id: int) -> None                   # 204 (404 → ZoomNotFound:
                                                                             # the caller treats it as done)
    list_user_meetings(connection, *, host_id: str, meeting_type: str = "scheduled") -> list[dict]

OAuth helpers (used by zoom_integration.services only):
    authorization_url(*, redirect_uri, state, code_verifier) -> str
    exchange_code(*, code, redirect_uri, code_verifier) -> TokenSet
    refresh_tokens(*, refresh_token) -> TokenSet
    revoke_token(*, token) -> None
    get_user_with_token(*, access_token, user_id="me") -> dict   # before a connection exists (callback)

Rules kept here: every request has a timeout; tokens never appear in logs or exception messages; empty
204 bodies are not parsed; non-JSON error bodies are survived. The client does not pace or count daily
budgets (scheduling does), and never retries a create (Zoom has no idempotency key): only a 401 retry
(the request was refused before Zoom acted on it) and one retry of an idempotent GET on a connection
error or 502/503/504.

Call the REST helpers outside your own database transaction: a refresh commits the rotated token pair,
and an outer rollback would lose the only valid refresh token.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.utils.translation import gettext as _

from web_meetings.errors import (
    DailyLimitExceeded,
    MeetingServiceError,
    NotFound,
    NotLinked,
    PermanentError,
    ReauthorizationRequired,
    TemporaryError,
)

if TYPE_CHECKING:
    from zoom_integration.models import ZoomConnection

logger = logging.getLogger(__name__)

USERS_PAGE_SIZE = 300
MAX_PAGES = 1000  # a guard against a server that never stops paging
GET_RETRY_STATUSES = frozenset({502, 503, 504})
GET_RETRY_DELAY_SECONDS = 0.5
ERROR_TEXT_LIMIT = 300


class ZoomError(MeetingServiceError):
    """Zoom's answer as one of the web-meeting errors (web_meetings.errors) that issuance acts on."""


class ZoomReauthorizationRequired(ZoomError, ReauthorizationRequired):
    pass


class ZoomTemporaryError(ZoomError, TemporaryError):
    pass


class ZoomDailyLimitExceeded(ZoomTemporaryError, DailyLimitExceeded):
    pass


class ZoomPermanentError(ZoomError, PermanentError):
    pass


class ZoomNotFound(ZoomPermanentError, NotFound):
    pass


class ZoomNotLinked(ZoomPermanentError, NotLinked):
    pass


@dataclass(frozen=True)
class TokenSet:
    """A token endpoint answer. repr() hides the tokens so they never reach a log or a traceback."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    scope: str = ""


# ---------------------------------------------------------------------------------------------------------
# OAuth (authlib)
# ---------------------------------------------------------------------------------------------------------


def _timeout() -> tuple[float, float]:
    read = float(settings.ZOOM_HTTP_TIMEOUT)
    return (min(5.0, read), read)


def _oauth_url(path: str) -> str:
    return f"{settings.ZOOM_OAUTH_BASE_URL.rstrip('/')}{path}"


def _oauth_session(*, redirect_uri: str | None = None) -> OAuth2Session:
    session = OAuth2Session(
        client_id=settings.ZOOM_CLIENT_ID,
        client_secret=settings.ZOOM_CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_basic",
        revocation_endpoint_auth_method="client_secret_basic",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=_timeout(),
    )
    # Keep the raw token-endpoint response: Zoom explains its refusals in "reason", which authlib drops.
    session.last_token_response = None

    def remember(response: requests.Response) -> requests.Response:
        session.last_token_response = response
        return response

    session.register_compliance_hook("access_token_response", remember)
    session.register_compliance_hook("refresh_token_response", remember)
    return session


def authorization_url(*, redirect_uri: str, state: str, code_verifier: str) -> str:
    """Zoom's authorize URL for an admin-managed app (authorization code grant, PKCE S256)."""
    session = _oauth_session(redirect_uri=redirect_uri)
    url, _state = session.create_authorization_url(
        _oauth_url("/oauth/authorize"), state=state, code_verifier=code_verifier
    )
    return url


def exchange_code(*, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
    """Trade the callback's code for the first token pair."""
    session = _oauth_session(redirect_uri=redirect_uri)
    token = _token_call(
        session,
        "authorization_code",
        lambda: session.fetch_token(
            _oauth_url("/oauth/token"),
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
        ),
    )
    return _token_set(token)


def refresh_tokens(*, refresh_token: str) -> TokenSet:
    """A new pair for ``refresh_token``. Zoom rotates: the old refresh token is dead once this succeeds."""
    session = _oauth_session()
    token = _token_call(
        session,
        "refresh_token",
        lambda: session.refresh_token(_oauth_url("/oauth/token"), refresh_token=refresh_token),
    )
    return _token_set(token, default_refresh_token="")


def revoke_token(*, token: str) -> None:
    """Revoke ``token`` (an access token). Zoom uninstalls the app and sends app_deauthorized."""
    session = _oauth_session()
    try:
        response = session.revoke_token(_oauth_url("/oauth/revoke"), token=token)
    except requests.RequestException as exc:
        raise _connection_error(exc) from None
    _log_response("POST", "/oauth/revoke", response)
    if response.status_code >= 400:
        body = _error_body(response)
        message = str(body.get("reason") or body.get("message") or body.get("error") or "")
        if response.status_code >= 500 or response.status_code == 429:
            raise ZoomTemporaryError(_zoom_says(response.status_code, message), status=response.status_code)
        raise ZoomPermanentError(_zoom_says(response.status_code, message), status=response.status_code)


def _token_call(session: OAuth2Session, grant: str, call) -> dict:
    try:
        token = call()
    except requests.HTTPError as exc:
        response = exc.response
        status = response.status_code if response is not None else None
        _log_response("POST", f"/oauth/token ({grant})", response)
        raise ZoomTemporaryError(_zoom_says(status, ""), status=status) from None
    except requests.RequestException as exc:
        raise _connection_error(exc) from None
    except AuthlibBaseError as exc:
        response = session.last_token_response
        _log_response("POST", f"/oauth/token ({grant})", response)
        raise _token_endpoint_error(exc, response) from None
    except ValueError:
        response = session.last_token_response
        _log_response("POST", f"/oauth/token ({grant})", response)
        status = response.status_code if response is not None else None
        raise ZoomTemporaryError(_("Zoomから予期しない応答がありました。"), status=status) from None
    _log_response("POST", f"/oauth/token ({grant})", session.last_token_response)
    if not token.get("access_token"):
        raise ZoomTemporaryError(_("Zoomの応答にアクセストークンがありません。"))
    return token


def _token_endpoint_error(exc: AuthlibBaseError, response: requests.Response | None) -> ZoomError:
    status = response.status_code if response is not None else None
    body = _error_body(response) if response is not None else {}
    error = str(getattr(exc, "error", "") or body.get("error") or "")
    reason = str(body.get("reason") or getattr(exc, "description", "") or error)
    if error == "invalid_grant":
        return ZoomReauthorizationRequired(
            _("Zoomがトークンを受け付けませんでした（invalid_grant: %(reason)s）。") % {"reason": reason},
            status=status,
        )
    if error == "invalid_client":
        return ZoomPermanentError(
            _("Zoomのクライアント設定（ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET）が正しくありません。"),
            status=status,
        )
    if status is not None and (status == 429 or status >= 500):
        return ZoomTemporaryError(_zoom_says(status, reason), status=status)
    return ZoomPermanentError(
        _zoom_says(status, f"{error}: {reason}" if reason != error else error), status=status
    )


def _token_set(token: dict, *, default_refresh_token: str = "") -> TokenSet:
    try:
        expires_in = int(token.get("expires_in") or 3600)
    except (TypeError, ValueError):
        expires_in = 3600
    return TokenSet(
        access_token=str(token["access_token"]),
        refresh_token=str(token.get("refresh_token") or default_refresh_token),
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        scope=str(token.get("scope") or ""),
    )


# ---------------------------------------------------------------------------------------------------------
# REST API v2
# ---------------------------------------------------------------------------------------------------------

_local = threading.local()


def _api_session() -> requests.Session:
    # One keep-alive session per thread: requests.Session is not documented as thread-safe.
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["Accept"] = "application/json"
        # The environment's proxy (HTTPS_PROXY, NO_PROXY) and CA bundle (REQUESTS_CA_BUNDLE) are read once
        # here for the API's host instead of on every request (trust_env scans os.environ each time: about
        # 7% of an issuance task's CPU). No .netrc: the Authorization header is always ours.
        session.trust_env = False
        session.proxies.update(requests.utils.get_environ_proxies(settings.ZOOM_API_BASE_URL))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
        _local.session = session
    return session


def _send(
    method: str, path: str, *, access_token: str, params: dict | None = None, body: dict | None = None
) -> requests.Response:
    url = f"{settings.ZOOM_API_BASE_URL.rstrip('/')}{path}"
    headers = {"Authorization": f"Bearer {access_token}"}
    attempts = 2 if method == "GET" else 1
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            response = _api_session().request(
                method, url, params=params, json=body, headers=headers, timeout=_timeout()
            )
        except requests.RequestException as exc:
            if last or not isinstance(exc, requests.ConnectionError):
                raise _connection_error(exc) from None
            time.sleep(GET_RETRY_DELAY_SECONDS)
            continue
        _log_response(method, path, response)
        if last or response.status_code not in GET_RETRY_STATUSES:
            return response
        time.sleep(GET_RETRY_DELAY_SECONDS)
    raise AssertionError("unreachable")  # pragma: no cover


def _call(
    connection: ZoomConnection,
    method: str,
    path: str,
    *,
    params: dict | None = None,
    body: dict | None = None,
) -> requests.Response:
    """Send with a valid token; on 401 refresh once and retry once; raise the typed error on failure."""
    from zoom_integration import services  # services imports this module

    token = services.get_access_token(connection)
    response = _send(method, path, access_token=token, params=params, body=body)
    if response.status_code == 401:
        # 124 "Invalid access token" / "Access token is expired": the request was refused before Zoom
        # acted on it, so one retry after a refresh is safe even for a create.
        token = services.get_access_token(connection, rejected_token=token)
        response = _send(method, path, access_token=token, params=params, body=body)
        if response.status_code == 401:
            error = _api_error(response)
            services.mark_reauthorization_required(
                connection=connection, reason=error.message, cause="unauthorized"
            )
            raise ZoomReauthorizationRequired(error.message, status=401, code=error.code)
    if response.status_code == 400 and _zoom_code(response) == 4711:
        error = _api_error(response)
        message = _("Zoomアプリに必要なスコープが許可されていません（%(detail)s）。") % {
            "detail": error.message
        }
        services.mark_reauthorization_required(connection=connection, reason=message, cause="scope_missing")
        raise ZoomReauthorizationRequired(message, status=400, code=4711)
    if response.status_code >= 400:
        raise _api_error(response)
    return response


def _json(response: requests.Response) -> dict:
    if response.status_code == 204 or not response.content:
        return {}
    try:
        data = response.json()
    except ValueError:
        raise ZoomTemporaryError(
            _("Zoomから予期しない応答がありました（JSONではありません）。"), status=response.status_code
        ) from None
    if not isinstance(data, dict):
        raise ZoomTemporaryError(_("Zoomから予期しない応答がありました。"), status=response.status_code)
    return data


def _paged(connection: ZoomConnection, path: str, *, params: dict, key: str) -> list[dict]:
    items: list[dict] = []
    page_token = ""
    seen_tokens: set[str] = set()
    for _page in range(MAX_PAGES):
        query = {**params, "page_size": USERS_PAGE_SIZE}
        if page_token:
            query["next_page_token"] = page_token
        data = _json(_call(connection, "GET", path, params=query))
        items.extend(data.get(key) or [])
        page_token = str(data.get("next_page_token") or "")
        if not page_token or page_token in seen_tokens:
            return items
        seen_tokens.add(page_token)
    logger.warning("zoom: %s returned more than %s pages; stopped", path, MAX_PAGES)
    return items


def get_me(connection: ZoomConnection) -> dict:
    """The authorizing Zoom user, with ``account_id``."""
    return _json(_call(connection, "GET", "/users/me"))


def get_user_with_token(*, access_token: str, user_id: str = "me") -> dict:
    """GET /users/{user_id} with a token that is not stored yet (the OAuth callback). No refresh."""
    response = _send("GET", f"/users/{quote(user_id, safe='')}", access_token=access_token)
    if response.status_code == 400 and _zoom_code(response) == 4711:
        error = _api_error(response)
        raise ZoomReauthorizationRequired(
            _("Zoomアプリに必要なスコープが許可されていません（%(detail)s）。") % {"detail": error.message},
            status=400,
            code=4711,
        )
    if response.status_code == 401:
        error = _api_error(response)
        raise ZoomReauthorizationRequired(error.message, status=401, code=error.code)
    if response.status_code >= 400:
        raise _api_error(response)
    return _json(response)


def list_users(connection: ZoomConnection, *, status: str = "active") -> list[dict]:
    """Every user of the account with ``status`` (active, pending or inactive), all pages."""
    return _paged(connection, "/users", params={"status": status}, key="users")


def create_meeting(connection: ZoomConnection, *, host_id: str, body: dict) -> dict:
    """Create a meeting hosted by ``host_id`` (201 → the meeting). Never retried on 429/5xx/timeout."""
    response = _call(connection, "POST", f"/users/{quote(host_id, safe='')}/meetings", body=body)
    return _json(response)


def get_meeting(connection: ZoomConnection, *, meeting_id: int) -> dict:
    """The meeting, with a fresh ``start_url``."""
    return _json(_call(connection, "GET", f"/meetings/{int(meeting_id)}"))


def update_meeting(connection: ZoomConnection, *, meeting_id: int, body: dict) -> None:
    """PATCH the meeting (204, empty body)."""
    _call(connection, "PATCH", f"/meetings/{int(meeting_id)}", body=body)


def delete_meeting(connection: ZoomConnection, *, meeting_id: int) -> None:
    """Delete the meeting without mailing its registrants (204). A 404 raises ZoomNotFound."""
    _call(connection, "DELETE", f"/meetings/{int(meeting_id)}", params={"schedule_for_reminder": "false"})


def list_user_meetings(
    connection: ZoomConnection, *, host_id: str, meeting_type: str = "scheduled"
) -> list[dict]:
    """Every meeting of ``host_id`` of ``meeting_type``, all pages."""
    return _paged(
        connection,
        f"/users/{quote(host_id, safe='')}/meetings",
        params={"type": meeting_type},
        key="meetings",
    )


# ---------------------------------------------------------------------------------------------------------
# Error translation
# ---------------------------------------------------------------------------------------------------------


def _error_body(response: requests.Response | None) -> dict[str, Any]:
    if response is None or not response.content:
        return {}
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _zoom_code(response: requests.Response) -> int | None:
    code = _error_body(response).get("code")
    try:
        return int(code) if code is not None else None
    except (TypeError, ValueError):
        return None


def _zoom_says(status: int | None, message: str) -> str:
    detail = f"HTTP {status}" if status is not None else "HTTP ?"
    if message:
        detail = f"{detail}: {message}"
    return _("Zoomがリクエストを受け付けませんでした（%(detail)s）。") % {"detail": detail[:ERROR_TEXT_LIMIT]}


def _api_error(response: requests.Response) -> ZoomError:
    status = response.status_code
    body = _error_body(response)
    code = _zoom_code(response)
    message = str(body.get("message") or "")
    field_errors = body.get("errors")
    if isinstance(field_errors, list) and field_errors:
        details = "; ".join(
            f"{item.get('field', '')}: {item.get('message', '')}"
            for item in field_errors
            if isinstance(item, dict)
        )
        message = f"{message} ({details})" if message else details
    if not body and response.content:
        message = _("Zoomから予期しない形式のエラー応答がありました。")
    text = _zoom_says(status, f"{code} {message}".strip() if code is not None else message)
    if status == 429:
        if _is_daily_limit(response, message):
            return ZoomDailyLimitExceeded(text, status=status, code=code, retry_after=_next_utc_midnight())
        return ZoomTemporaryError(text, status=status, code=code, retry_after=_retry_after(response))
    if status >= 500:
        return ZoomTemporaryError(text, status=status, code=code, retry_after=_retry_after(response))
    if status == 404:
        return ZoomNotFound(text, status=status, code=code)
    if status == 401:
        return ZoomReauthorizationRequired(text, status=status, code=code)
    return ZoomPermanentError(text, status=status, code=code)


def _is_daily_limit(response: requests.Response, message: str) -> bool:
    limit_type = response.headers.get("X-RateLimit-Type", "")
    return limit_type.lower() == "daily-limit" or "daily rate limit" in message.lower()


def _next_utc_midnight() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def _retry_after(response: requests.Response) -> datetime | None:
    """Retry-After as Zoom documents it (an ISO-8601 date-time), or seconds, or an HTTP date."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return datetime.now(UTC) + timedelta(seconds=int(value))
    for parse in (datetime.fromisoformat, parsedate_to_datetime):
        try:
            moment = parse(value)
        except (TypeError, ValueError, IndexError):
            continue
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return None


def _connection_error(exc: requests.RequestException) -> ZoomTemporaryError:
    if isinstance(exc, requests.Timeout):
        return ZoomTemporaryError(_("Zoomからの応答がタイムアウトしました。"))
    # Only the exception's class: its text can carry the URL (never a token, but keep logs short).
    logger.warning("zoom: connection failed: %s", type(exc).__name__)
    return ZoomTemporaryError(_("Zoomに接続できませんでした。"))


def _log_response(method: str, path: str, response: requests.Response | None) -> None:
    # Method, path (ids only, no query string) and status: never headers or bodies (tokens).
    if response is None:
        return
    level = logging.INFO if response.status_code < 400 else logging.WARNING
    logger.log(level, "zoom: %s %s -> %s", method, path, response.status_code)
