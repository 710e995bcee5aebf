"""google_emulator.inprocess: a requests-based client reaches the emulator at Google's real origins."""

from __future__ import annotations

import pytest
import requests
import responses

from google_emulator import Config, Emulator
from google_emulator.inprocess import install


def test_requests_reach_the_emulator_at_googles_origins():
    emu = Emulator(Config(seed=5))
    tokens = emu.link("interviewer@demo.example.com")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        install(emu, mock)
        refreshed = requests.post(
            "https://oauth2.googleapis.com/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": emu.config.client_id,
                "client_secret": emu.config.client_secret,
            },
            timeout=5,
        ).json()
        auth = {"Authorization": f"Bearer {refreshed['access_token']}"}
        listed = requests.get(
            "https://www.googleapis.com/calendar/v3/calendars/primary/events", headers=auth, timeout=5
        )
        assert listed.status_code == 200 and listed.json()["kind"] == "calendar#events"
        info = requests.get("https://www.googleapis.com/oauth2/v3/userinfo", headers=auth, timeout=5)
        assert info.json()["email"] == "interviewer@demo.example.com"
        emu.configure(faults=[{"group": "list_events", "mode": "timeout", "times": 1}])
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(
                "https://www.googleapis.com/calendar/v3/calendars/primary/events", headers=auth, timeout=5
            )
