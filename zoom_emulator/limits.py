"""Rate limits (https://developers.zoom.us/docs/api/rate-limits/) and fault injection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from emulator_kit.wire import Request, Response, html_response, iso_z

from .config import FREE_DAILY_CAPS, FaultRule
from .wire import api_error, json_response

if TYPE_CHECKING:
    from .core import Emulator

# Rate-limit category of each endpoint.
CATEGORIES = {
    "list_users": "medium",
    "get_user": "light",
    "create_meeting": "medium",
    "get_meeting": "light",
    "update_meeting": "light",
    "delete_meeting": "light",
    "list_meetings": "medium",
}
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
HOST_DAILY_MESSAGE = (
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests permitted "
    "for this particular user. You may resume these requests at GMT 00:00:00."
)
ACCOUNT_DAILY_MESSAGE = (
    "You have reached the maximum daily rate limit for this API. Refer to the response header for details on "
    "when you can make another request."
)
FAULT_MESSAGES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
HTML_ERROR = (
    "<html>\r\n<head><title>{status} {text}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {text}</h1></center>\r\n"
    "<hr><center>zoom</center>\r\n</body>\r\n</html>\r\n"
)


def utc_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")


def next_midnight(ts: float) -> float:
    day = datetime.fromtimestamp(ts, tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (day + timedelta(days=1)).timestamp()


class LimitsMixin:
    """Per-second limits by category, Free-plan daily caps, the per-host daily create/update limit, faults."""

    def check_rate_limits(self: Emulator, endpoint: str) -> Response | None:
        category = CATEGORIES[endpoint]
        label = category.capitalize()
        limit = self.config.per_second_limits()[category]
        now = self.now()
        second = int(now)
        window, used = self._qps.get(category, (second, 0))
        if window != second:
            used = 0
        if used >= limit:
            return self._rate_limited(
                endpoint,
                "QPS",
                {
                    "X-RateLimit-Category": label,
                    "X-RateLimit-Type": "QPS",
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": iso_z(second + 1),
                },
                QPS_MESSAGE,
            )
        self._qps[category] = (second, used + 1)
        if self.config.plan == "free":
            key = f"account|{category}|{utc_day(now)}"
            cap = FREE_DAILY_CAPS[category]
            counts = self.state["daily_counts"]
            if counts.get(key, 0) >= cap:
                return self._rate_limited(
                    endpoint,
                    "Daily-limit",
                    {
                        "X-RateLimit-Category": label,
                        "X-RateLimit-Type": "Daily-limit",
                        "X-RateLimit-Limit": str(cap),
                        "X-RateLimit-Remaining": "0",
                        "Retry-After": iso_z(next_midnight(now)),
                    },
                    ACCOUNT_DAILY_MESSAGE,
                )
            counts[key] = counts.get(key, 0) + 1
        return None

    def count_host_daily(self: Emulator, endpoint: str, host_id: str) -> Response | dict[str, str]:
        """Per host: at most ``daily_limit`` meeting creates + updates per UTC day. Returns the 429 or the
        rate-limit headers for the successful answer."""
        now = self.now()
        day = utc_day(now)
        counts = self.state["daily_counts"]
        for key in [k for k in counts if not k.endswith(day)]:
            del counts[key]
        key = f"{host_id}|{day}"
        limit = self.config.daily_limit
        category = CATEGORIES[endpoint].capitalize()
        if counts.get(key, 0) >= limit:
            headers = {
                "X-RateLimit-Category": category,
                "X-RateLimit-Type": "Daily-limit",
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
            }
            if self.config.daily_limit_retry_after:
                headers["Retry-After"] = iso_z(next_midnight(now))
            return self._rate_limited(
                endpoint, "Daily-limit", headers, HOST_DAILY_MESSAGE.format(limit=limit)
            )
        counts[key] = counts.get(key, 0) + 1
        return {
            "X-RateLimit-Category": category,
            "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - counts[key]),
        }

    def _rate_limited(
        self: Emulator, endpoint: str, kind: str, headers: dict[str, str], message: str
    ) -> Response:
        stats = self.state["stats"]
        stats["rate_limited"][endpoint] = stats["rate_limited"].get(endpoint, 0) + 1
        stats["rate_limited_by_type"][kind] = stats["rate_limited_by_type"].get(kind, 0) + 1
        return json_response(429, {"code": 429, "message": message}, headers)

    # ---- faults ---------------------------------------------------------------------------------------
    def fault_response(self: Emulator, req: Request, endpoint: str, rule: FaultRule) -> Response:
        transport = self.transport_fault(endpoint, rule)
        if transport is not None:
            return transport
        status = self.rng.choice(rule.statuses())
        text = FAULT_MESSAGES.get(status, "Error")
        if rule.mode == "html":
            return html_response(status, HTML_ERROR.format(status=status, text=text))
        return api_error(status, status, text)
