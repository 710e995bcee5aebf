"""The only module that speaks HTTP to Google (OAuth 2.0 endpoints and the Calendar API v3).

Errors — every failure raises one of these (web_meetings.errors subclasses), never a requests exception:
    GoogleError                     base; .status, .reason (Google's error reason), .message
    GoogleReauthorizationRequired   the host's grant is unusable until they connect again (invalid_grant on
                                    refresh; 401 after a fresh token; 403 insufficientPermissions)
    GoogleTemporaryError            retry later: 429 and 403 rateLimitExceeded / userRateLimitExceeded /
                                    quotaExceeded (.retry_after from Retry-After when given), 5xx, timeouts,
                                    connection errors
    GooglePermanentError            do not retry; show the message (other 4xx)
    GoogleNotFound                  404 notFound / 410 deleted
    GoogleSyncTokenExpired          410 fullSyncRequired on a list with a sync token (list everything again)
    GoogleNotLinked                 no usable link (raised before any HTTP call)

Tokens and the client secret never appear in logs or exception messages; every request has a timeout.
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

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events"
SCOPES = f"openid email {CALENDAR_SCOPE}"
MAX_PAGES = 1000
ERROR_TEXT_LIMIT = 300
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


class GoogleError(MeetingServiceError):
    reason: str = ""


class GoogleReauthorizationRequired(GoogleError, ReauthorizationRequired):
    pass


class GoogleTemporaryError(GoogleError, TemporaryError):
    pass


class GooglePermanentError(GoogleError, PermanentError):
    pass


class GoogleNotFound(GooglePermanentError, NotFound):
    pass


class GoogleSyncTokenExpired(GooglePermanentError):
    pass


class GoogleNotLinked(GooglePermanentError, NotLinked):
    pass


@dataclass(frozen=True)
class Tokens:
    """A token endpoint answer. repr() hides the tokens so they never reach a log or a traceback."""

    access_token: str = field(repr=False)
    expires_at: datetime
    refresh_token: str = field(default="", repr=False)
    scope: str = ""
    email: str = ""
    sub: str = ""


def _timeout() -> tuple[float, float]:
    read = float(settings.GOOGLE_HTTP_TIMEOUT)
    return (min(5.0, read), read)


def _send(method: str, url: str, **kwargs: Any) -> requests.Response:
    """One HTTP request; transport failures become GoogleTemporaryError (no query or token in it)."""
    try:
        return requests.request(method, url, timeout=_timeout(), allow_redirects=False, **kwargs)
    except requests.Timeout:
        logger.warning("google: %s %s timed out", method, url.split("?")[0])
        raise GoogleTemporaryError(_("Googleの応答がタイムアウトしました。")) from None
    except requests.RequestException as exc:
        logger.warning("google: %s %s failed (%s)", method, url.split("?")[0], type(exc).__name__)
        raise GoogleTemporaryError(_("Googleに接続できませんでした。")) from None


# ---------------------------------------------------------------------------------------------------------
# OAuth 2.0 (https://developers.google.com/identity/protocols/oauth2/web-server)
# ---------------------------------------------------------------------------------------------------------


def authorization_url(*, redirect_uri: str, state: str, code_challenge: str, login_hint: str = "") -> str:
    params = {
        "client_id": settings.GOOGLE_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": SCOPES,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
    }
    if login_hint:
        params["login_hint"] = login_hint
    return f"{settings.GOOGLE_OAUTH_BASE_URL.rstrip('/')}/o/oauth2/v2/auth?" + urlencode(params)


def _token_request(form: dict[str, str]) -> dict[str, Any]:
    body = {"client_id": settings.GOOGLE_CLIENT_ID, "client_secret": settings.GOOGLE_CLIENT_SECRET, **form}
    response = _send("POST", settings.GOOGLE_TOKEN_URL, data=body, headers={"Accept": "application/json"})
    data = json_object(response)
    if response.status_code == 200 and data.get("access_token"):
        return data
    raise _token_error(response, data)


def _token_error(response: requests.Response, data: dict[str, Any]) -> GoogleError:
    error = str(data.get("error") or "")
    status = response.status_code
    description = str(data.get("error_description") or "")[:ERROR_TEXT_LIMIT]
    logger.warning("google: token endpoint answered %s %s", status, error or "-")
    exc: GoogleError
    if status >= 500 or status == 429 or error in ("temporarily_unavailable", "internal_failure"):
        exc = GoogleTemporaryError(
            _("Googleの認証サービスが一時的に利用できません。"),
            status=status,
            retry_after=retry_after(response),
        )
    elif error == "invalid_grant":
        exc = GoogleReauthorizationRequired(
            _(
                "Googleアカウントの連携が取り消されたか、期限が切れました。"
                "ホストがGoogleアカウントを連携し直してください。（%(detail)s）"
            )
            % {"detail": description or error},
            status=status,
        )
    elif error == "invalid_client":
        exc = GooglePermanentError(
            _(
                "GoogleがOAuthクライアントIDまたはシークレットを受け付けませんでした"
                "（GOOGLE_CLIENT_SECRET を確認してください）。"
            ),
            status=status,
        )
    else:
        exc = GooglePermanentError(
            _("Googleがトークンの発行を拒否しました（%(detail)s）。")
            % {"detail": description or error or status},
            status=status,
        )
    exc.reason = error
    return exc


def _tokens(data: dict[str, Any]) -> Tokens:
    try:
        lifetime = int(data.get("expires_in") or 3599)
    except (TypeError, ValueError):
        lifetime = 3599
    claims = token_claims(str(data.get("id_token") or ""))
    return Tokens(
        access_token=str(data["access_token"]),
        refresh_token=str(data.get("refresh_token") or ""),
        expires_at=datetime.now(UTC) + timedelta(seconds=lifetime),
        scope=str(data.get("scope") or ""),
        email=str(claims.get("email") or ""),
        sub=str(claims.get("sub") or ""),
    )


def exchange_code(*, code: str, redirect_uri: str, code_verifier: str) -> Tokens:
    data = _token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
    )
    return _tokens(data)


def refresh(*, refresh_token: str) -> Tokens:
    """A new access token (Google's refresh tokens do not rotate: no new refresh token)."""
    return _tokens(_token_request({"grant_type": "refresh_token", "refresh_token": refresh_token}))


def revoke(token: str) -> bool:
    """Best effort: revoke the whole grant at Google (the revoke endpoint beside the token endpoint)."""
    url = settings.GOOGLE_TOKEN_URL.rstrip("/")
    url = url[: -len("/token")] + "/revoke" if url.endswith("/token") else url + "/revoke"
    try:
        response = _send("POST", url, data={"token": token})
    except GoogleTemporaryError:
        return False
    return response.status_code == 200


# ---------------------------------------------------------------------------------------------------------
# Calendar API v3
# ---------------------------------------------------------------------------------------------------------


def _api_error(response: requests.Response) -> GoogleError:
    status = response.status_code
    body = json_object(response).get("error")
    error = body if isinstance(body, dict) else {}
    items = error.get("errors") if isinstance(error.get("errors"), list) else []
    first = items[0] if items and isinstance(items[0], dict) else {}
    reason = str(first.get("reason") or "")
    message = str(error.get("message") or "")[:ERROR_TEXT_LIMIT]
    logger.warning("google calendar: %s %s", status, reason or "-")
    exc: GoogleError
    if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS):
        exc = GoogleTemporaryError(
            _("Google Calendar APIの呼び出し回数の上限に達しました。しばらく待って再試行します。"),
            status=status,
            retry_after=retry_after(response),
        )
    elif status >= 500:
        exc = GoogleTemporaryError(
            _("Google Calendar APIが一時的に利用できません（%(status)s）。") % {"status": status},
            status=status,
            retry_after=retry_after(response),
        )
    elif status == 410 and reason == "fullSyncRequired":
        exc = GoogleSyncTokenExpired(message or "full sync required", status=410)
    elif status in (404, 410):
        exc = GoogleNotFound(message or _("Googleカレンダーに予定が見つかりません。"), status=status)
    elif status == 401:
        exc = GoogleReauthorizationRequired(
            _(
                "Googleがアクセストークンを受け付けませんでした。ホストがGoogleアカウントを連携し直してください。"
            ),
            status=401,
        )
    elif status == 403 and reason in ("insufficientPermissions", "forbidden", "accessNotConfigured"):
        exc = GoogleReauthorizationRequired(
            _(
                "Googleカレンダーへのアクセス許可が不足しています（%(reason)s）。"
                "ホストがGoogleアカウントを連携し直してください。"
            )
            % {"reason": reason},
            status=403,
        )
    else:
        exc = GooglePermanentError(
            _("Google Calendar APIが要求を拒否しました（%(status)s %(reason)s）: %(message)s")
            % {"status": status, "reason": reason or "-", "message": message or "-"},
            status=status,
        )
    exc.reason = reason
    return exc


