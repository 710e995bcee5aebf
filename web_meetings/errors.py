"""What a web-meeting service answered, in terms every provider maps its vendor's errors to.

Scheduling's issuance acts on these classes only: wait for the link (``NotLinked``,
``ReauthorizationRequired``), wait for the day's budget (``DailyLimitExceeded``), retry with backoff
(``TemporaryError``, at least until ``retry_after``), or fail the slot with the message (``PermanentError``;
``NotFound`` for a meeting or host the service no longer has). A provider's own classes subclass them
(e.g. ``ZoomNotFound``).
"""

from __future__ import annotations

from datetime import datetime


class MeetingServiceError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after


class ReauthorizationRequired(MeetingServiceError):
    """The link no longer works (token revoked, app removed): an admin must authorize again."""


class TemporaryError(MeetingServiceError):
    """Try again later (5xx, timeout, 429); the call may have taken effect unless ``status`` is 429."""


class DailyLimitExceeded(TemporaryError):
    """The host's quota for the day is used up; it resets at ``retry_after``."""


class PermanentError(MeetingServiceError):
    """Refused (4xx): the same call will fail again."""


class NotFound(PermanentError):
    """The meeting (or the host) does not exist at the service."""


class NotLinked(PermanentError):
    """The company has no usable link to the service."""
