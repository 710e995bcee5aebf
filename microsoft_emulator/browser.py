"""``approve()``: sign in and click 承諾 (Accept) or キャンセル (Cancel) on the consent prompts with the
shared scripted browser (``emulator_kit.browser``), through whichever transport the caller has."""

from __future__ import annotations

import re
from html import unescape

from emulator_kit import browser as kit
from emulator_kit.browser import ApprovalError, Send, hidden_fields, open_signed_in, page_message

_DECISION_FORM = re.compile(r'<form method="post" action="([^"]+)" class="row">(.*?)</form>', re.S)


class Browser(kit.Browser):
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
    status, headers, html = open_signed_in(browser, url, email=email, password=password)
    if status == 302:
        return headers["location"]  # consent given earlier: straight back to the app
    found = _DECISION_FORM.search(html)
    if status != 200 or not found or 'name="decision"' not in found.group(2):
        raise ApprovalError(page_message(html) or f"the prompt answered {status}")
    form = hidden_fields(found.group(2))
    form["decision"] = "deny" if deny else "allow"
    status, headers, html = browser.request("POST", unescape(found.group(1)), form)
    if status != 302:
        raise ApprovalError(page_message(html) or f"consent answered {status}")
    return headers["location"]


__all__ = ["ApprovalError", "Browser", "Send", "approve", "page_message"]
