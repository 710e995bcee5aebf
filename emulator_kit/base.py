"""What every emulator object shares besides its vendor logic: the lock, the settable clock, the config it
started with and the current one, the seeded random source, the recorded requests, the request pipeline
(routing, latency, faults, counting), the JSON state file and the common ``/_emulator`` admin endpoints
(state, reset, config, clock).

A subclass sets ``ROUTES``, ``JSON_CONTENT_TYPE``, ``STATE_VERSION`` and ``STATE_FILE_PREFIX``; implements
``seed_state()``, ``snapshot()``, ``_no_route()``, ``_endpoint_name()``, ``_api_call()`` and
``fault_response()``; may override the ``_rewrite``/``_route_params``/``_answered``/``_finish`` hooks; and
calls ``EmulatorBase.__init__`` once its own attributes are set.

Every transport drives the same ``handle(method, path, query, headers, body)``. The lock makes it safe to
call from many threads; nothing here sleeps or does network I/O while holding it.
"""

from __future__ import annotations

import json
import os
import random
import re
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from .clock import Clock
from .faults import ConfigError, FaultSettings, pick_fault
from .wire import RecordedRequest, Request, Response, iso_z, json_response, redirect


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: str  # the emulator method that answers
    endpoint: str | None = None  # API/token endpoint name: counted, recorded, rate-limited, faultable
    locked: bool = True  # False: the handler takes the lock itself (it may send requests of its own)


def route(
    method: str, path: str, handler: str, endpoint: str | None = None, *, locked: bool = True, flags: int = 0
) -> Route:
    """A Route for the whole path ``path`` (a regular expression; named groups become handler arguments)."""
    return Route(method, re.compile(f"^{path}$", flags), handler, endpoint, locked)


def admin_routes(*, flags: int = 0) -> list[Route]:
    """/_emulator/state, /_emulator/reset, /_emulator/config (GET and POST) and /_emulator/clock: the admin
    endpoints EmulatorBase answers."""
    return [
        route("GET", "/_emulator/state", "admin_state", flags=flags),
        route("POST", "/_emulator/reset", "admin_reset", flags=flags),
        route("GET", "/_emulator/config", "admin_get_config", flags=flags),
        route("POST", "/_emulator/config", "admin_config", flags=flags),
        route("POST", "/_emulator/clock", "admin_clock", flags=flags),
    ]


