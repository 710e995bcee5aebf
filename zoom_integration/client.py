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
    delete_meeting(connection, *, meeting_id: int) -> None                   # 204
    list_user_meetings(connection, *, host_id: str, meeting_type: str = "scheduled") -> list[dict]

OAuth helpers (used by zoom_integration.services only):
    authorization_url(*, redirect_uri, state, code_verifier) -> str
    exchange_code(*, code, redirect_uri, code_verifier) -> TokenSet
    refresh_tokens(*, refresh_token) -> TokenSet
    revoke_token(*, token) -> None
"""

from __future__ import annotations

from datetime import datetime


class ZoomError(Exception):
    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class ZoomReauthorizationRequired(ZoomError):
    pass


class ZoomTemporaryError(ZoomError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: datetime | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class ZoomDailyLimitExceeded(ZoomTemporaryError):
    pass


class ZoomPermanentError(ZoomError):
    pass


class ZoomNotFound(ZoomPermanentError):
    pass


class ZoomNotLinked(ZoomPermanentError):
    pass
