"""The site under gunicorn with production settings, in Chromium."""

import requests

from tests.e2e.helpers import login, screenshot


def test_admin_logs_in_sees_japanese_shell_and_switches_to_english(page, stack):
    login(page, "admin@demo.example.com")
    assert page.locator(".topbar__company").inner_text() == "株式会社デモ商事"
    nav = page.get_by_role("navigation", name="メインメニュー")
    for label in [
        "ダッシュボード",
        "応募者",
        "選考会設定",
        "Web面接連携サービス",
        "ユーザー管理",
        "操作ログ",
    ]:
        assert nav.get_by_role("link", name=label).is_visible()
    _assert_every_item_shown_whole(nav)
    screenshot(page, "01-dashboard-ja")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    english = page.get_by_role("navigation", name="Main menu")
    assert english.get_by_role("link", name="Audit log").is_visible()
    _assert_every_item_shown_whole(english)  # the longer English labels too, at 1,280 px
    screenshot(page, "01-dashboard-en")
    page.get_by_role("button", name="日本語").click()


def _assert_every_item_shown_whole(nav) -> None:
    """Every menu item lies inside the menu's box: none is cut off or behind a horizontal scroll."""
    menu = nav.locator("ul").bounding_box()
    for link in nav.get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None and box["width"] > 0, link.inner_text()
        assert menu["x"] <= box["x"] and box["x"] + box["width"] <= menu["x"] + menu["width"] + 1, (
            link.inner_text(),
            box,
            menu,
        )


def test_interviewer_sees_only_interviewer_navigation(page, stack):
    login(page, "interviewer@demo.example.com")
    nav = page.get_by_role("navigation", name="メインメニュー")
    labels = nav.get_by_role("link").all_inner_texts()
    assert "ユーザー管理" not in labels
    assert "選考会設定" not in labels
    response = page.goto("/users/")
    assert response.status == 403


def test_production_settings_send_security_headers_and_serve_static_files(stack):
    response = requests.get(f"{stack.site_url}/accounts/login/", timeout=10)
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    css = requests.get(f"{stack.site_url}/static/css/app.css", timeout=10)
    assert css.status_code == 200
    assert "max-age" in css.headers.get("Cache-Control", "")
    health = requests.get(f"{stack.site_url}/healthz", timeout=10).json()
    assert health == {"status": "ok", "checks": {"database": True, "broker": True}}
