"""python -m microsoft_emulator: prints the admin login, serves, keeps its state file across a restart."""

from __future__ import annotations

import json

import requests

from tests.emulator_kit.helpers import run_cli, start_cli, stop


def start(*args: str):
    return start_cli("microsoft_emulator", *args)


def test_cli_prints_the_admin_login_and_applies_flags():
    process, base, banner = start("--throttle-limit", "50")
    try:
        assert "ms-admin@sample.example.com / ms-pass" in banner
        config = requests.get(f"{base}/_emulator/config", timeout=5).json()
        assert config["throttle_limit"] == 50
        assert config["login_url"] == config["graph_url"] == config["teams_url"] == base
        unauthenticated = requests.get(f"{base}/v1.0/users", timeout=5)
        assert unauthenticated.status_code == 401
    finally:
        stop(process)


def test_cli_keeps_state_in_the_state_file_across_a_restart(tmp_path):
    state_file = tmp_path / "microsoft_emulator.json"
    process, base, _ = start("--state-file", str(state_file))
    try:
        granted = requests.post(f"{base}/_emulator/consent/grant", json={}, timeout=5)
        assert granted.status_code == 200
    finally:
        stop(process)
    assert json.loads(state_file.read_text())["consents"]
    process, base, _ = start("--state-file", str(state_file))
    try:
        state = requests.get(f"{base}/_emulator/state", timeout=5).json()
        assert state["tenants"][0]["consent"]["active"] is True
    finally:
        stop(process)


def test_cli_rejects_a_bad_fault():
    result = run_cli("microsoft_emulator", "--fault", '{"group": "nowhere"}')
    assert result.returncode == 2
    assert "nowhere" in result.stderr
