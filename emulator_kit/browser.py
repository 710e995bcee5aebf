"""A tiny scripted browser for an emulator's own HTML pages (sign-in, consent prompts), through whichever
transport the caller has: the in-process ``Emulator.handle``, the Django test client's, or HTTP. Each
emulator's ``approve()`` drives it through that vendor's prompts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html import unescape
from urllib.parse import urlencode, urljoin, urlsplit

# send(method, path, query, headers, body) -> (status, headers, body)
Send = Callable[[str, str, str, Mapping[str, str], bytes], tuple[int, Mapping[str, str], bytes]]

HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_MESSAGE = re.compile(r"<h1>(.*?)</h1>(?:<p>(.*?)</p>)?", re.S)


class ApprovalError(RuntimeError):
    """The prompt did not lead to a redirect (bad client_id / redirect_uri, non-admin, bad login)."""


class Browser:
    """Keeps cookies across requests; answers come back as (status, lower-cased headers, text)."""

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


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page (unescaped), as a form to post back."""
    return {k: unescape(v) for k, v in HIDDEN_INPUT.findall(html)}


def page_message(html: str) -> str:
    """The error box, or the heading and first paragraph, of an emulator page."""
    error = re.search(r'<div class="error">(.*?)</div>', html, re.S)
    if error:
        return unescape(error.group(1))
    found = _MESSAGE.search(html)
    if not found:
        return ""
    return unescape(" ".join(part for part in found.groups() if part))


def open_signed_in(
    browser: Browser, url: str, *, email: str, password: str
) -> tuple[int, Mapping[str, str], str]:
    """GET ``url``; when it shows the sign-in form, sign in as ``email`` and follow the redirect back.
    Returns the final (status, headers, html)."""
    status, headers, html = browser.request("GET", url)
    if status == 200 and 'action="/signin"' in html:
        form = hidden_fields(html)
        form.update(email=email, password=password)
        status, headers, html = browser.request("POST", "/signin", form)
        if status != 302:
            raise ApprovalError(page_message(html) or f"sign-in failed ({status})")
        status, headers, html = browser.request("GET", urljoin(url, headers["location"]))
    return status, headers, html
