"""Driving the Zoom emulator's own pages (sign-in, consent, Marketplace) from Playwright."""

from __future__ import annotations

ZOOM_ADMIN = "zoom-admin@sample.example.com"
ZOOM_PASSWORD = "zoom-pass"


def sign_in_at_zoom_if_asked(page) -> None:
    page.wait_for_load_state()
    if page.locator("input[type=password]").count():
        page.locator("input[type=email], input[name=email]").first.fill(ZOOM_ADMIN)
        page.locator("input[type=password]").fill(ZOOM_PASSWORD)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state()


def allow_on_zoom(page) -> None:
    """On Zoom's sign-in and consent pages: sign in as the account admin and click Allow."""
    sign_in_at_zoom_if_asked(page)
    page.locator("button:has-text('許可'), button:has-text('Allow')").first.click()
    page.wait_for_url("**/web-interview/zoom/")


def remove_app_in_marketplace(page, emulator_url: str) -> None:
    """Zoom App Marketplace → Manage → Added Apps → Remove (and confirm)."""
    page.goto(f"{emulator_url}/marketplace")
    sign_in_at_zoom_if_asked(page)
    page.goto(f"{emulator_url}/marketplace/manage/added-apps")
    sign_in_at_zoom_if_asked(page)
    page.locator("a:has-text('Remove')").first.click()
    page.locator("button:has-text('Remove')").first.click()
    page.wait_for_load_state()
