"""events.list: time window, ordering, paging, showDeleted, and sync tokens (incremental changes including
cancelled events; 410 fullSyncRequired on a stale or foreign token)."""

from __future__ import annotations

from .helpers import google_error, insert, interview, link


def add(host, event_id: str, day: int, hour: int = 10):
    body = interview(
        event_id,
        request_id=event_id,
        start={"dateTime": f"2026-12-{day:02d}T{hour:02d}:00:00+09:00"},
        end={"dateTime": f"2026-12-{day:02d}T{hour:02d}:30:00+09:00"},
    )
    assert insert(host, body).status == 200


def ids(answer):
    return [e["id"] for e in answer.json()["items"]]


def listing(host, **query):
    return host.api("GET", "/calendars/primary/events", query=query)


def test_time_window_and_order(host):
    add(host, "evt03", 3)
    add(host, "evt01", 1)
    add(host, "evt02", 2)
    every = listing(host, singleEvents="true", orderBy="startTime")
    assert ids(every) == ["evt01", "evt02", "evt03"]
    body = every.json()
    assert body["kind"] == "calendar#events" and body["timeZone"] == "Asia/Tokyo" and "nextSyncToken" in body
    window = listing(host, timeMin="2026-12-02T00:00:00+09:00", timeMax="2026-12-03T00:00:00+09:00")
    assert ids(window) == ["evt02"]
    assert google_error(listing(host, orderBy="startTime"))[:2] == (400, "badRequest")
    empty = listing(host, timeMin="2026-12-03T00:00:00Z", timeMax="2026-12-02T00:00:00Z")
    assert google_error(empty)[:2] == (400, "timeRangeEmpty")
    assert google_error(listing(host, timeMin="2026-12-03T00:00:00"))[:2] == (400, "invalid")
    by_updated = listing(host, orderBy="updated")
    assert ids(by_updated) == ["evt03", "evt01", "evt02"] or len(ids(by_updated)) == 3


def test_paging_with_page_tokens(host):
    for day in range(1, 8):
        add(host, f"evt0{day}", day)
    seen, token, pages = [], None, 0
    while True:
        query = {"maxResults": "3", "singleEvents": "true", "orderBy": "startTime"}
        if token:
            query["pageToken"] = token
        answer = listing(host, **query).json()
        pages += 1
        seen += [e["id"] for e in answer["items"]]
        token = answer.get("nextPageToken")
        if not token:
            assert "nextSyncToken" in answer
            break
        assert "nextSyncToken" not in answer
    assert pages == 3 and seen == [f"evt0{d}" for d in range(1, 8)]
    assert google_error(listing(host, pageToken="garbage"))[:2] == (400, "invalid")


def test_deleted_events_are_hidden_unless_show_deleted(host):
    add(host, "evt01", 1)
    add(host, "evt02", 2)
    host.api("DELETE", "/calendars/primary/events/evt01")
    assert ids(listing(host)) == ["evt02"]
    shown = listing(host, showDeleted="true").json()["items"]
    assert [(e["id"], e["status"]) for e in shown] == [("evt01", "cancelled"), ("evt02", "confirmed")]


def test_a_sync_token_returns_only_the_changes_since_including_cancelled_events(emu, host):
    add(host, "evt01", 1)
    add(host, "evt02", 2)
    token = listing(host).json()["nextSyncToken"]

    nothing = listing(host, syncToken=token).json()
    assert nothing["items"] == [] and nothing["nextSyncToken"]

    host.api(
        "PATCH",
        "/calendars/primary/events/evt01",
        body={
            "start": {"dateTime": "2026-12-01T15:00:00+09:00"},
            "end": {"dateTime": "2026-12-01T16:00:00+09:00"},
        },
    )
    add(host, "evt03", 3)
    host.api("DELETE", "/calendars/primary/events/evt02")
    changes = listing(host, syncToken=token).json()
    items = {e["id"]: e for e in changes["items"]}
    assert set(items) == {"evt01", "evt02", "evt03"}
    assert items["evt01"]["start"]["dateTime"] == "2026-12-01T15:00:00+09:00"
    assert items["evt02"]["status"] == "cancelled"

    # Behind the app's back too.
    next_token = changes["nextSyncToken"]
    emu.move_event("evt03", emu.now() + 86400)
    moved = listing(host, syncToken=next_token).json()
    assert [e["id"] for e in moved["items"]] == ["evt03"]


def test_sync_paging_ends_with_the_next_sync_token(host):
    token = listing(host).json()["nextSyncToken"]
    for day in range(1, 6):
        add(host, f"evt0{day}", day)
    first = listing(host, syncToken=token, maxResults="2").json()
    assert len(first["items"]) == 2 and "nextSyncToken" not in first
    second = listing(host, syncToken=token, maxResults="2", pageToken=first["nextPageToken"]).json()
    third = listing(host, maxResults="2", pageToken=second["nextPageToken"]).json()  # syncToken may go
    assert len(third["items"]) == 1 and "nextSyncToken" in third
    assert listing(host, syncToken=third["nextSyncToken"]).json()["items"] == []


def test_stale_bad_or_foreign_sync_tokens_answer_410_full_sync_required(emu, host):
    add(host, "evt01", 1)
    token = listing(host).json()["nextSyncToken"]
    for bad in ("garbage", "C" + "x" * 10):
        answer = listing(host, syncToken=bad)
        assert google_error(answer) == (410, "fullSyncRequired", "global")
        assert answer.json()["error"]["message"] == "Sync token is no longer valid, a full sync is required."
    recruiter = link(emu, "recruiter@demo.example.com")
    foreign = recruiter.api("GET", "/calendars/primary/events", query={"syncToken": token})
    assert foreign.status == 410

    emu.invalidate_sync_tokens("interviewer@demo.example.com")
    assert listing(host, syncToken=token).status == 410
    fresh = listing(host).json()["nextSyncToken"]
    assert listing(host, syncToken=fresh).status == 200

    emu.configure(sync_token_lifetime=60)  # 30 days by default
    emu.advance(61)
    assert listing(host, syncToken=fresh).status == 410


def test_sync_token_cannot_be_combined_with_a_time_window(host):
    token = listing(host).json()["nextSyncToken"]
    answer = listing(host, syncToken=token, timeMin="2026-12-01T00:00:00Z")
    assert google_error(answer)[:2] == (400, "invalid")
