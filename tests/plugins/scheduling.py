"""pytest plugin: Zoom as scheduling sees it, replaced at the HTTP level, and the scheduling fixtures.

Registered in tests/conftest.py (``pytest_plugins``). The product is never monkeypatched: scheduling calls
zoom_integration.client for real, and ``responses`` answers its HTTP requests from an in-memory FakeZoom.

Fixtures:

``fast_pacing`` (not autouse; tests/scheduling and tests/booking wrap it in an autouse fixture)
    Pacing through the database at a rate that never makes a test wait.

``linked``
    world.acme linked to Zoom (a LINKED ZoomConnection whose access token is valid for an hour, so no
    refresh happens) with hosts zhost0001 (host@zoom.example.com), zhost0002
    (interviewer@acme.example.com), zgone0003 (left the account) and zoff0004 (inactive).
    ``linked.company``, ``linked.connection``, ``linked.hosts``.

``fake_zoom``
    A FakeZoom behind https://api.zoom.us/v2 (a ``responses.RequestsMock``; loopback URLs pass through).
    Sets ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET / ZOOM_WEBHOOK_SECRET_TOKEN / ZOOM_OAUTH_BASE_URL /
    ZOOM_API_BASE_URL, and requests ``linked``: a test using fake_zoom always has world.acme linked.
    To unlink, set the connection row's status (zoom_integration.models.ConnectionStatus.RELEASED).

``zoom_event``
    一次面接 / Web面接, a Zoom event of world.acme hosted by zhost0001.

FakeZoom API:
    .meetings   dict id -> meeting (id, host_id, topic, agenda, start_time, duration, timezone, join_url,
                start_url, password); edit it to change Zoom behind the product's back.
    .calls      [(name, details)]: ("create", {"host_id", "body"}), ("get", {"meeting_id"}),
                ("update", {"meeting_id", "body"}), ("delete", {"meeting_id"}), ("list", {"host_id"})
    .requests   [ZoomRequest(method, path, query, body, token)]: the HTTP requests as sent (path after /v2)
    .count(name)
    .fail[name] a queue of Fault, one per request of that name ("create", "get", "update", "delete",
                "list"). ``fail["create"]`` answers before anything is made; ``fail["create_lost"]`` after
                the meeting was made (the answer is lost: use Fault.timeout()).
    .hooks[name] a queue of callables, one per request of that name, run after Zoom acted and before it
                answers, with the meeting (or None): "staff changed the slot while the worker waited".
    .mock       the active responses.RequestsMock (add other URLs to it; do not nest another one).

Fault (importable: ``from tests.plugins.scheduling import Fault``):
    Fault.status(503)                                   JSON error body {"code": 503, "message": ...}
    Fault.status(429, retry_after=datetime | seconds)   with a Retry-After header (ISO 8601 / seconds)
    Fault.status(400, code=300, message="Invalid field: start_time")
    Fault.status(404, code=3001, message="Meeting does not exist")
    Fault.daily_limit()        429 with X-RateLimit-Type: Daily-limit
    Fault.scope_missing()      400, code 4711 (the link needs re-authorization)
    Fault.timeout()            requests.exceptions.ReadTimeout raised by the transport
    Fault.disconnect()         requests.exceptions.ConnectionError raised by the transport
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
import responses

from tests.scheduling.factories import SelectionMeetingFactory, ZoomEventFactory
from tests.zoom_integration.factories import ZoomConnectionFactory, ZoomUserFactory

API = "https://api.zoom.us/v2"
OAUTH = "https://zoom.us"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
WEBHOOK_SECRET = "s3cr3t_w3bh00k_t0k3n"

NOT_FOUND = {"code": 3001, "message": "Meeting does not exist"}
DAILY_LIMIT_MESSAGE = (
    "You have reached the maximum daily rate limit for this API. "
    "Refer to the response header for details on when you can make another request."
)

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture
def fast_pacing(settings):
    """Unit tests pace through the database at a rate that never makes them wait."""
    settings.SCHEDULING_PACING_BACKEND = "database"
    settings.SCHEDULING_ZOOM_RATE_LIMITS = {"light": 10000, "medium": 10000, "heavy": 10000}
    return settings


# --- faults -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """How one Zoom request fails: an HTTP error answer, or a transport exception (timeout, disconnect)."""

    status_code: int | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    exception: type[requests.RequestException] | None = None

    @classmethod
    def status(
        cls,
        status: int,
        *,
        code: int | None = None,
        message: str | None = None,
        retry_after: datetime | int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """An error answer with Zoom's JSON body {"code": ..., "message": ...}."""
        extra = dict(headers or {})
        if isinstance(retry_after, datetime):
            # ISO 8601, as Zoom documents it (milliseconds kept, so a test's deadline is not rounded down)
            moment = retry_after.astimezone(UTC).isoformat(timespec="milliseconds")
            extra["Retry-After"] = moment.replace("+00:00", "Z")
        elif retry_after is not None:
            extra["Retry-After"] = str(int(retry_after))
        if message is None:
            message = (
                "Too many requests. Please try again later." if status == 429 else HTTPStatus(status).phrase
            )
        return cls(
            status_code=status,
            body={"code": status if code is None else code, "message": message},
            headers=extra,
        )

    @classmethod
    def daily_limit(cls) -> Fault:
        """Zoom's per-host daily limit of meeting creates/updates (429, X-RateLimit-Type: Daily-limit)."""
        return cls.status(
            429, code=429, message=DAILY_LIMIT_MESSAGE, headers={"X-RateLimit-Type": "Daily-limit"}
        )

    @classmethod
    def scope_missing(cls) -> Fault:
        """400/4711: the token lacks a scope; the product marks the link ERROR (re-authorization)."""
        return cls.status(
            400,
            code=4711,
            message="Invalid access token, does not contain scopes:[meeting:write:meeting:admin].",
        )

    @classmethod
    def timeout(cls) -> Fault:
        """No answer in time: requests.exceptions.ReadTimeout."""
        return cls(exception=requests.exceptions.ReadTimeout)

    @classmethod
    def disconnect(cls) -> Fault:
        """The connection dropped: requests.exceptions.ConnectionError."""
        return cls(exception=requests.exceptions.ConnectionError)

    def answer(self, request: requests.PreparedRequest) -> Answer:
        if self.exception is not None:
            raise self.exception("fake Zoom fault", request=request)
        assert self.status_code is not None
        return _json_answer(self.status_code, self.body, self.headers)


