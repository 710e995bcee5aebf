"""The emulator's pages: the admin page withdraws consent, the calendar page moves and deletes events behind
the product's back (with change notifications), the Teams join page, CSRF and sign-in guards."""

from __future__ import annotations

import re
from urllib.parse import quote

from microsoft_emulator.browser import Browser
from microsoft_emulator.pages import SESSION_COOKIE
from microsoft_emulator.seed import USER_PASSWORD

from .helpers import INTERVIEW, INTERVIEWER, LIFECYCLE_HOOK, refresh, send, subscription_body


def signed_in(emu, email=None) -> Browser:
    browser = Browser(send(emu))
    browser.sign_in(email or emu.admin_email, USER_PASSWORD)
    return browser


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_session_cookie_does_not_collide_with_the_products_cookies(emu):
    _, headers, _ = Browser(send(emu)).request(
        "POST", "/signin", {"email": emu.admin_email, "password": USER_PASSWORD, "next": "/"}
    )
    assert headers["set-cookie"].startswith(f"{SESSION_COOKIE}=")


def test_pages_need_sign_in_and_sign_in_stays_on_site(emu):
    for path in ("/admin", "/calendar"):
        status, headers, _ = emu.handle("GET", path)
        assert (status, headers["Location"]) == (302, f"/signin?next={quote(path, safe='')}")
    status, headers, _ = Browser(send(emu)).request(
        "POST", "/signin", {"email": emu.admin_email, "password": USER_PASSWORD, "next": "//evil.example/"}
    )
    assert (status, headers["location"]) == (302, "/")


def test_admin_page_withdraws_consent_tokens_die_and_lifecycle_goes_out(emu, app, delegated, receiver):
    app.api("POST", "/subscriptions", body=subscription_body())
    browser = signed_in(emu)
    _, _, html = browser.request("GET", "/admin")
    assert "e2RPRO" in html and "アクセス許可を取り消す" in html
    status, headers, _ = browser.request(
        "POST", f"/admin/consents/{emu.tenant_id}/revoke", {"csrf": csrf_of(html)}
    )
    assert (status, headers["location"]) == (302, "/admin?revoked=1")
    _, _, after = browser.request("GET", "/admin")
    assert "同意済みのアプリはありません" in after
    for link in (app, delegated):
        response = link.api("GET", f"/users/{INTERVIEWER}")
        assert (response.status, response.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")
    answer = refresh(emu, delegated.tokens["refresh_token"]).json()
    assert (answer["error"], answer["error_codes"]) == ("invalid_grant", [65001])
    emu.deliver_notifications()
    assert [i["lifecycleEvent"] for i in receiver.items(LIFECYCLE_HOOK)] == [
        "reauthorizationRequired",
        "subscriptionRemoved",
    ]


def test_withdrawal_needs_csrf_and_a_global_admin(emu, app):
    browser = signed_in(emu)
    status, _, _ = browser.request("POST", f"/admin/consents/{emu.tenant_id}/revoke", {"csrf": "forged"})
    assert status == 403
    member = signed_in(emu, "recruiter@demo.example.com")
    status, _, _ = member.request("GET", "/admin")
    assert status == 403
    assert app.api("GET", "/users").status == 200


def test_calendar_page_moves_an_event_and_the_subscriber_is_told(emu, app, receiver):
    app.api("POST", "/subscriptions", body=subscription_body())
    event = app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()
    emu.deliver_notifications()
    receiver.calls.clear()
    browser = signed_in(emu)
    _, _, html = browser.request("GET", f"/calendar?user={INTERVIEWER}")
    assert INTERVIEW["subject"] in html
    assert "2026-12-01 10:00" in html  # shown in the event's zone
    form = {"csrf": csrf_of(html), "start_local": "2026-12-01T15:00", "timezone": "Tokyo Standard Time"}
    status, headers, _ = browser.request("POST", f"/calendar/events/{quote(event['id'], safe='')}/move", form)
    assert status == 302 and headers["location"].endswith("&done=moved")
    moved = app.api("GET", f"/users/{INTERVIEWER}/events/{event['id']}").json()
    assert moved["start"]["dateTime"] == "2026-12-01T06:00:00.0000000"
    emu.deliver_notifications()
    [item] = receiver.items()
    assert (item["changeType"], item["clientState"]) == ("updated", "s3cr3t-client-state")
    assert item["resourceData"]["id"] == event["id"]


def test_calendar_page_deletes_an_event_and_the_subscriber_is_told(emu, app, receiver):
    app.api("POST", "/subscriptions", body=subscription_body())
    event = app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()
    emu.deliver_notifications()
    receiver.calls.clear()
    browser = signed_in(emu, "interviewer@demo.example.com")  # the owner of the calendar
    _, _, html = browser.request("GET", "/calendar")
    status, headers, _ = browser.request(
        "POST", f"/calendar/events/{quote(event['id'], safe='')}/delete", {"csrf": csrf_of(html)}
    )
    assert status == 302 and headers["location"].endswith("&done=deleted")
    assert app.api("GET", f"/users/{INTERVIEWER}/events/{event['id']}").status == 404
    emu.deliver_notifications()
    [item] = receiver.items()
    assert (item["changeType"], item["clientState"]) == ("deleted", "s3cr3t-client-state")


def test_calendar_actions_need_csrf_and_members_see_only_their_own_calendar(emu, app):
    event = app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()
    browser = signed_in(emu)
    status, _, _ = browser.request(
        "POST", f"/calendar/events/{quote(event['id'], safe='')}/delete", {"csrf": "x"}
    )
    assert status == 403
    member = signed_in(emu, "recruiter@demo.example.com")
    status, _, _ = member.request("GET", f"/calendar?user={INTERVIEWER}")
    assert status == 403
    _, _, html = member.request("GET", "/calendar")
    member.request(
        "POST",
        f"/calendar/events/{quote(event['id'], safe='')}/delete",
        {"csrf": csrf_of(html) if "csrf" in html else ""},
    )
    assert len(emu.events()) == 1


def test_the_teams_join_link_opens_a_page(emu, app):
    join = app.api("POST", f"/users/{INTERVIEWER}/events", body=INTERVIEW).json()["onlineMeeting"]["joinUrl"]
    path = join.split("teams.microsoft.com", 1)[1].split("?", 1)[0]
    status, _, body = emu.handle("GET", path)
    assert status == 200 and INTERVIEW["subject"] in body.decode()
    assert emu.handle("GET", "/l/meetup-join/19%3Ameeting_nothing%40thread.v2/0").status == 404


def test_home_and_dashboard_render(emu, app):
    for path in ("/", "/_emulator"):
        status, headers, body = emu.handle("GET", path)
        assert status == 200
        assert headers["Content-Type"].startswith("text/html")
        assert "株式会社サンプル".encode() in body
