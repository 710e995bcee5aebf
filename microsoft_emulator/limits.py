"""Throttling (https://learn.microsoft.com/graph/throttling) and fault injection."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from emulator_kit.wire import Request, Response, html_response

from .config import FaultRule
from .wire import graph_error

if TYPE_CHECKING:
    from .core import Emulator

FAULT_CODES = {
    500: ("generalException", "General exception while processing."),
    502: ("BadGateway", "Bad Gateway"),
    503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("UnknownError", "Gateway Timeout"),
}
HTML_ERROR = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
    "\r\n<html><head><title>{status} - Service unavailable</title></head>\r\n"
    "<body><h1>Server Error</h1><h2>{status} - {text}</h2></body></html>\r\n"
)


class LimitsMixin:
    """Outlook's per-app, per-mailbox window (10,000 requests / 10 minutes) and configurable faults."""

    def check_throttle(
        self: Emulator, req: Request, endpoint: str, token: dict, mailbox: str
    ) -> Response | None:
        now = self.now()
        window = float(self.config.throttle_window)
        key = f"{token['client_id']}|{token['tenant_id']}|{mailbox.lower()}"
        counters = self.state["throttle"]
        started, used = counters.get(key, (now, 0))
        if now - started >= window:
            started, used = now, 0
        if used >= self.config.throttle_limit:
            retry_after = max(1, math.ceil(started + window - now))
            return self.throttled(req, endpoint, retry_after, mailbox=mailbox != "directory")
        counters[key] = (started, used + 1)
        return None

    def throttled(
        self: Emulator, req: Request, endpoint: str, retry_after: int, *, mailbox: bool = True
    ) -> Response:
        stats = self.state["stats"]["throttled"]
        stats[endpoint] = stats.get(endpoint, 0) + 1
        if mailbox:
            code, message = "ApplicationThrottled", "Application is over its MailboxConcurrency limit."
        else:
            code, message = "TooManyRequests", "Too many requests."
        return graph_error(
            429,
            code,
            message,
            now=self.now(),
            client_request_id=req.headers.get("client-request-id"),
            headers={"Retry-After": str(retry_after)},
        )

    # ---- faults ---------------------------------------------------------------------------------------
    def fault_response(self: Emulator, req: Request, endpoint: str, rule: FaultRule) -> Response:
        transport = self.transport_fault(endpoint, rule)
        if transport is not None:
            return transport
        if rule.mode == "throttle":
            return self.throttled(req, endpoint, int(rule.retry_after))
        status = self.rng.choice(rule.statuses())
        code, text = FAULT_CODES.get(status, ("UnknownError", "Error"))
        if rule.mode == "html":
            return html_response(status, HTML_ERROR.format(status=status, text=text))
        if endpoint.startswith("token_"):
            return self.aad_error("temporarily_unavailable", 50196 if status == 503 else 90033, text, status)
        return graph_error(
            status, code, text, now=self.now(), client_request_id=req.headers.get("client-request-id")
        )
