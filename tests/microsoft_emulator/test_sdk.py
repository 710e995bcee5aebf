"""Fidelity: Microsoft's own Graph SDK for Python (msgraph-sdk, Kiota over httpx) against the emulator's HTTP
server, with an access token the emulator's token endpoint issued (client credentials after admin consent)."""

from __future__ import annotations

import asyncio
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration

with warnings.catch_warnings():
    # The SDK's generated request builders warn about their own deprecated classes as they are defined.
    warnings.simplefilter("ignore", DeprecationWarning)
    from msgraph import GraphServiceClient
    from msgraph.generated.models.body_type import BodyType
    from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
    from msgraph.generated.models.event import Event
    from msgraph.generated.models.item_body import ItemBody
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType
    from msgraph.generated.users.item.online_meetings.create_or_get.create_or_get_post_request_body import (
        CreateOrGetPostRequestBody,
    )
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from microsoft_emulator import Config, Emulator
from microsoft_emulator.seed import TENANT_ID
from microsoft_emulator.server import EmulatorServer

from .helpers import INTERVIEWER, admin_consent_url, browse

# ... and about their deprecated configuration classes when used.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class EmulatorCredential:
    """An azure-core TokenCredential that hands the SDK a token from the emulator's token endpoint."""

    def __init__(self, token: str, expires_on: int) -> None:
        self.token = token
        self.expires_on = expires_on
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, self.expires_on)


def run_coroutine(coroutine):
    """Run the SDK's coroutine on an event loop of its own thread: in the whole suite the main thread may
    already run Playwright's loop, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def server():
    emulator = Emulator(Config(seed=11))
    running = EmulatorServer(emulator, port=0, dispatch_notifications=False).start()
    for config in (emulator.config, emulator.initial_config):
        config.login_url = config.graph_url = config.teams_url = running.base_url
    yield running
    running.stop()


def sdk_client(server) -> tuple[GraphServiceClient, EmulatorCredential]:
    emu = server.emulator
    browse(emu, admin_consent_url(emu))
    answer = requests.post(
        f"{server.base_url}/{TENANT_ID}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emu.config.client_id,
            "client_secret": emu.config.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    credential = EmulatorCredential(
        tokens["access_token"], int(datetime.now(UTC).timestamp()) + tokens["expires_in"]
    )
    client = GraphServiceClient(credentials=credential, scopes=["https://graph.microsoft.com/.default"])
    client.request_adapter.base_url = f"{server.base_url}/v1.0"
    return client, credential


def test_msgraph_sdk_lists_users_and_drives_events_and_online_meetings(server):
    client, credential = sdk_client(server)

    async def scenario() -> dict:
        out: dict = {}
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            top=2, select=["id", "displayName", "userPrincipalName"]
        )
        page = await client.users.get(request_configuration=RequestConfiguration(query_parameters=query))
        out["first_page"] = [u.user_principal_name for u in page.value]
        out["next_link"] = page.odata_next_link
        out["interviewer"] = (await client.users.by_user_id(INTERVIEWER).get()).display_name

        start = datetime(2026, 12, 1, 10, 0)
        event = Event(
            subject="一次面接（山田 太郎 様）",
            body=ItemBody(content_type=BodyType.Html, content="<p>e2rpro</p>"),
            start=DateTimeTimeZone(date_time=start.isoformat(), time_zone="Tokyo Standard Time"),
            end=DateTimeTimeZone(
                date_time=(start + timedelta(hours=1)).isoformat(), time_zone="Tokyo Standard Time"
            ),
            is_online_meeting=True,
            online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness,
            transaction_id="e2rpro-sdk-0001",
        )
        events = client.users.by_user_id(INTERVIEWER).events
        created = await events.post(event)
        again = await events.post(event)  # a retry with the same transactionId
        out["created"] = created
        out["again_id"] = again.id
        fetched = await events.by_event_id(created.id).get()
        out["fetched_join"] = fetched.online_meeting.join_url
        moved = await events.by_event_id(created.id).patch(
            Event(
                start=DateTimeTimeZone(date_time="2026-12-01T14:00:00", time_zone="Tokyo Standard Time"),
                end=DateTimeTimeZone(date_time="2026-12-01T15:00:00", time_zone="Tokyo Standard Time"),
            )
        )
        out["moved_start"] = moved.start.date_time
        await events.by_event_id(created.id).delete()
        try:
            await events.by_event_id(created.id).get()
        except ODataError as exc:
            out["after_delete"] = (exc.response_status_code, exc.error.code)

        body = CreateOrGetPostRequestBody(
            external_id="e2rpro-slot-0001",
            subject="二次面接",
            start_date_time=datetime(2026, 12, 2, 1, 0, tzinfo=UTC),
            end_date_time=datetime(2026, 12, 2, 2, 0, tzinfo=UTC),
        )
        meetings = client.users.by_user_id(INTERVIEWER).online_meetings
        first = await meetings.create_or_get.post(body)
        second = await meetings.create_or_get.post(body)
        out["meetings"] = (first.id, second.id, first.join_web_url, first.external_id)
        out["meeting_get"] = (await meetings.by_online_meeting_id(first.id).get()).subject
        return out

    out = run_coroutine(scenario())
    assert out["first_page"] == ["ms-admin@sample.example.com", "recruiter@demo.example.com"]
    assert "$skiptoken=" in out["next_link"]
    assert out["interviewer"] == "面接 一郎"
    created = out["created"]
    assert created.subject == "一次面接（山田 太郎 様）"
    assert created.is_online_meeting is True
    assert created.online_meeting.join_url.startswith(f"{server.base_url}/l/meetup-join/")
    assert created.start.time_zone == "Tokyo Standard Time"
    assert created.start.date_time.startswith("2026-12-01T10:00:00")
    assert out["again_id"] == created.id
    assert out["fetched_join"] == created.online_meeting.join_url
    assert out["moved_start"].startswith("2026-12-01T14:00:00")
    assert out["after_delete"] == (404, "ErrorItemNotFound")
    first_id, second_id, join_url, external_id = out["meetings"]
    assert first_id == second_id
    assert join_url.startswith(f"{server.base_url}/l/meetup-join/")
    assert external_id == "e2rpro-slot-0001"
    assert out["meeting_get"] == "二次面接"
    state = server.emulator.snapshot()
    assert state["events"] == []
    assert len(state["online_meetings"]) == 1
    assert state["request_counts"]["create_event"] == 2
    assert credential.scopes  # the SDK asked the credential for its token


def test_msgraph_sdk_raises_graph_errors_with_the_emulators_codes(server):
    client, _ = sdk_client(server)
    server.emulator.revoke_consent()

    async def scenario():
        try:
            await client.users.get()
        except ODataError as exc:
            return exc.response_status_code, exc.error.code

    assert run_coroutine(scenario()) == (401, "InvalidAuthenticationToken")
