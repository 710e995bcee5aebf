"""Drill: the Celery worker is killed (SIGKILL, worker and pool at once) while 200 Zoom-linked slots are
being issued, then started again. Every slot must end with exactly one meeting in Zoom.

What recovers the slots the dead worker held: its claims expire (the lease), the beat's sweeper queues the
slots again, and a slot whose create was in flight (``create_in_doubt``) first lists the host's meetings and
adopts the one carrying its marker instead of creating a second. The broker's copies of the dead worker's
unacknowledged messages are *not* what saves them: Redis hands them back only after the visibility timeout
(an hour).
"""

from __future__ import annotations

import time

from tests.drills.harness import HOSTS, check_one_meeting_per_slot, summary, wait_for

DAYS = 10
TIMES = ["09:00", "10:00", "11:00", "13:00", "14:00"]
SLOTS = len(HOSTS) * DAYS * len(TIMES)  # 4 hosts x 50 = 200


def test_a_worker_killed_mid_issuance_leaves_every_slot_with_exactly_one_meeting(
    stack, site, zoom, db_, first_day
):
    # Each create takes ~0.45 s in Zoom, so at any moment most pool processes are inside a create: the
    # kill lands mid-flight (the meeting gets made in Zoom, the answer never arrives).
    zoom.configure(latency=0.05, faults=[{"group": "create_meeting", "mode": "latency", "seconds": 0.4}])
    meeting = site.create_selection_meeting("ドリル: ワーカー強制終了")
    events = []
    for number, host in enumerate(HOSTS.values(), start=1):
        site.create_zoom_event(meeting, name=f"Web面接 {number}", host=host)
        events.append(db_.event_id(meeting, f"Web面接 {number}"))
    started = time.monotonic()
    for event in events:
        site.create_slots(event, first_day=first_day, days=DAYS, times=TIMES)
    assert len(db_.slots(events)) == SLOTS

    def progress() -> str:
        return f"slots by state: {summary(db_.states(events))}"

    wait_for(
        lambda: db_.states(events)["issued"] >= SLOTS // 5,
        timeout=60,
        message="a fifth of the slots to be issued before the kill",
        details=progress,
    )
    stack.kill_worker()
    at_kill = db_.slots(events)
    issued_at_kill = sum(s["meeting_state"] == "issued" for s in at_kill)
    in_doubt = [s["id"] for s in at_kill if s["create_in_doubt"]]
    held = [s["id"] for s in at_kill if s["meeting_state"] == "pending" and s["claimed_until"] is not None]
    assert issued_at_kill < SLOTS, "the worker finished everything before the kill: the drill proves nothing"

    stack.start_worker()
    wait_for(
        lambda: db_.states(events)["issued"] == SLOTS,
        timeout=150,
        message=f"all {SLOTS} slots to be issued after the restart",
        details=lambda: f"{progress()}; held by the dead worker: {held}, in doubt: {in_doubt}",
    )
    elapsed = time.monotonic() - started

    slots = db_.slots(events)
    state = zoom.state()
    problems = check_one_meeting_per_slot(slots, state["meetings"])
    assert not problems, "\n".join(problems)
    assert len(state["meetings"]) == SLOTS
    # Not one create more than slots: a create in doubt was adopted, never repeated.
    assert state["request_counts"]["create_meeting"] == SLOTS, state["request_counts"]
    # The kill really caught work in flight, and that work was recovered by looking before creating.
    assert held, "no slot was claimed at the moment of the kill"
    assert in_doubt, "no create was in flight at the moment of the kill"
    assert state["request_counts"].get("list_meetings", 0) >= len(in_doubt)
    adopted = db_.value(
        "SELECT count(*) FROM accounts_auditentry WHERE action = 'meeting.issued'"
        " AND target_id = ANY(%s) AND details->>'adopted' = 'true'",
        ([str(i) for i in in_doubt],),
    )
    print(
        f"killed with {issued_at_kill}/{SLOTS} issued, {len(held)} claimed, {len(in_doubt)} creates in "
        f"flight ({adopted} adopted after the restart); all issued {elapsed:.1f}s after publishing"
    )
