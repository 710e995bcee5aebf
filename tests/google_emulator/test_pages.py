"""The pages: the calendar (move / delete behind the app's back → push notifications), the access page
(remove the app's access → invalid_grant and 401), the Meet join page, the dashboard."""

from __future__ import annotations

import re
from urllib.parse import quote

from emulator_kit.browser import Browser, hidden_fields, open_signed_in
from tests.emulator_kit.helpers import send

from .helpers import EVENT_ID, HOST_EMAIL, insert, refresh

ADMIN = "gw-admin@sample.example.com"


def signed_in(emu, email: str = HOST_EMAIL, path: str = "/calendar"):
    browser = Browser(send(emu))
    status, headers, _ = browser.request("GET", path)
    assert status == 302 and headers["location"].startswith("/signin?next=")
    status, _, html = open_signed_in(browser, headers["location"], email=email, password="google-pass")
    assert status == 200, html
    return browser, html


def forms(html: str) -> dict[str, dict[str, str]]:
    """action → hidden fields, for each form on the page (the last one per action wins)."""
    found = {}
    for action, inner in re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        found.setdefault(action, []).append(hidden_fields(inner))
    return found


def test_calendar_lists_events_with_meet_links(emu, host):
    event = insert(host).json()
    _, html = signed_in(emu)
    assert "一次面接（山田 太郎 様）" in html and event["hangoutLink"] in html
    assert "+30 分 (+30 min)" in html and "削除 (Delete)" in html
    assert "2026-12-01 10:00 – 11:00" in html


def test_moving_by_30_minutes_notifies_and_shows_in_sync(emu, host, receiver):
    insert(host)
    token = host.api("GET", "/calendars/primary/events").json()["nextSyncToken"]
    host.api(
        "POST",
        "/calendars/primary/events/watch",
        body={"id": "ch1", "type": "web_hook", "address": "https://x.example/hook"},
    )
    browser, html = signed_in(emu)
    action = f"/calendar/events/110000000000000000003/{EVENT_ID}/move"
    shift = next(f for f in forms(html)[action] if f.get("shift") == "30")
    status, headers, _ = browser.request("POST", action, shift)
    assert status == 302 and "done=moved" in headers["location"]
    moved = host.api("GET", f"/calendars/primary/events/{EVENT_ID}").json()
    assert moved["start"]["dateTime"] == "2026-12-01T10:30:00+09:00"
    assert moved["end"]["dateTime"] == "2026-12-01T11:30:00+09:00"
    changes = host.api("GET", "/calendars/primary/events", query={"syncToken": token}).json()["items"]
    assert [e["id"] for e in changes] == [EVENT_ID]
    emu.deliver_notifications()
    assert receiver.states() == ["sync", "exists"]


def test_setting_a_new_start_and_deleting(emu, host, receiver):
    insert(host)
    browser, html = signed_in(emu)
    action = f"/calendar/events/110000000000000000003/{EVENT_ID}"
    form = next(f for f in forms(html)[f"{action}/move"] if "shift" not in f)
    form["start_local"] = "2026-12-02T15:00"
    assert browser.request("POST", f"{action}/move", form)[0] == 302
    moved = host.api("GET", f"/calendars/primary/events/{EVENT_ID}").json()
    assert moved["start"]["dateTime"] == "2026-12-02T15:00:00+09:00"
    assert moved["sequence"] == 1

    delete = forms(html)[f"{action}/delete"][0]
    _, headers, _ = browser.request("POST", f"{action}/delete", delete)
    assert "done=deleted" in headers["location"]
    assert host.api("GET", f"/calendars/primary/events/{EVENT_ID}").json()["status"] == "cancelled"


def test_forms_need_the_csrf_token_and_the_calendar_owner(emu, host):
    insert(host)
    browser, _ = signed_in(emu, "member@sample.example.com")
    action = f"/calendar/events/110000000000000000003/{EVENT_ID}/move"
    assert browser.request("POST", action, {"shift": "30"})[0] == 403
    _, _, html = browser.request("GET", f"/calendar?user={quote(HOST_EMAIL)}")
    assert "アクセス権がありません" in html
    # The Workspace admin sees everyone's calendar.
    _, admin_html = signed_in(emu, ADMIN, f"/calendar?user={quote(HOST_EMAIL)}")
    assert "一次面接" in admin_html


def test_removing_access_on_the_access_page(emu, host):
    browser, html = signed_in(emu, HOST_EMAIL, "/admin")
    assert "サードパーティ製のアプリとサービス" in html and "calendar.events" in html
    action = "/admin/grants/110000000000000000003/revoke"
    status, headers, _ = browser.request("POST", action, forms(html)[action][0])
    assert status == 302 and headers["location"] == "/admin?revoked=1"
    assert refresh(emu, host.tokens["refresh_token"]).json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert host.api("GET", "/calendars/primary/events").status == 401


def test_the_workspace_admin_removes_a_users_access(emu, host):
    browser, html = signed_in(emu, ADMIN, "/admin")
    assert "管理コンソール" in html
    action = "/admin/grants/110000000000000000003/revoke"
    assert browser.request("POST", action, forms(html)[action][0])[0] == 302
    assert host.api("GET", "/calendars/primary/events").status == 401
    other, other_html = signed_in(emu, "admin@other.example.com", "/admin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', other_html)
    token = csrf.group(1) if csrf else ""
    assert other.request("POST", action, {"csrf": token})[0] == 403


def test_meet_join_page_home_and_dashboard(emu, host):
    code = insert(host).json()["conferenceData"]["conferenceId"]
    joined = emu.handle("GET", f"/{code}")
    assert joined.status == 200 and "一次面接" in joined.body.decode()
    assert emu.handle("GET", "/abc-defg-hij").status == 404
    assert "gw-admin@sample.example.com" in emu.handle("GET", "/").body.decode()
    dashboard = emu.handle("GET", "/_emulator").body.decode()
    assert "エミュレーターの状態" in dashboard and HOST_EMAIL in dashboard
