"""``approve()``: sign in and click 許可 (Allow) or キャンセル (Cancel) on the consent screen with the shared
scripted browser (``emulator_kit.browser``), through whichever transport the caller has."""

from __future__ import annotations

import re
from html import unescape

from emulator_kit import browser as kit
from emulator_kit.browser import ApprovalError, Send, hidden_fields, open_signed_in, page_message

_DECISION_FORM = re.compile(r'<form method="post" action="([^"]+)" class="row">(.*?)</form>', re.S)


def approve(send: Send, url: str, *, email: str, password: str, deny: bool = False) -> str:
    """Open an authorization URL, sign in as ``email`` and allow (or cancel); return the redirect URL
    (redirect_uri?state=...&code=... or ?error=access_denied...)."""
    browser = kit.Browser(send)
    status, headers, html = open_signed_in(browser, url, email=email, password=password)
    if status == 302:
        return headers["location"]  # granted earlier: straight back to the app
    found = _DECISION_FORM.search(html)
    if status != 200 or not found or 'name="decision"' not in found.group(2):
        raise ApprovalError(page_message(html) or f"the prompt answered {status}")
    form = hidden_fields(found.group(2))
    form["decision"] = "deny" if deny else "allow"
    status, headers, html = browser.request("POST", unescape(found.group(1)), form)
    if status != 302:
        raise ApprovalError(page_message(html) or f"consent answered {status}")
    return headers["location"]


__all__ = ["ApprovalError", "Send", "approve", "page_message"]
