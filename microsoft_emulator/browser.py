"""A tiny scripted browser for the emulator's own pages: what ``approve()`` uses to sign in and click
承諾 (Accept) or キャンセル (Cancel) on the consent prompts, through whichever transport the caller has."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html import unescape
from urllib.parse import urlencode, urljoin, urlsplit

# send(method, path, query, headers, body) -> (status, headers, body)
Send = Callable[[str, str, str, Mapping[str, str], bytes], tuple[int, Mapping[str, str], bytes]]


class ApprovalError(RuntimeError):
    """The prompt did not lead to a redirect (bad client_id / redirect_uri, non-admin, wrong password)."""


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_DECISION_FORM = re.compile(r'<form method="post" action="([^"]+)" class="row">(.*?)</form>', re.S)
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

    def sign_in(self, email: str, password: str, next_url: str = "/") -> None:
        status, _, html = self.request(
            "POST", "/signin", {"email": email, "password": password, "next": next_url}
        )
        if status != 302:
            raise ApprovalError(page_message(html) or f"sign-in failed ({status})")


def approve(send: Send, url: str, *, email: str, password: str, deny: bool = False) -> str:
    """Open an authorize or adminconsent URL, sign in as ``email`` and accept (or cancel); return the
    redirect URL (redirect_uri?code=... / ?admin_consent=True... / ?error=access_denied...)."""
    browser = Browser(send)
    status, headers, html = browser.request("GET", url)
    if status == 200 and 'action="/signin"' in html:
        form = {k: unescape(v) for k, v in _HIDDEN.findall(html)}
        form.update(email=email, password=password)
        status, headers, html = browser.request("POST", "/signin", form)
        if status != 302:
            raise ApprovalError(page_message(html) or f"sign-in failed ({status})")
        status, headers, html = browser.request("GET", urljoin(url, headers["location"]))
    if status == 302:
        return headers["location"]  # consent given earlier: straight back to the app
    found = _DECISION_FORM.search(html)
    if status != 200 or not found or 'name="decision"' not in found.group(2):
        raise ApprovalError(page_message(html) or f"the prompt answered {status}")
    form = {k: unescape(v) for k, v in _HIDDEN.findall(found.group(2))}
    form["decision"] = "deny" if deny else "allow"
    status, headers, html = browser.request("POST", unescape(found.group(1)), form)
    if status != 302:
        raise ApprovalError(page_message(html) or f"consent answered {status}")
    return headers["location"]


def page_message(html: str) -> str:
    error = re.search(r'<div class="error">(.*?)</div>', html, re.S)
    if error:
        return unescape(error.group(1))
    found = _MESSAGE.search(html)
    if not found:
        return ""
    return unescape(" ".join(part for part in found.groups() if part))
