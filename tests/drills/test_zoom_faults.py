"""Drills: Zoom misbehaves. A fifth of the API calls fail (5xx, timeouts before and after Zoom acted), and a
token refresh rotates the pair at Zoom but its answer is lost.

The product must recover (every slot issued exactly once) or say so (エラー（再認可が必要）, the admins'
banner and mail, each waiting slot with its reason) — never a duplicate meeting, never a silent failure.
"""

from __future__ import annotations

import time

from tests.drills.harness import HOSTS, check_one_meeting_per_slot, summary, wait_for

TIMES = ["09:00", "10:00", "11:00", "13:00", "14:00"]
# A fifth of every API call fails: half with a JSON 5xx, a quarter time out before Zoom acts, a quarter
# time out after it acted (a meeting made whose answer never arrives). On top, the first four creates
# are made in Zoom and then lost (two time out, two answer 500) so the dangerous case happens every run.
FAULTS = [
    {"group": "create_meeting", "mode": "timeout", "after": True, "times": 2},
    {"group": "create_meeting", "mode": "status", "status": [500, 503], "after": True, "times": 2},
    {"group": "api", "mode": "status", "status": [500, 502, 503], "rate": 0.10},
    {"group": "api", "mode": "timeout", "rate": 0.05},
    {"group": "api", "mode": "timeout", "after": True, "rate": 0.05},
]


def test_with_a_fifth_of_zoom_calls_failing_every_slot_is_issued_exactly_once(
    stack, site, zoom, db_, first_day
):
    meeting = site.create_selection_meeting("ドリル: Zoom障害")
    site.create_zoom_event(meeting, name="Web面接 A", host=HOSTS["owner"])
    site.create_zoom_event(meeting, name="Web面接 B", host=HOSTS["recruiter"])
    events = [db_.event_id(meeting, "Web面接 A"), db_.event_id(meeting, "Web面接 B")]
    zoom.configure(latency=0.02, faults=FAULTS)
    started = time.monotonic()
    for event in events:
        site.create_slots(event, first_day=first_day, days=4, times=TIMES)
    slots = db_.slots(events)
    assert len(slots) == 40

    def settled() -> bool:
        current = db_.slots(events)
        for slot in current:  # never a silent wait: each waiting slot says why
            if slot["meeting_state"] == "pending" and slot["wait_reason"]:
                assert slot["meeting_error"], f"slot {slot['id']} waits ({slot['wait_reason']}) silently"
        return all(slot["meeting_state"] in ("issued", "failed") for slot in current)

    def progress() -> str:
        return f"slots by state: {summary(db_.states(events))}; faults: {zoom.state()['fault_counts']}"

    wait_for(settled, timeout=150, message="every slot to be issued or failed", details=progress)
    elapsed = time.monotonic() - started

    slots = db_.slots(events)
    state = zoom.state()
    problems = check_one_meeting_per_slot(slots, state["meetings"])
    assert not problems, "\n".join(problems)
    faults = state["fault_counts"]
    assert faults.get("create_meeting", 0) >= 4, faults
    adopted = db_.value(
        "SELECT count(*) FROM accounts_auditentry WHERE action = 'meeting.issued'"
        " AND details->>'adopted' = 'true' AND target_id = ANY(%s)",
        ([str(s["id"]) for s in slots],),
    )
    assert adopted >= 4, "the creates made in Zoom whose answer was lost must be adopted, not repeated"
    print(
        f"40 slots issued exactly once in {elapsed:.1f}s through {sum(faults.values())} injected faults "
        f"{faults}; {adopted} meetings adopted after a lost answer; requests {state['request_counts']}"
    )


def test_a_lost_refresh_answer_is_shown_as_reauthorization_required_and_relinking_issues_every_slot(
    stack, admin_site, zoom, db_, first_day
):
    site = admin_site
    # Access tokens that are "nearly expired" 5 s after linking (the product refreshes within 5 minutes of
    # expiry), and the first refresh rotates the pair at Zoom but its answer never arrives.
    zoom.configure(
        access_token_lifetime=305, faults=[{"group": "refresh", "mode": "timeout", "after": True, "times": 1}]
    )
    linked_at = time.monotonic()
    site.link_zoom(zoom)
    meeting = site.create_selection_meeting("ドリル: リフレッシュ応答消失")
    site.create_zoom_event(meeting, name="Web面接", host=HOSTS["interviewer"])
    event = db_.event_id(meeting, "Web面接")
    mails_before = len(stack.mail.messages)
    time.sleep(max(0.0, linked_at + 6 - time.monotonic()))  # the stored token is now due for refresh

    site.create_slots(event, first_day=first_day, days=2, times=TIMES)
    assert len(db_.slots([event])) == 10

    wait_for(
        lambda: db_.connection_status() == "error",
        timeout=60,
        message="the link to show エラー（再認可が必要）",
        details=lambda: f"connection: {db_.connection_status()}; slots: {summary(db_.states([event]))}",
    )
    wait_for(
        lambda: all(s["wait_reason"] == "link" for s in db_.slots([event])),
        timeout=60,
        message="every slot to wait for the link, with the reason",
        details=lambda: str([(s["id"], s["meeting_state"], s["wait_reason"]) for s in db_.slots([event])]),
    )
    slots = db_.slots([event])
    assert {s["meeting_state"] for s in slots} == {"pending"}
    assert all(s["meeting_error"] for s in slots), "a slot waits without a reason"
    assert zoom.meetings() == [], "no meeting may be made with a link in doubt"
    assert zoom.state()["fault_counts"] == {"token_refresh": 1}

    # What the people see: the status, the banner on every page, each slot's reason, and a mail.
    assert "エラー（再認可が必要）" in site.text("/web-interview/zoom/")
    assert "Zoom連携が「エラー（再認可が必要）」の状態です" in site.text("/")
    listing = site.text(f"/selection/slots/?state=pending&date_from={first_day.isoformat()}")
    assert listing.count("再連携後に自動で再開します") >= 10
    mail = stack.mail.wait_for(lambda m: "再認可が必要" in str(m["Subject"]), timeout=30)
    assert "drill-admin@drill.example.com" in str(mail["To"])
    assert db_.audit_count("zoom.reauthorization_required") == 1

    # The admin re-authorizes: every waiting slot is issued, once.
    zoom.configure(access_token_lifetime=3600)
    relinked = time.monotonic()
    site.link_zoom(zoom)
    wait_for(
        lambda: db_.states([event])["issued"] == 10,
        timeout=60,
        message="every slot to be issued after 認可開始",
        details=lambda: f"slots: {summary(db_.states([event]))}",
    )
    problems = check_one_meeting_per_slot(db_.slots([event]), zoom.meetings())
    assert not problems, "\n".join(problems)
    assert len(stack.mail.messages) - mails_before == 1, "one incident, one mail to the admin"
    assert "Zoom連携が「エラー（再認可が必要）」の状態です" not in site.text("/")
    print(f"link in error and shown; all 10 slots issued {time.monotonic() - relinked:.1f}s after relinking")
