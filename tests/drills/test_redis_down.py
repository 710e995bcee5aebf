"""Drill: Redis (the Celery broker, the cache and the pacing store, as in production) dies while staff
create Zoom-linked slots, then comes back empty. No slot may be lost: the site keeps them as 発行待ち
without an error page, and the beat's sweeper issues every one of them once Redis is back.

Two kinds of lost work: tasks that were queued in Redis when it died (gone with it: the private
redis-server keeps nothing on disk), and slots created during the outage, whose enqueue failed.
"""

from __future__ import annotations

import time

import requests

from tests.drills.harness import HOSTS, Site, check_one_meeting_per_slot, summary, wait_for

TIMES = ["09:00", "10:00", "11:00", "13:00", "14:00"]


def test_slots_survive_a_redis_outage_and_the_sweeper_issues_every_one_when_it_returns(
    stack, site, zoom, db_, first_day
):
    meeting = site.create_selection_meeting("ドリル: Redis停止")
    site.create_zoom_event(meeting, name="Web面接 A", host=HOSTS["interviewer"])
    site.create_zoom_event(meeting, name="Web面接 B", host=HOSTS["basic"])
    queued_event, outage_event = db_.event_id(meeting, "Web面接 A"), db_.event_id(meeting, "Web面接 B")
    events = [queued_event, outage_event]

    # 10 slots whose tasks sit in Redis (no worker to take them) when Redis dies.
    stack.stop("worker")
    site.create_slots(queued_event, first_day=first_day, days=2, times=TIMES)
    queued = db_.slots([queued_event])
    assert len(queued) == 10 and all(s["enqueued_at"] is not None for s in queued)
    stack.stop_redis()
    stack.start_worker(wait=False)

    # During the outage: a recruiter signs in, creates 20 slots and looks at them. No error page.
    colleague = Site(stack.site_url)
    colleague.login()
    started = time.monotonic()
    colleague.create_slots(outage_event, first_day=first_day, days=4, times=TIMES)
    created_in = time.monotonic() - started
    outage = db_.slots([outage_event])
    assert len(outage) == 20
    assert {s["meeting_state"] for s in outage} == {"pending"}
    assert all(s["enqueued_at"] is None for s in outage), "the row must remember that nothing was queued"
    listing = colleague.text("/selection/slots/?state=pending")
    assert listing.count('data-meeting-state="pending"') >= 30
    colleague.text(f"/selection/{meeting}/schedule/")
    colleague.text("/")
    health = requests.get(f"{stack.site_url}/healthz", timeout=15)
    assert health.status_code == 503 and health.json()["checks"] == {"database": True, "broker": False}

    # Redis stays down for a few sweeper periods: nothing fails, nothing is lost.
    time.sleep(8)
    assert db_.states(events) == {"pending": 30}, summary(db_.states(events))

    worker_log = len(stack.log("worker"))
    stack.start_redis()
    back = time.monotonic()
    wait_for(
        lambda: db_.states(events)["issued"] == 30,
        timeout=90,
        message="every slot to be issued after Redis came back",
        details=lambda: (
            f"slots by state: {summary(db_.states(events))}\n"
            f"pending: {[(s['id'], s['enqueued_at'], s['wait_reason']) for s in db_.slots(events)][:10]}"
        ),
    )
    recovered_in = time.monotonic() - back
    assert "sweeper: enqueueing" in stack.log("worker")[worker_log:], "who queued them, if not the sweeper?"

    problems = check_one_meeting_per_slot(db_.slots(events), zoom.meetings())
    assert not problems, "\n".join(problems)
    assert not [s for s in colleague.statuses + site.statuses if s[2] >= 500]
    assert stack.alive("worker") and stack.alive("beat"), "a process died of the outage"
    print(
        f"20 slots created during the outage in {created_in:.1f}s; all 30 issued {recovered_in:.1f}s after "
        "Redis came back"
    )
