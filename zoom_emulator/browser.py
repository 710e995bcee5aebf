"""``approve()``: sign in and click Allow/Deny on Zoom's authorize page with the shared scripted browser
(``emulator_kit.browser``), through whichever transport the caller has."""

from __future__ import annotations

from emulator_kit.browser import ApprovalError, Browser, Send, hidden_fields, open_signed_in, page_message


def approve(send: Send, authorize_url: str, *, email: str, password: str, deny: bool = False) -> str:
    """Open authorize_url, sign in as ``email`` and click Allow (or Deny); return the redirect URL."""
    browser = Browser(send)
    status, headers, html = open_signed_in(browser, authorize_url, email=email, password=password)
    if status != 200 or 'name="decision"' not in html:
        if status == 302:
            return headers["location"]
        raise ApprovalError(page_message(html) or f"authorize page answered {status}")
    form = hidden_fields(html)
    form["decision"] = "deny" if deny else "allow"
    status, headers, html = browser.request("POST", "/oauth/authorize", form)
    if status != 302:
        raise ApprovalError(page_message(html) or f"consent answered {status}")
    return headers["location"]


__all__ = ["ApprovalError", "Browser", "Send", "approve", "page_message"]
