"""The emulator's own pages: Marketplace Remove, meetings deleted/moved behind the product's back."""

from __future__ import annotations

import re
from urllib.parse import quote

from zoom_emulator.browser import Browser
from zoom_emulator.pages import SESSION_COOKIE

from .helpers import INTERVIEW, refresh, send


def signed_in(emu, email=None) -> Browser:
    browser = Browser(send(emu))
    status, _headers, _ = browser.request(
        "POST", "/signin", {"email": email or emu.admin_email, "password": "zoom-pass", "next": "/meeting"}
    )
    assert status == 302
    return browser


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_session_cookie_does_not_collide_with_the_products_cookies(emu):
    _, headers, _ = Browser(send(emu)).request(
        "POST", "/signin", {"email": emu.admin_email, "password": "zoom-pass", "next": "/"}
    )
    assert headers["set-cookie"].startswith(f"{SESSION_COOKIE}=")
    assert SESSION_COOKIE not in ("sessionid", "csrftoken")


def test_pages_need_sign_in(emu):
    for path in ("/meeting", "/marketplace/manage/added-apps", "/account/user"):
        status, headers, _ = emu.handle("GET", path)
        assert status == 302
        assert headers["Location"] == f"/signin?next={quote(path, safe='')}"


def test_signin_does_not_redirect_off_site(emu):
    status, headers, _ = Browser(send(emu)).request(
        "POST", "/signin", {"email": emu.admin_email, "password": "zoom-pass", "next": "//evil.example/"}
    )
    assert (status, headers["location"]) == (302, "/")


def test_marketplace_manage_added_apps_lists_the_app_and_remove_uninstalls_it(emu, linked, receiver):
    browser = signed_in(emu)
    status, headers, _ = browser.request("GET", "/marketplace/manage")
    assert headers["location"] == "/marketplace/manage/added-apps"
    status, _, html = browser.request("GET", "/marketplace/manage/added-apps")
    assert status == 200
    assert "e2RPRO" in html
    assert "Remove" in html
    status, _, confirm = browser.request(
        "GET", f"/marketplace/manage/added-apps/remove?app={emu.config.client_id}"
    )
    status, headers, _ = browser.request(
        "POST",
        "/marketplace/manage/added-apps/remove",
        {"csrf": csrf_of(confirm), "app": emu.config.client_id},
    )
    assert (status, headers["location"]) == (302, "/marketplace/manage/added-apps?removed=1")
    _, _, after = browser.request("GET", "/marketplace/manage/added-apps")
    assert "追加済みのアプリはありません" in after
    assert linked.api("GET", "/users/me").status == 401
    assert refresh(emu, linked.tokens["refresh_token"]).status == 400
    emu.deliver_webhooks()
    assert receiver.events() == ["app_deauthorized"]


def test_remove_needs_the_forms_csrf_token(emu, linked):
    browser = signed_in(emu)
    status, _, _ = browser.request("POST", "/marketplace/manage/added-apps/remove", {"csrf": "forged"})
    assert status == 403
    assert linked.api("GET", "/users/me").status == 200


def test_members_see_no_added_apps(emu, linked):
    _, _, html = signed_in(emu, "recruiter@demo.example.com").request("GET", "/marketplace/manage/added-apps")
    assert "追加済みのアプリはありません" in html


def test_meetings_page_lists_and_deletes_a_meeting_behind_the_back(emu, linked, receiver):
    meeting = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()
    browser = signed_in(emu)
    _, _, html = browser.request("GET", "/meeting")
    assert str(meeting["id"]) in html
    assert "2026-12-01 10:00" in html  # shown in the meeting's zone (Asia/Tokyo)
    status, headers, _ = browser.request("POST", f"/meeting/{meeting['id']}/delete", {"csrf": csrf_of(html)})
    assert (status, headers["location"]) == (302, "/meeting?done=deleted")
    assert linked.api("PATCH", f"/meetings/{meeting['id']}", body={"duration": 30}).status == 404
    emu.deliver_webhooks()
    assert receiver.events() == ["meeting.deleted"]


def test_meetings_page_moves_a_meeting_in_the_chosen_zone(emu, linked, receiver):
    meeting = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()
    browser = signed_in(emu)
    _, _, html = browser.request("GET", "/meeting")
    form = {"csrf": csrf_of(html), "start_local": "2026-12-01T15:00", "timezone": "Asia/Tokyo"}
    _status, headers, _ = browser.request("POST", f"/meeting/{meeting['id']}/move", form)
    assert headers["location"] == "/meeting?done=moved"
    assert linked.api("GET", f"/meetings/{meeting['id']}").json()["start_time"] == "2026-12-01T06:00:00Z"
    emu.deliver_webhooks()
    assert receiver.bodies()[0]["payload"]["object"]["start_time"] == "2026-12-01T06:00:00Z"


def test_meeting_page_actions_need_csrf(emu, linked):
    meeting = linked.api("POST", "/users/me/meetings", body=INTERVIEW).json()
    browser = signed_in(emu)
    status, _, _ = browser.request("POST", f"/meeting/{meeting['id']}/delete", {"csrf": "nope"})
    assert status == 403
    assert len(emu.meetings()) == 1


def test_users_page_deactivates_a_user_behind_the_back(emu, linked):
    browser = signed_in(emu)
    _, _, html = browser.request("GET", "/account/user")
    assert "pending-user@sample.example.com" in html
    browser.request(
        "POST", "/account/user/u8RecDemoRecruit00002B/status", {"csrf": csrf_of(html), "status": "inactive"}
    )
    response = linked.api("POST", "/users/recruiter@demo.example.com/meetings", body=INTERVIEW)
    assert (response.status, response.json()["code"]) == (404, 1001)


def test_home_marketplace_and_dashboard_render(emu, linked):
    for path in ("/", "/marketplace", "/_emulator"):
        status, headers, body = emu.handle("GET", path)
        assert status == 200
        assert headers["Content-Type"].startswith("text/html")
        assert b"zoom" in body
