"""A tiny scripted browser for the emulator's own pages: what ``approve()`` uses to sign in and click
Allow/Deny on the authorize page, through whichever transport the caller has."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html import unescape
from urllib.parse import urlencode, urljoin, urlsplit

# send(method, path, query, headers, body) -> (status, headers, body)
Send = Callable[[str, str, str, Mapping[str, str], bytes], tuple[int, Mapping[str, str], bytes]]


class ApprovalError(RuntimeError):
    """The authorize page did not lead to a redirect (bad client_id / redirect_uri, non-admin, bad login)."""


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_MESSAGE = re.compile(r"<h1>(.*?)</h1>(?:<p>(.*?)</p>)?", re.S)


class Browser:
    def __init__(self, send: Send) -> None:
        self.send = send
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, url: str, form: Mapping[str, str] | None = None
    ) -> tuple[int, Mapping[str, str], str]:
        parts = urlsplit(url)
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, response_headers, raw = self.send(method, parts.path or "/", parts.query, headers, body)
        lowered = {k.lower(): v for k, v in response_headers.items()}
        cookie = lowered.get("set-cookie")
        if cookie:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return status, lowered, raw.decode("utf-8", "replace")


def approve(send: Send, authorize_url: str, *, email: str, password: str, deny: bool = False) -> str:
    """Open authorize_url, sign in as ``email`` and click Allow (or Deny); return the redirect URL."""
    browser = Browser(send)
    status, headers, html = browser.request("GET", authorize_url)
    if status == 200 and 'action="/signin"' in html:
        form = dict(_HIDDEN.findall(html))
        form = {k: unescape(v) for k, v in form.items()}
        form.update(email=email, password=password)
        status, headers, html = browser.request("POST", "/signin", form)
        if status != 302:
            raise ApprovalError(_page_message(html) or f"sign-in failed ({status})")
        status, headers, html = browser.request("GET", urljoin(authorize_url, headers["location"]))
    if status != 200 or 'name="decision"' not in html:
        if status == 302:
            return headers["location"]
        raise ApprovalError(_page_message(html) or f"authorize page answered {status}")
    form = {k: unescape(v) for k, v in _HIDDEN.findall(html)}
    form["decision"] = "deny" if deny else "allow"
    status, headers, html = browser.request("POST", "/oauth/authorize", form)
    if status != 302:
        raise ApprovalError(_page_message(html) or f"consent answered {status}")
    return headers["location"]


def _page_message(html: str) -> str:
    error = re.search(r'<div class="error">(.*?)</div>', html, re.S)
    if error:
        return unescape(error.group(1))
    found = _MESSAGE.search(html)
    if not found:
        return ""
    return unescape(" ".join(part for part in found.groups() if part))
