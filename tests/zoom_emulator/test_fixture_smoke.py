"""The in-process fixture answers the product's requests with the real emulator logic."""

from __future__ import annotations

import requests


def test_in_process_fixture_points_settings_at_zoom_and_answers_token_errors(zoom_emulator, settings):
    assert settings.ZOOM_OAUTH_BASE_URL == "https://zoom.us"
    assert settings.ZOOM_API_BASE_URL == "https://api.zoom.us/v2"
    response = requests.post(
        "https://zoom.us/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "nope"},
        auth=(zoom_emulator.client_id, zoom_emulator.client_secret),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}
    assert zoom_emulator.requests[-1].form()["grant_type"] == "refresh_token"


def test_server_fixture_answers_over_a_real_socket(zoom_emulator_server, settings):
    assert f"{zoom_emulator_server.base_url}/v2" == settings.ZOOM_API_BASE_URL
    response = requests.get(f"{zoom_emulator_server.base_url}/v2/users", timeout=5)
    assert response.status_code == 401
    assert response.json() == {"code": 124, "message": "Invalid access token."}
