"""Fidelity: Google's own client library (google-api-python-client, the Calendar v3 discovery document it
bundles, over httplib2) against the emulator's HTTP server, with credentials from the emulator's token
endpoint (google-auth refreshes them there)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from google_emulator import Config, Emulator
from google_emulator.browser import approve
from google_emulator.seed import USER_PASSWORD
from google_emulator.server import EmulatorServer
from tests.emulator_kit.helpers import VERIFIER, http_send

from .helpers import CALLBACK, HOST_EMAIL, authorize_url

EVENT_ID = "e2rprolib000000000000000001"


@pytest.fixture
def server():
    emulator = Emulator(Config(seed=11))
    running = EmulatorServer(emulator, port=0, dispatch_notifications=False).start().point_at_self()
    yield running
    running.stop()


def linked_credentials(server) -> Credentials:
    """The authorization-code flow through the emulator's pages over HTTP, then google-auth Credentials
    that refresh at the emulator's token endpoint."""
    emu = server.emulator
    url = authorize_url(emu).replace("https://accounts.google.com", server.base_url)
    location = approve(http_send(server.base_url), url, email=HOST_EMAIL, password=USER_PASSWORD)
    code = parse_qs(urlsplit(location).query)["code"][0]
    answer = requests.post(
        f"{server.base_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
            "client_id": emu.config.client_id,
            "client_secret": emu.config.client_secret,
        },
        timeout=5,
    ).json()
    return Credentials(
        token=None,  # google-auth refreshes before the first call
        refresh_token=answer["refresh_token"],
        token_uri=f"{server.base_url}/token",
        client_id=emu.config.client_id,
        client_secret=emu.config.client_secret,
        scopes=answer["scope"].split(),
    )


def calendar_service(server, credentials):
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": f"{server.base_url}/calendar/v3/"},
    )


def test_the_official_client_inserts_gets_patches_syncs_and_deletes_a_meet_event(server):
    credentials = linked_credentials(server)
    service = calendar_service(server, credentials)
    events = service.events()

    body = {
        "id": EVENT_ID,
        "summary": "一次面接（山田 太郎 様）",
        "start": {"dateTime": "2026-12-01T10:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2026-12-01T11:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "attendees": [{"email": "yamada@example.com"}],
        "conferenceData": {
            "createRequest": {"requestId": "slot-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
        },
    }
    created = events.insert(calendarId="primary", body=body, conferenceDataVersion=1).execute()
    assert credentials.token and credentials.token.startswith("ya29.")  # refreshed through the emulator
    assert created["id"] == EVENT_ID
    video = [e for e in created["conferenceData"]["entryPoints"] if e["entryPointType"] == "video"]
    assert video[0]["uri"].startswith(f"{server.base_url}/")
    assert created["hangoutLink"] == video[0]["uri"]
    assert created["conferenceData"]["createRequest"]["status"]["statusCode"] == "success"

    # The same id again: 409 duplicate, as the library reports it.
    with pytest.raises(HttpError) as duplicate:
        events.insert(calendarId="primary", body=body, conferenceDataVersion=1).execute()
    assert duplicate.value.resp.status == 409
    assert duplicate.value.error_details[0]["reason"] == "duplicate"
    assert len(server.emulator.events()) == 1

    fetched = events.get(calendarId=HOST_EMAIL, eventId=EVENT_ID).execute()
    assert fetched["hangoutLink"] == created["hangoutLink"]

    listed = events.list(calendarId="primary", singleEvents=True, orderBy="startTime").execute()
    assert [e["id"] for e in listed["items"]] == [EVENT_ID]
    sync_token = listed["nextSyncToken"]

    patched = events.patch(
        calendarId="primary",
        eventId=EVENT_ID,
        body={
            "start": {"dateTime": "2026-12-01T13:00:00+09:00"},
            "end": {"dateTime": "2026-12-01T14:00:00+09:00"},
        },
    ).execute()
    assert patched["start"]["dateTime"] == "2026-12-01T13:00:00+09:00"
    assert patched["hangoutLink"] == created["hangoutLink"]  # the conference stays

    changes = events.list(calendarId="primary", syncToken=sync_token).execute()
    assert [(e["id"], e["start"]["dateTime"]) for e in changes["items"]] == [
        (EVENT_ID, "2026-12-01T13:00:00+09:00")
    ]
    sync_token = changes["nextSyncToken"]

    events.delete(calendarId="primary", eventId=EVENT_ID).execute()
    deleted = events.list(calendarId="primary", syncToken=sync_token).execute()
    assert [(e["id"], e["status"]) for e in deleted["items"]] == [(EVENT_ID, "cancelled")]
    assert events.get(calendarId="primary", eventId=EVENT_ID).execute()["status"] == "cancelled"
    with pytest.raises(HttpError) as gone:
        events.delete(calendarId="primary", eventId=EVENT_ID).execute()
    assert gone.value.resp.status == 410

    with pytest.raises(HttpError) as stale:
        server.emulator.invalidate_sync_tokens()
        events.list(calendarId="primary", syncToken=deleted["nextSyncToken"]).execute()
    assert stale.value.resp.status == 410
    assert stale.value.error_details[0]["reason"] == "fullSyncRequired"


def test_the_official_client_pages_through_a_list(server):
    service = calendar_service(server, linked_credentials(server))
    for hour in range(5):
        service.events().insert(
            calendarId="primary",
            body={
                "summary": f"面接 {hour}",
                "start": {"dateTime": f"2026-12-02T{10 + hour:02d}:00:00+09:00"},
                "end": {"dateTime": f"2026-12-02T{10 + hour:02d}:30:00+09:00"},
            },
        ).execute()
    request = service.events().list(
        calendarId="primary", maxResults=2, singleEvents=True, orderBy="startTime"
    )
    seen, pages = [], 0
    while request is not None:
        answer = request.execute()
        pages += 1
        seen += [e["summary"] for e in answer["items"]]
        previous = answer
        request = service.events().list_next(request, answer)
    assert pages == 3
    assert seen == [f"面接 {h}" for h in range(5)]
    assert "nextSyncToken" in previous


def test_the_official_client_reports_a_revoked_grant(server):
    credentials = linked_credentials(server)
    service = calendar_service(server, credentials)
    service.events().list(calendarId="primary").execute()
    server.emulator.revoke(HOST_EMAIL)
    # The call answers 401; google-auth refreshes at the token endpoint, which refuses the revoked grant.
    with pytest.raises(RefreshError) as refused:
        service.events().list(calendarId="primary").execute()
    assert refused.value.args[1] == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_the_official_client_opens_and_stops_a_watch_channel(server):
    service = calendar_service(server, linked_credentials(server))
    channel = (
        service.events()
        .watch(
            calendarId="primary",
            body={"id": "lib-channel-1", "type": "web_hook", "address": "https://e2rpro.example.com/hook"},
        )
        .execute()
    )
    assert channel["kind"] == "api#channel" and channel["resourceId"]
    assert server.emulator.pending_notifications()[0]["headers"]["X-Goog-Resource-State"] == "sync"
    stopped = (
        service.channels().stop(body={"id": channel["id"], "resourceId": channel["resourceId"]}).execute()
    )
    assert stopped == ""  # 204: the library answers an empty string
    assert server.emulator.channels() == []
