"""Calendar API usage limits (https://developers.google.com/calendar/api/guides/quota): a per-user and a
per-project request quota in a window, answered as Google does (403 userRateLimitExceeded / 429
rateLimitExceeded, 403 rateLimitExceeded), and fault injection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator_kit.wire import Request, Response, html_response

from .config import FaultRule
from .wire import api_error, oauth_error

if TYPE_CHECKING:
    from .core import Emulator

RATE_MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
}
FAULT_MESSAGES = {
    500: ("backendError", "Backend Error"),
    502: ("backendError", "Bad Gateway"),
    503: ("backendError", "The service is currently unavailable."),
    504: ("backendError", "Deadline exceeded."),
}
HTML_ERROR = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
    "  <title>Error {status} (Server Error)!!1</title>\n"
    "  <p><b>{status}.</b> <ins>That's an error.</ins>\n"
    "  <p>The server encountered a temporary error and could "
    "not complete your request.<p>Please try again in 30 seconds.  <ins>That's all we know.</ins>\n"
)


def rate_limited(status: int, reason: str) -> Response:
    if status == 429:
        reason = "rateLimitExceeded"
    return api_error(status, reason, RATE_MESSAGES[reason], domain="usageLimits")


class LimitsMixin:
    """Quotas and faults. Mixed into Emulator; run under its lock."""

    def check_quota(self: Emulator, endpoint: str, token: dict[str, Any]) -> Response | None:
        now = self.now()
        window = float(self.config.quota_window)
        checks = (
            (f"user|{token['client_id']}|{token['user_id']}", int(self.config.user_quota), True),
            (f"project|{token['client_id']}", int(self.config.project_quota), False),
        )
        counters = self.state["quota"]
        for key, limit, per_user in checks:
            if not limit:
                continue
            started, used = counters.get(key, (now, 0))
            if now - started >= window:
                started, used = now, 0
            if used >= limit:
                self.count("rate_limited", endpoint)
                if per_user:
                    status = int(self.config.user_quota_status)
                    return rate_limited(status, "userRateLimitExceeded")
                return rate_limited(403, "rateLimitExceeded")
            counters[key] = (started, used + 1)
        return None

    def fault_response(self: Emulator, req: Request, endpoint: str, rule: FaultRule) -> Response:
        transport = self.transport_fault(endpoint, rule)
        if transport is not None:
            return transport
        token_endpoint = endpoint.startswith("token_") or endpoint in ("revoke", "tokeninfo")
        if rule.mode == "rate_limit":
            self.count("rate_limited", endpoint)
            status = 429 if 429 in rule.statuses() else 403
            if token_endpoint:
                return oauth_error("rate_limit_exceeded", "Rate Limit Exceeded", 429)
            return rate_limited(status, rule.reason)
        status = self.rng.choice(rule.statuses())
        reason, message = FAULT_MESSAGES.get(status, ("backendError", "Backend Error"))
        if rule.mode == "html":
            return html_response(status, HTML_ERROR.format(status=status))
        if token_endpoint:
            error = "temporarily_unavailable" if status == 503 else "internal_failure"
            return oauth_error(error, message, status)
        return api_error(status, reason, message)
