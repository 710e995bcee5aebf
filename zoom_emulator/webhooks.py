"""Zoom webhook signing and payloads.

Signature (https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events):
    x-zm-signature = "v0=" + hex(HMAC-SHA256(secret_token, "v0:" + timestamp + ":" + raw_body))
URL validation answer: {"plainToken": p, "encryptedToken": hex(HMAC-SHA256(secret_token, p))}.
Bodies are compact JSON with non-ASCII kept as UTF-8, so re-serializing them on the receiving side breaks
the signature, as it does with Zoom.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from emulator_kit.wire import dumps

USER_AGENT = "Zoom Marketplace/1.0a"


def signature(secret_token: str, timestamp: int | str, body: bytes | str) -> str:
    raw = body if isinstance(body, bytes) else body.encode()
    message = b"v0:" + str(timestamp).encode() + b":" + raw
    return "v0=" + hmac.new(secret_token.encode(), message, hashlib.sha256).hexdigest()


def encrypted_token(secret_token: str, plain_token: str) -> str:
    return hmac.new(secret_token.encode(), plain_token.encode(), hashlib.sha256).hexdigest()


def signed_headers(secret_token: str, timestamp: int, body: bytes, tracking_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "x-zm-request-timestamp": str(timestamp),
        "x-zm-signature": signature(secret_token, timestamp, body),
        "x-zm-trackingid": tracking_id,
    }


def url_validation_body(plain_token: str, event_ts: int) -> str:
    # Key order as Zoom sends it (Zoom's webhook test vector): event, payload, event_ts.
    return dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": plain_token}, "event_ts": event_ts}
    )


def event_body(event: str, event_ts: int, payload: dict[str, Any]) -> str:
    return dumps({"event": event, "event_ts": event_ts, "payload": payload})


def deauthorization_payload(
    *, account_id: str, user_id: str, client_id: str, client_secret: str, deauthorization_time: str
) -> dict[str, Any]:
    """app_deauthorized payload. ``signature`` (an HMAC of the other fields under the client secret) stands in
    for the value Zoom computes for its retired Data Compliance API; receivers should not rely on it."""
    unsigned = {"account_id": account_id, "user_id": user_id, "deauthorization_time": deauthorization_time}
    sig = hmac.new(client_secret.encode(), dumps(unsigned).encode(), hashlib.sha256).hexdigest()
    return {
        "account_id": account_id,
        "user_id": user_id,
        "signature": sig,
        "deauthorization_time": deauthorization_time,
        "client_id": client_id,
    }