def _json_answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    all_headers = dict(headers or {})
    if body is None:
        return status, all_headers, b""
    all_headers["Content-Type"] = "application/json; charset=utf-8"
    return status, all_headers, json.dumps(body).encode()


# --- the fake -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoomRequest:
    """One request the product sent to the Zoom API."""

    method: str
    path: str  # after /v2, e.g. "/users/zhost0001/meetings"
    query: dict[str, str]
    body: dict[str, Any] | None
    token: str  # the bearer access token


class _Answered(Exception):
    """A fault answered the request instead of Zoom."""

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer


class MeetingsById(dict):
    """Zoom's meetings by their numeric id; a slot's ``meeting_id`` (text) finds its meeting too."""

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(int(key))

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(int(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(int(key) if isinstance(key, str) and key.isdigit() else key)


@dataclass
class FakeZoom:
    """Zoom's meeting endpoints, in memory. See the module docstring."""

    meetings: dict[int, dict] = field(default_factory=lambda: MeetingsById())
    calls: list[tuple[str, dict]] = field(default_factory=list)
    requests: list[ZoomRequest] = field(default_factory=list)
    fail: dict[str, list[Fault]] = field(default_factory=dict)
    hooks: dict[str, list[Callable[[dict | None], None]]] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(81000000001))
    mock: responses.RequestsMock | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def count(self, name: str) -> int:
        return sum(1 for call, _ in self.calls if call == name)

    # --- serving -----------------------------------------------------------------------------------------

    def install(self, mock: responses.RequestsMock) -> None:
        self.mock = mock
        api = re.escape(API)
        routes: list[tuple[str, str, Callable[..., Answer]]] = [
            ("POST", rf"^{api}/users/([^/?#]+)/meetings(\?.*)?$", self._create),
            ("GET", rf"^{api}/users/([^/?#]+)/meetings(\?.*)?$", self._list),
            ("GET", rf"^{api}/meetings/(\d+)(\?.*)?$", self._get),
            ("PATCH", rf"^{api}/meetings/(\d+)(\?.*)?$", self._update),
            ("DELETE", rf"^{api}/meetings/(\d+)(\?.*)?$", self._delete),
        ]
        for method, pattern, handler in routes:
            mock.add_callback(
                method,
                re.compile(pattern),
                callback=self._callback(re.compile(pattern), handler),
                content_type=None,
            )
        mock.add_passthru("http://127.0.0.1")
        mock.add_passthru("http://localhost")

    def _callback(self, pattern: re.Pattern, handler: Callable[..., Answer]):
        def callback(request: requests.PreparedRequest) -> Answer:
            match = pattern.match(request.url or "")
            assert match is not None
            with self.lock:
                self._record(request)
                try:
                    return handler(request, unquote(match.group(1)))
                except _Answered as answered:
                    return answered.answer

        return callback

    def _record(self, request: requests.PreparedRequest) -> None:
        parts = urlsplit(request.url or "")
        raw = request.body or b""
        if isinstance(raw, str):
            raw = raw.encode()
        authorization = request.headers.get("Authorization", "")
        self.requests.append(
            ZoomRequest(
                method=request.method or "",
                path=parts.path.removeprefix(urlsplit(API).path),
                query=dict(parse_qsl(parts.query)),
                body=json.loads(raw) if raw else None,
                token=authorization.removeprefix("Bearer "),
            )
        )

    def _maybe_fail(self, name: str, request: requests.PreparedRequest) -> None:
        queue = self.fail.get(name) or []
        if queue:
            raise _Answered(queue.pop(0).answer(request))

    def _run_hooks(self, name: str, meeting: dict | None) -> None:
        queue = self.hooks.get(name) or []
        if queue:
            queue.pop(0)(meeting)

    # --- endpoints ---------------------------------------------------------------------------------------

    def _create(self, request: requests.PreparedRequest, host_id: str) -> Answer:
        body = self.requests[-1].body or {}
        self.calls.append(("create", {"host_id": host_id, "body": body}))
        self._maybe_fail("create", request)
        meeting_id = next(self.ids)
        self.meetings[meeting_id] = {
            "id": meeting_id,
            "host_id": host_id,
            "topic": body["topic"],
            "agenda": body.get("agenda", ""),
            "start_time": body["start_time"],
            "duration": body["duration"],
            "timezone": body.get("timezone"),
            "join_url": f"https://zoom.us/j/{meeting_id}?pwd=abc",
            "start_url": f"https://zoom.us/s/{meeting_id}?zak=secret-zak",
            "password": "Ab12Cd",
        }
        self._run_hooks("create", dict(self.meetings[meeting_id]))
        self._maybe_fail("create_lost", request)
        return _json_answer(201, self.meetings[meeting_id])

    def _get(self, request: requests.PreparedRequest, meeting_id: str) -> Answer:
        key = int(meeting_id)
        self.calls.append(("get", {"meeting_id": key}))
        self._maybe_fail("get", request)
        if key not in self.meetings:
            return _json_answer(404, NOT_FOUND)
        self._run_hooks("get", dict(self.meetings[key]))
        return _json_answer(200, self.meetings[key])

    def _update(self, request: requests.PreparedRequest, meeting_id: str) -> Answer:
        key = int(meeting_id)
        body = self.requests[-1].body or {}
        self.calls.append(("update", {"meeting_id": key, "body": body}))
        self._maybe_fail("update", request)
        if key not in self.meetings:
            return _json_answer(404, NOT_FOUND)
        self.meetings[key].update(body)
        self._run_hooks("update", dict(self.meetings[key]))
        return _json_answer(204)

    def _delete(self, request: requests.PreparedRequest, meeting_id: str) -> Answer:
        key = int(meeting_id)
        self.calls.append(("delete", {"meeting_id": key}))
        self._maybe_fail("delete", request)
        if key not in self.meetings:
            return _json_answer(404, NOT_FOUND)
        meeting = self.meetings.pop(key)
        self._run_hooks("delete", meeting)
        return _json_answer(204)

    def _list(self, request: requests.PreparedRequest, host_id: str) -> Answer:
        self.calls.append(("list", {"host_id": host_id}))
        self._maybe_fail("list", request)
        items = [
            {key: value for key, value in meeting.items() if key != "start_url"}  # as Zoom lists them
            for meeting in self.meetings.values()
            if meeting["host_id"] == host_id
        ]
        self._run_hooks("list", None)
        return _json_answer(
            200,
            {
                "page_size": 300,
                "total_records": len(items),
                "next_page_token": "",
                "meetings": items,
            },
        )


@pytest.fixture
def linked(world):
    """world.acme linked to Zoom, with two hosts (zhost0001, zhost0002) and a left/inactive user."""
    company = world.acme.company
    connection = ZoomConnectionFactory(company=company, zoom_account_id="AcmeAcct01")
    hosts = [
        ZoomUserFactory(company=company, zoom_user_id="zhost0001", email="host@zoom.example.com"),
        ZoomUserFactory(company=company, zoom_user_id="zhost0002", email="interviewer@acme.example.com"),
        ZoomUserFactory(
            company=company, zoom_user_id="zgone0003", email="gone@zoom.example.com", in_account=False
        ),
        ZoomUserFactory(
            company=company, zoom_user_id="zoff0004", email="off@zoom.example.com", zoom_status="inactive"
        ),
    ]
    return type("Linked", (), {"company": company, "connection": connection, "hosts": hosts})


@pytest.fixture
def fake_zoom(settings, linked) -> Iterator[FakeZoom]:
    """A FakeZoom answering https://api.zoom.us/v2 through responses; world.acme is linked."""
    settings.ZOOM_CLIENT_ID = CLIENT_ID
    settings.ZOOM_CLIENT_SECRET = CLIENT_SECRET
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = WEBHOOK_SECRET
    settings.ZOOM_OAUTH_BASE_URL = OAUTH
    settings.ZOOM_API_BASE_URL = API
    fake = FakeZoom()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield fake


@pytest.fixture
def zoom_event(world):
    meeting = SelectionMeetingFactory(company=world.acme.company, name="一次面接")
    return ZoomEventFactory(selection_meeting=meeting, name="Web面接")
