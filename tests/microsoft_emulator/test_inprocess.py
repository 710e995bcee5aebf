"""microsoft_emulator.inprocess: the emulator behind ``responses`` for requests-based clients (no sockets)."""

from __future__ import annotations

import pytest
import requests
import responses

from microsoft_emulator import Config, Emulator
from microsoft_emulator.inprocess import install
from microsoft_emulator.seed import TENANT_ID


@pytest.fixture
def mocked():
    emu = Emulator(Config())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        install(emu, mock)
        yield emu


def test_token_and_graph_calls_reach_the_emulator_at_microsofts_origins(mocked):
    mocked.grant_admin_consent(TENANT_ID)
    answer = requests.post(
        f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": mocked.config.client_id,
            "client_secret": mocked.config.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=5,
    )
    assert answer.status_code == 200
    auth = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    users = requests.get("https://graph.microsoft.com/v1.0/users", headers=auth, timeout=5)
    assert users.status_code == 200 and len(users.json()["value"]) == 5
    [recorded] = [r for r in mocked.recorded if r.path == "/v1.0/users"]
    assert recorded.headers["Authorization"] == auth["Authorization"]
    mocked.configure(faults=[{"group": "list_users", "mode": "timeout", "times": 1}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get("https://graph.microsoft.com/v1.0/users", headers=auth, timeout=5)
