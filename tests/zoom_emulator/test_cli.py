"""python -m zoom_emulator: prints the admin login, serves, keeps its state file across a restart."""

from __future__ import annotations

import json

import requests

from tests.emulator_kit.helpers import run_cli, start_cli, stop


def start(*args: str):
    return start_cli("zoom_emulator", *args)


def test_cli_prints_the_admin_login_and_applies_flags(tmp_path):
    process, base, banner = start("--plan", "business", "--webhook-url", "http://127.0.0.1:9/zoom/webhook/")
    try:
        assert "zoom-admin@sample.example.com / zoom-pass" in banner
        config = requests.get(f"{base}/_emulator/config", timeout=5).json()
        assert config["plan"] == "business"
        assert config["webhook_url"] == "http://127.0.0.1:9/zoom/webhook/"
        assert config["base_url"] == base
        assert requests.get(f"{base}/v2/users", timeout=5).json()["code"] == 124
    finally:
        stop(process)


def test_cli_keeps_state_in_the_state_file_across_a_restart(tmp_path):
    state_file = tmp_path / "zoom_emulator.json"
    process, base, _ = start("--state-file", str(state_file))
    try:
        requests.post(f"{base}/_emulator/config", json={"daily_limit": 5}, timeout=5)
        signin = requests.post(
            f"{base}/signin",
            data={"email": "zoom-admin@sample.example.com", "password": "zoom-pass", "next": "/"},
            allow_redirects=False,
            timeout=5,
        )
        assert signin.status_code == 302
    finally:
        stop(process)
    saved = json.loads(state_file.read_text())
    assert len(saved["sessions"]) == 1
    process, base, _ = start("--state-file", str(state_file))
    try:
        cookie = signin.headers["Set-Cookie"].split(";")[0]
        page = requests.get(f"{base}/meeting", headers={"Cookie": cookie}, allow_redirects=False, timeout=5)
        assert page.status_code == 200  # still signed in: the session survived the restart
    finally:
        stop(process)


def test_cli_rejects_a_bad_fault(tmp_path):
    result = run_cli("zoom_emulator", "--fault", '{"group": "nowhere"}')
    assert result.returncode == 2
    assert "nowhere" in result.stderr
