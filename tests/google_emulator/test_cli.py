"""python -m google_emulator: prints the admin login, applies flags and environment variables, keeps its
state file across a restart."""

from __future__ import annotations

import json
import os

import requests

from tests.emulator_kit.helpers import run_cli, start_cli, stop


def test_cli_prints_the_admin_login_and_applies_flags():
    process, base, banner = start_cli(
        "google_emulator",
        "--user-quota",
        "50",
        "--client-id",
        "cli-client.apps.googleusercontent.com",
        "--redirect-uri",
        "http://127.0.0.1:9000/web-interview/google/callback/",
    )
    try:
        assert "gw-admin@sample.example.com / google-pass" in banner
        config = requests.get(f"{base}/_emulator/config", timeout=5).json()
        assert config["user_quota"] == 50
        assert config["client_id"] == "cli-client.apps.googleusercontent.com"
        assert config["redirect_uris"] == ["http://127.0.0.1:9000/web-interview/google/callback/"]
        assert (
            config["accounts_url"] == config["oauth2_url"] == config["api_url"] == config["meet_url"] == base
        )
        assert requests.get(f"{base}/calendar/v3/calendars/primary/events", timeout=5).status_code == 401
    finally:
        stop(process)


def test_cli_reads_environment_fallbacks(monkeypatch):
    monkeypatch.setitem(os.environ, "GOOGLE_EMULATOR_CLIENT_SECRET", "from-env")
    monkeypatch.setitem(os.environ, "GOOGLE_EMULATOR_USER_QUOTA_STATUS", "429")
    process, base, _ = start_cli("google_emulator")
    try:
        config = requests.get(f"{base}/_emulator/config", timeout=5).json()
        assert config["user_quota_status"] == 429
        grant = requests.post(
            f"{base}/_emulator/grants", json={"user": "recruiter@demo.example.com"}, timeout=5
        )
        answer = requests.post(
            f"{base}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": grant.json()["refresh_token"],
                "client_id": config["client_id"],
                "client_secret": "from-env",
            },
            timeout=5,
        )
        assert answer.status_code == 200
    finally:
        stop(process)


def test_cli_keeps_state_in_the_state_file_across_a_restart(tmp_path):
    state_file = tmp_path / "google_emulator.json"
    process, base, _ = start_cli("google_emulator", "--state-file", str(state_file))
    try:
        tokens = requests.post(
            f"{base}/_emulator/grants", json={"user": "interviewer@demo.example.com"}, timeout=5
        ).json()
        created = requests.post(
            f"{base}/calendar/v3/calendars/primary/events",
            params={"conferenceDataVersion": "1"},
            json={
                "id": "persisted01",
                "start": {"dateTime": "2026-12-01T10:00:00+09:00"},
                "end": {"dateTime": "2026-12-01T11:00:00+09:00"},
                "conferenceData": {
                    "createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
                },
            },
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=5,
        )
        assert created.status_code == 200
        assert created.json()["hangoutLink"].startswith(f"{base}/")
    finally:
        stop(process)
    assert json.loads(state_file.read_text())["events"]
    process, base, _ = start_cli("google_emulator", "--state-file", str(state_file))
    try:
        events = requests.get(f"{base}/_emulator/events", timeout=5).json()["events"]
        assert [e["id"] for e in events] == ["persisted01"]
        again = requests.get(
            f"{base}/calendar/v3/calendars/primary/events/persisted01",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=5,
        )
        assert again.status_code == 200
    finally:
        stop(process)


def test_cli_rejects_a_bad_fault():
    result = run_cli("google_emulator", "--fault", '{"group": "nowhere"}')
    assert result.returncode == 2
    assert "nowhere" in result.stderr