class Calendar:
    """Calendar API calls with one grant's access token. ``get_token(rejected)`` hands out a token
    (``rejected``: Google answered 401 to it, refresh); a second 401 calls ``on_reauthorization``."""

    def __init__(
        self,
        get_token: Callable[[str | None], str],
        *,
        on_reauthorization: Callable[[GoogleReauthorizationRequired], None] | None = None,
    ) -> None:
        self._get_token = get_token
        self._on_reauthorization = on_reauthorization

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = f"{settings.GOOGLE_CALENDAR_BASE_URL.rstrip('/')}{path}"
        token = self._get_token(None)
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            response = _send(method, url, params=params, json=body, headers=headers)
            if response.status_code == 401 and attempt == 1:
                token = self._get_token(token)
                continue
            if response.status_code >= 400:
                exc = _api_error(response)
                if isinstance(exc, GoogleReauthorizationRequired) and self._on_reauthorization is not None:
                    self._on_reauthorization(exc)
                raise exc
            return json_object(response) if response.content else {}
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(self, path: str, *, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every page of a list (items + the last page's nextSyncToken), following nextPageToken."""
        query = dict(params)
        for _page in range(MAX_PAGES):
            data = self.request("GET", path, params=query)
            yield data
            next_page = data.get("nextPageToken")
            if not next_page:
                return
            query = {**params, "pageToken": str(next_page)}
        raise GoogleTemporaryError(_("Google Calendar APIのページングが終わりませんでした。"))


def event_path(event_id: str | None = None) -> str:
    path = "/calendars/primary/events"
    return f"{path}/{quote(event_id, safe='')}" if event_id else path
