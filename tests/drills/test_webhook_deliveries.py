"""Drills: Zoom's webhooks as they really arrive — twice (Zoom retries after 5, 20 and 60 minutes, and two
deliveries can race), out of order, or replayed later by someone who captured one. Each is handled once,
ignored as stale, or refused (401), on the real stack: gunicorn (two workers), PostgreSQL, Celery.

Every body is signed exactly as Zoom signs it (zoom_emulator.webhooks: ``v0=HMAC-SHA256(secret,
"v0:{timestamp}:{raw body}")``); the meeting and deauthorization events are the emulator's own when Zoom
would send them, and built in the emulator's (Zoom's) format when a drill needs one at a chosen time.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.drills.harness import HOSTS, WEBHOOK_SECRET, ZOOM_ACCOUNT_ID, free_port, summary, wait_for

TIMES = ["09:00", "10:00", "11:00", "13:00"]


def issue_slots(site, db_, first_day, name: str) -> tuple[int, list[dict]]:
    meeting = site.create_selection_meeting(name)
    site.create_zoom_event(meeting, name="Web面接", host=HOSTS["recruiter"])
    event = db_.event_id(meeting, "Web面接")
    site.create_slots(event, first_day=first_day, days=1, times=TIMES)
    wait_for(
        lambda: db_.states([event])["issued"] == len(TIMES),
        timeout=60,
        message="the drill's slots to be issued",
        details=lambda: summary(db_.states([event])),
    )
    return event, db_.slots([event])


def meeting_object(zoom, meeting_id: int) -> dict:
    meeting = next(m for m in zoom.meetings() if int(m["id"]) == int(meeting_id))
    keys = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone")
    return {key: meeting[key] for key in keys}


def deleted_body(zoom, meeting: dict, *, event_ts_ms: int | None = None) -> bytes:
    payload = {
        "account_id": ZOOM_ACCOUNT_ID,
        "operator": "zoom-admin@sample.example.com",
        "operator_id": HOSTS["owner"],
        "operation": "single",
        "object": meeting,
    }
    return zoom.body("meeting.deleted", payload, event_ts_ms=event_ts_ms)


def updated_body(zoom, meeting: dict, *, start: datetime, at_ms: int) -> bytes:
    """meeting.updated as Zoom sends it: the changed fields, their old values, and when it happened."""
    new_start = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {
        "account_id": ZOOM_ACCOUNT_ID,
        "operator": "zoom-admin@sample.example.com",
        "operator_id": HOSTS["owner"],
        "object": {"id": meeting["id"], "uuid": meeting["uuid"], "start_time": new_start},
        "time_stamp": at_ms,
        "old_object": {"id": meeting["id"], "uuid": meeting["uuid"], "start_time": meeting["start_time"]},
    }
    return zoom.body("meeting.updated", payload, event_ts_ms=at_ms)


def stored(db_, body: bytes) -> list[tuple]:
    digest = hashlib.sha256(body).hexdigest()
    return db_.rows(
        "SELECT id, processed_at, result FROM zoom_integration_webhookevent WHERE body_sha256 = %s", (digest,)
    )


def wait_handled(db_, body: bytes) -> str:
    wait_for(
        lambda: any(row[1] is not None for row in stored(db_, body)),
        timeout=30,
        message="the delivery to be handled by the worker",
        details=lambda: str(stored(db_, body)),
    )
    return stored(db_, body)[0][2]


def test_a_delivery_repeated_or_raced_is_handled_once(stack, site, zoom, db_, first_day):
    _event, slots = issue_slots(site, db_, first_day, "ドリル: Webhook重複")
    first, second = slots[0], slots[1]

    # Zoom deletes the first meeting and delivers meeting.deleted; then Zoom's retries bring the very same
    # body again, five at once.
    zoom.delete_meeting(first["meeting_id"])
    wait_for(
        lambda: db_.slot(first["id"])["meeting_state"] == "deleted",
        timeout=30,
        message="meeting.deleted from the emulator to reach the slot",
    )
    [delivery] = [w for w in zoom.state()["webhooks"] if w["event"] == "meeting.deleted"]
    body = delivery["body"].encode()
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: zoom.deliver(body).status_code, range(5)))
    assert answers == [200] * 5
    assert len(stored(db_, body)) == 1

    # A delivery never seen before, six copies racing into both gunicorn workers at the same moment.
    raced = deleted_body(zoom, meeting_object(zoom, second["meeting_id"]))
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: zoom.deliver(raced).status_code, range(6)))
    assert answers == [200] * 6, "a racing duplicate must not end in a 500 (Zoom would retry it)"
    assert wait_handled(db_, raced).startswith("announced to 1 company")
    assert len(stored(db_, raced)) == 1

    time.sleep(2)  # any extra handling would have run by now
    for target in (first, second):
        assert db_.slot(target["id"])["meeting_state"] == "deleted"
        assert db_.audit_count("meeting.deleted_in_zoom", target["id"]) == 1


def test_meeting_updated_arriving_after_meeting_deleted_changes_nothing(stack, site, zoom, db_, first_day):
    _event, slots = issue_slots(site, db_, first_day, "ドリル: Webhook順序")
    target = slots[0]
    meeting = meeting_object(zoom, target["meeting_id"])
    moved_ms = int(time.time() * 1000)
    late_update = updated_body(zoom, meeting, start=target["starts_at"] + timedelta(hours=3), at_ms=moved_ms)

    # In Zoom the meeting was moved, then deleted; the deletion is delivered first, the move after it.
    zoom.delete_meeting(target["meeting_id"])
    wait_for(
        lambda: db_.slot(target["id"])["meeting_state"] == "deleted",
        timeout=30,
        message="meeting.deleted to reach the slot",
    )
    assert zoom.deliver(late_update).status_code == 200
    wait_handled(db_, late_update)
    after = db_.slot(target["id"])
    assert after["meeting_state"] == "deleted" and after["meeting_id"] is None
    assert after["join_url"] == "" and after["meeting_start"] is None
    assert db_.audit_count("meeting.changed_in_zoom", target["id"]) == 0

    # 再発行 makes a new meeting; the old meeting's update, delivered yet again, does not touch it.
    site.post(f"/selection/slots/{target['id']}/reissue/", {}, expect=(302,))
    wait_for(
        lambda: db_.slot(target["id"])["meeting_state"] == "issued",
        timeout=30,
        message="the re-issued meeting",
    )
    reissued = db_.slot(target["id"])
    assert zoom.deliver(late_update).status_code == 200
    time.sleep(2)
    assert db_.slot(target["id"]) == reissued
    page = site.text(f"/selection/slots/{target['id']}/")
    assert "Zoom上で日時が変更されています" not in page


def test_a_zoom_side_change_delivered_after_our_own_update_does_not_overwrite_it(
    stack, site, zoom, db_, first_day
):
    """A change made on zoom.us is delivered late (Zoom retries for an hour) after staff moved the slot,
    which updated the meeting: the meeting in Zoom has the staff's time, and the stale event must not make
    the slot say that Zoom changed it."""
    _event, slots = issue_slots(site, db_, first_day, "ドリル: 遅れて届いた変更")
    target = slots[0]
    meeting = meeting_object(zoom, target["meeting_id"])
    changed_in_zoom_ms = int(time.time() * 1000) - 60_000  # a minute ago, before the staff's move
    zoom_start = target["starts_at"] + timedelta(hours=5)
    stale = updated_body(zoom, meeting, start=zoom_start, at_ms=changed_in_zoom_ms)

    new_start = target["starts_at"] + timedelta(days=1)
    local = new_start.astimezone(ZoneInfo("Asia/Tokyo"))  # the company's zone: the form's date and time
    site.post(
        f"/selection/slots/{target['id']}/edit/",
        {
            "date": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "end_time": (local + timedelta(minutes=30)).strftime("%H:%M"),
            "capacity": "1",
            "visibility": "show",
            "note": "",
        },
        expect=(302,),
    )
    wait_for(
        lambda: (
            db_.slot(target["id"])["meeting_start"] == new_start
            and db_.slot(target["id"])["meeting_state"] == "issued"
        ),
        timeout=30,
        message="the staff's move to reach the meeting in Zoom",
    )
    in_zoom = meeting_object(zoom, target["meeting_id"])["start_time"]
    assert in_zoom == new_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert zoom.deliver(stale).status_code == 200
    wait_handled(db_, stale)

    after = db_.slot(target["id"])
    assert after["meeting_start"] == new_start, "a stale Zoom event overwrote the newer meeting time"
    assert "Zoom上で日時が変更されています" not in site.text(f"/selection/slots/{target['id']}/")


def test_an_old_app_deauthorized_arriving_after_a_newer_link_is_ignored(stack, site, zoom, db_, first_day):
    # The admin removes the app in the Marketplace; Zoom cannot reach the product at that moment...
    nowhere = f"http://127.0.0.1:{free_port()}/zoom/webhook/"
    zoom.configure(webhook_url=nowhere, webhook_retry_schedule=[5] * 8)  # Zoom: 5, 20, 60 minutes
    zoom.remove_app()
    wait_for(
        lambda: any(w["event"] == "app_deauthorized" and w["attempts"] for w in zoom.state()["webhooks"]),
        timeout=15,
        message="the first (failed) delivery of app_deauthorized",
    )
    # ...the admin links again (認可開始), and only then does Zoom's retry of the old removal get through.
    site.link_zoom(zoom)
    zoom.configure(webhook_url=f"{stack.site_url}/zoom/webhook/")
    wait_for(
        lambda: any(
            w["event"] == "app_deauthorized" and w["status"] == "delivered" for w in zoom.state()["webhooks"]
        ),
        timeout=30,
        message="Zoom's retry of app_deauthorized to be delivered",
        details=lambda: str([w for w in zoom.state()["webhooks"] if w["event"] == "app_deauthorized"]),
    )
    [delivery] = [w for w in zoom.state()["webhooks"] if w["event"] == "app_deauthorized"]
    result = wait_handled(db_, delivery["body"].encode())

    assert result == "released 0"
    assert db_.connection_status() == "linked"
    assert "連携中" in site.text("/web-interview/zoom/")
    # The newer link works: a new slot gets its meeting.
    event, _slots = issue_slots(site, db_, first_day, "ドリル: 古い連携解除")
    assert db_.states([event]) == {"issued": len(TIMES)}


def test_a_replayed_or_forged_delivery_is_refused_and_changes_nothing(stack, site, zoom, db_, first_day):
    _event, slots = issue_slots(site, db_, first_day, "ドリル: リプレイ")
    target = slots[0]
    body = deleted_body(zoom, meeting_object(zoom, target["meeting_id"]))
    events_before = db_.value("SELECT count(*) FROM zoom_integration_webhookevent")
    now = int(time.time())
    attempts = {
        "captured 5 minutes ago": (WEBHOOK_SECRET, now - 301),
        "captured an hour ago": (WEBHOOK_SECRET, now - 3600),
        "dated in the future": (WEBHOOK_SECRET, now + 301),
        "signed with another secret": ("another-apps-secret", now),
    }
    for name, (secret, timestamp) in attempts.items():
        answer = zoom.deliver(body, timestamp=timestamp, secret=secret)
        assert answer.status_code == 401, f"a delivery {name} answered {answer.status_code}"

    time.sleep(1)
    assert db_.value("SELECT count(*) FROM zoom_integration_webhookevent") == events_before
    assert db_.slot(target["id"])["meeting_state"] == "issued"
    # The same body, delivered by Zoom now, is accepted: only the replays were refused.
    assert zoom.deliver(body).status_code == 200
    wait_for(
        lambda: db_.slot(target["id"])["meeting_state"] == "deleted",
        timeout=30,
        message="the genuine delivery to be handled",
    )