class EmulatorBase:
    ROUTES: ClassVar[list[Route]] = []
    JSON_CONTENT_TYPE = "application/json"
    STATE_VERSION = 1
    STATE_FILE_PREFIX = ".emulator."

    def __init__(self, config: FaultSettings, *, state_file: str | os.PathLike[str] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.initial_config: Any = config.copy()
        self.initial_config.validate()
        self.config: Any = self.initial_config.copy()
        self.rng = random.Random(self.config.seed)
        self.state_file = Path(state_file) if state_file else None
        self.recorded: list[RecordedRequest] = []
        self._saved_text: str | None = None
        self.state: dict[str, Any] = self._load_state() or self.seed_state()

    def seed_state(self) -> dict[str, Any]:
        """The state a fresh emulator starts from (and ``reset`` returns to)."""
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        """What GET /_emulator/state answers."""
        raise NotImplementedError

    def now(self) -> float:
        return self.clock.now()

    def json_answer(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
        """A JSON answer in the vendor's content type."""
        return json_response(status, obj, headers, content_type=self.JSON_CONTENT_TYPE)

    # ---- the one entry point --------------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        query: str | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
    ) -> Response:
        """Answer one request. Returns a Response that unpacks as (status, headers, body); its ``fault``
        ("timeout" / "disconnect") tells the transport to time out or hang up instead of answering."""
        req = Request.build(method, path, query, headers, body)
        if len(req.path) > 1 and req.path.endswith("/"):
            req.path = req.path.rstrip("/")
        self._rewrite(req)
        found, params = self._match(req)
        if found is None:
            return params  # the 404 / 405 answer
        endpoint = self._endpoint_name(found, req)
        if endpoint:
            delay = self._latency(endpoint)
            if delay > 0:
                time.sleep(delay)  # outside the lock: slow answers must not serialize other requests
        if not found.locked:
            return getattr(self, found.handler)(req, **params)
        with self.lock:
            response = self._dispatch(found, req, params, endpoint)
        return self._finish(req, response)

    def _rewrite(self, req: Request) -> None:
        """Hook: adjust the request (an alias path) before routing."""

    def _finish(self, req: Request, response: Response) -> Response:
        """Hook: complete a locked route's answer outside the lock."""
        return response

    def _answered(self, req: Request, response: Response) -> Response:
        """Hook: decorate an endpoint's (non-fault) answer, inside the lock."""
        return response

    def _match(self, req: Request) -> tuple[Route | None, Any]:
        allowed = []
        for candidate in self.ROUTES:
            found = candidate.pattern.match(req.path)
            if found:
                if candidate.method == req.method:
                    return candidate, self._route_params(found)
                allowed.append(candidate.method)
        return None, self._no_route(req, method_allowed=not allowed)

    def _route_params(self, found: re.Match[str]) -> dict[str, str]:
        """Hook: the handler arguments from a route's named groups."""
        return found.groupdict()

    def _no_route(self, req: Request, *, method_allowed: bool) -> Response:
        """The vendor's 404 (no route for the path) or 405 (``method_allowed`` False) answer."""
        raise NotImplementedError

    def _endpoint_name(self, found: Route, req: Request) -> str | None:
        """The endpoint name a request counts as (token routes split by grant type)."""
        return found.endpoint

    def _dispatch(self, found: Route, req: Request, params: dict[str, str], endpoint: str | None) -> Response:
        if endpoint is None:
            return getattr(self, found.handler)(req, **params)
        if self.config.record_requests:
            self.recorded.append(
                RecordedRequest(req.method, req.path, dict(req.query), req.headers, req.body)
            )
        self.count("requests", endpoint)
        fault = self.pick_fault(endpoint, latency=False)
        if fault and not fault.after:
            return self.fault_response(req, endpoint, fault)
        if found.handler.startswith("api_"):
            response = self._api_call(found, req, params, endpoint)
        else:
            response = getattr(self, found.handler)(req, **params)
        if fault:  # the action took effect; the answer is lost
            return self.fault_response(req, endpoint, fault)
        return self._answered(req, response)

    def _api_call(self, found: Route, req: Request, params: dict[str, str], endpoint: str) -> Response:
        """An API route: authenticate, apply the vendor's limits, then call the handler with the token."""
        raise NotImplementedError

    def count(self, kind: str, endpoint: str) -> None:
        """Add one to ``state["stats"][kind][endpoint]`` (requests, faults, rate-limited, ...)."""
        stats = self.state["stats"][kind]
        stats[endpoint] = stats.get(endpoint, 0) + 1

    # ---- faults ---------------------------------------------------------------------------------------
    def fault_response(self, req: Request, endpoint: str, rule: Any) -> Response:
        """The answer a fired (non-latency) rule gives."""
        raise NotImplementedError

    def transport_fault(self, endpoint: str, rule: Any) -> Response | None:
        """Count the fault; for the "timeout" and "disconnect" modes, the Response telling the transport to
        time out or hang up (None for the modes the vendor answers itself)."""
        self.count("faults", endpoint)
        if rule.mode == "timeout":
            return Response(504, fault="timeout")
        if rule.mode == "disconnect":
            return Response(502, fault="disconnect")
        return None

    def pick_fault(self, endpoint: str, *, latency: bool) -> Any | None:
        """The first matching rule that fires for this request (spending one of its ``times``)."""
        return pick_fault(self.config.faults, endpoint, self.rng, latency=latency)

    def _latency(self, endpoint: str) -> float:
        """Seconds to wait before answering ``endpoint``: the configured latency plus a "latency" rule's."""
        with self.lock:
            delay = self.config.latency
            rule = self.pick_fault(endpoint, latency=True)
            return delay + (rule.seconds if rule else 0.0)

    # ---- configuration, clock, reset ------------------------------------------------------------------
    def configure(self, **options: Any) -> dict[str, Any]:
        with self.lock:
            if "seed" in options:
                self.rng = random.Random(options["seed"])
            self.config.update(**options)
            return self.config.to_json()

    def set_clock(self, when: datetime | float, *, frozen: bool = False) -> None:
        self.clock.set(when, frozen=frozen)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def reset(self) -> None:
        """Back to the seeded state and the start-up config; the clock runs in real time again. Subclasses
        extend it to clear their own logs."""
        with self.lock:
            self.state = self.seed_state()
            self.config = self.initial_config.copy()
            self.rng = random.Random(self.config.seed)
            self.recorded.clear()
            self.clock.reset()

    # ---- persistence ----------------------------------------------------------------------------------
    def _load_state(self) -> dict[str, Any] | None:
        if not self.state_file or not self.state_file.exists():
            return None
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("version") != self.STATE_VERSION:
            return None
        for item in data.get("outbox", []):
            item["in_flight"] = False
        return data

    def save(self, *, force: bool = False) -> None:
        """Write the state file (atomically) when there is one and the state changed since the last write."""
        if not self.state_file:
            return
        with self.lock:
            text = json.dumps(self.state, ensure_ascii=False)
        if text == self._saved_text and not force:
            return
        self._saved_text = text
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=self.STATE_FILE_PREFIX, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, self.state_file)

    # ---- /_emulator endpoints -------------------------------------------------------------------------
    def admin_state(self, req: Request) -> Response:
        return self.json_answer(200, self.snapshot())

    def admin_reset(self, req: Request) -> Response:
        self.reset()
        return self._admin_done(req, {"status": "reset"})

    def admin_get_config(self, req: Request) -> Response:
        return self.json_answer(200, self.config.to_json())

    def admin_config(self, req: Request) -> Response:
        options = self._admin_body(req)
        if not isinstance(options, dict):
            return self.json_answer(400, {"error": "send a JSON object of options"})
        try:
            return self.json_answer(200, self.configure(**options))
        except (ConfigError, TypeError) as exc:
            return self.json_answer(400, {"error": str(exc)})

    def admin_clock(self, req: Request) -> Response:
        options = self._admin_body(req) or {}
        try:
            if "now" in options:
                when = datetime.fromisoformat(str(options["now"]).replace("Z", "+00:00"))
                self.set_clock(when, frozen=bool(options.get("frozen", False)))
            if "advance" in options:
                self.advance(float(options["advance"]))
        except (TypeError, ValueError) as exc:
            return self.json_answer(400, {"error": str(exc)})
        return self.json_answer(200, {"now": iso_z(self.now()), "frozen": self.clock.frozen})

    def _admin_body(self, req: Request) -> Any:
        """The options of an admin POST: a JSON body, or the form fields (without ``_return``)."""
        if "json" in req.headers.get("content-type", "") or req.body[:1] in (b"{", b"["):
            try:
                return json.loads(req.body or b"{}")
            except ValueError:
                return None
        return {k: v for k, v in req.form().items() if k != "_return"}

    def _admin_done(self, req: Request, result: dict[str, Any]) -> Response:
        """Redirect a dashboard form back to its page (a local ``_return`` path), else answer JSON."""
        back = req.form().get("_return")
        if back and back.startswith("/") and not back.startswith("//"):
            return redirect(back)
        return self.json_answer(200, result)
