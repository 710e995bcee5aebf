"""The client's address as the site sees it, behind the number of reverse proxies the settings trust."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip().strip("[]")))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the client that connected to the outermost trusted proxy.

    Each proxy appends the address it was connected from to X-Forwarded-For, so with ``TRUSTED_PROXY_COUNT``
    proxies the client is that many entries from the right of the chain (the header's entries followed by
    the connection's own address). Entries further left were written by the client and are never read.
    With no trusted proxy, or a chain shorter than expected, the connection's address is the answer.
    """
    if request is None:
        return None
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if not trusted or remote is None:
        return remote
    forwarded = [item for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if item.strip()]
    chain = [*forwarded, remote]
    if len(chain) <= trusted:
        return remote
    return _valid(chain[-1 - trusted]) or remote
