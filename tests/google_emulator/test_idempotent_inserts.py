"""The guarantee the issuance benchmark relies on: with client-chosen ids, concurrent inserts retried through
5xx answers, rate limits and lost answers make exactly one event per id (the repeat answers 409)."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import requests

from google_emulator import Config, Emulator
from google_emulator.server import EmulatorServer

from .helpers import HOST_EMAIL

SLOTS = 40


def event_id(slot: int) -> str:
    return "e2r" + hashlib.sha256(f"slot-{slot}".encode()).hexdigest()[:26]  # hex ⊂ base32hex


def test_retried_inserts_under_faults_make_exactly_one_event_per_id():
    emulator = Emulator(
        Config(
            seed=21,
            faults=[
                {"group": "insert_event", "mode": "status", "status": 503, "rate": 0.2},
                {"group": "insert_event", "mode": "rate_limit", "rate": 0.1},
                {"group": "insert_event", "mode": "disconnect", "after": True, "rate": 0.1},
            ],
        )
    )
    server = EmulatorServer(emulator, port=0, dispatch_notifications=False).start().point_at_self()
    token = emulator.link(HOST_EMAIL)["access_token"]
    url = f"{server.base_url}/calendar/v3/calendars/primary/events"

    def issue(slot: int) -> tuple[int, str]:
        body = {
            "id": event_id(slot),
            "summary": f"slot {slot}",
            "start": {"dateTime": f"2026-12-01T{slot % 24:02d}:00:00Z"},
            "end": {"dateTime": f"2026-12-01T{slot % 24:02d}:30:00Z"},
            "conferenceData": {
                "createRequest": {
                    "requestId": f"slot-{slot}",
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            },
        }
        attempts = 0
        with requests.Session() as session:
            while True:
                attempts += 1
                try:
                    answer = session.post(
                        url,
                        params={"conferenceDataVersion": "1"},
                        json=body,
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=5,
                    )
                except requests.ConnectionError:
                    continue
                if answer.status_code in (200, 409):
                    got = session.get(
                        f"{url}/{body['id']}", headers={"Authorization": f"Bearer {token}"}, timeout=5
                    )
                    if got.status_code == 200:
                        return attempts, got.json()["hangoutLink"]
                assert answer.status_code in (403, 409, 503, 200), answer.text

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(issue, range(SLOTS)))
    finally:
        server.stop()
    events = emulator.events()
    assert len(events) == SLOTS
    assert len({e["id"] for e in events}) == SLOTS
    assert len({link for _, link in results}) == SLOTS  # one Meet per slot
    assert sum(attempts for attempts, _ in results) > SLOTS  # the faults did fire
