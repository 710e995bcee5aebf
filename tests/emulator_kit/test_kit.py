"""emulator_kit on its own: the clock, fault rules, settings updates, the outbox, wire and CLI helpers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from emulator_kit import outbox
from emulator_kit.cli import DURATION_UNITS, parse_duration, parse_schedule
from emulator_kit.clock import Clock
from emulator_kit.faults import ConfigError, FaultRule, FaultSettings, pick_fault
from emulator_kit.pages import safe_next
from emulator_kit.wire import Request, json_response, with_query


@dataclass
class Rule(FaultRule):
    MODES = ("status", "timeout", "latency")
    GROUPS = {"all": ("a", "b"), "api": ("a", "b"), "writes": ("b",)}

    label: str = ""


@dataclass
class Settings(FaultSettings):
    FAULT_RULE = Rule
    CONVENIENCE_FAULTS = {"error_rate": "status"}
    SECRET_FIELDS = ("secret",)

    secret: str = "s3cr3t"
    limit: int = 1
    faults: list[Rule] = field(default_factory=list)

    def validate(self) -> None:
        if self.limit < 0:
            raise ConfigError("limit must not be negative")


def test_a_frozen_clock_stands_still_and_advances_on_demand():
    clock = Clock()
    clock.set(datetime(2026, 12, 1, 0, 0), frozen=True)  # naive: taken as UTC
    assert clock.now_datetime() == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    clock.advance(90)
    assert clock.now() == datetime(2026, 12, 1, 0, 1, 30, tzinfo=UTC).timestamp()
    clock.reset()
    assert not clock.frozen


def test_fault_rules_expand_groups_and_reject_unknown_names():
    assert Rule(group="writes").endpoints() == {"b"}
    assert Rule(group=["a", "writes"], status=503).statuses() == [503]
    with pytest.raises(ConfigError, match="unknown endpoint or group 'c'"):
        Rule(group="c")
    with pytest.raises(ConfigError, match="unknown fault mode"):
        Rule(mode="html")
    with pytest.raises(ConfigError, match="unknown fault keys: bogus"):
        Rule.from_dict({"bogus": 1})


def test_pick_fault_spends_times_and_separates_latency_rules():
    rules = [Rule(group="a", mode="latency", seconds=2), Rule(group="a", times=1)]
    rng = random.Random(1)
    assert pick_fault(rules, "a", rng, latency=True) is rules[0]
    assert pick_fault(rules, "a", rng, latency=False).mode == "status"
    assert pick_fault(rules, "a", rng, latency=False) is None  # spent and removed
    assert len(rules) == 1


def test_settings_update_is_all_or_nothing_and_masks_secrets():
    settings = Settings()
    settings.update(faults=[{"group": "b", "mode": "timeout"}], error_rate=0.5)
    assert [(r.mode, r.label) for r in settings.faults] == [("timeout", ""), ("status", "error_rate")]
    with pytest.raises(ConfigError):
        settings.update(limit=-1, error_rate=0)
    assert settings.limit == 1 and len(settings.faults) == 2
    with pytest.raises(ConfigError, match="unknown option"):
        settings.update(nope=1)
    assert settings.to_json()["secret"] == "********"


def test_outbox_retries_on_schedule_then_fails():
    items: list = []
    item = outbox.queue(items, {"id": 1, "event": "e", "body": "{}"}, now=100.0)
    assert outbox.take_due(items, now=100.0) == [item] and item["in_flight"]
    outbox.record_attempt(item, 500, None, now=100.0, delivered=False, retries=[5.0])
    assert (item["status"], item["next_attempt_at"]) == ("pending", 105.0)
    assert outbox.take_due(items, now=104.0) == []
    outbox.record_attempt(item, None, "boom", now=105.0, delivered=False, retries=[5.0])
    assert item["status"] == "failed"
    assert outbox.attempts_view(item, str)[1] == {"at": "105.0", "status": None, "error": "boom"}


def test_deliver_each_records_failures_and_can_reraise():
    items = [{"event": "a"}, {"event": "b"}]
    finished = []

    def send(item):
        if item["event"] == "a":
            raise OSError("down")
        return 200

    results = outbox.deliver_each(items, send, lambda i, s, e: finished.append((i["event"], s, e)))
    assert results == [("a", None), ("b", 200)]
    assert finished[0] == ("a", None, "OSError: down")
    with pytest.raises(OSError):
        outbox.deliver_each(items, send, lambda *_: None, raise_errors=True)


def test_wire_and_cli_helpers():
    assert json_response(200, {"k": "値"}, content_type="x/json").body == '{"k":"値"}'.encode()
    assert with_query("/cb?a=1", {"code": "c", "state": None}) == "/cb?a=1&code=c"
    req = Request.build("post", "/x", "a=1", {"Content-Type": "application/json"}, '{"b": 2}')
    assert (req.method, req.query, req.json(), req.form()) == ("POST", {"a": "1"}, {"b": 2}, {})
    assert parse_duration("90d") == 90 * 86400
    assert parse_duration("2y", {**DURATION_UNITS, "y": 365 * 86400}) == 2 * 365 * 86400
    with pytest.raises(ValueError):
        parse_duration("2y")
    assert parse_schedule("5, 20,,60") == [5.0, 20.0, 60.0]
    assert [safe_next(v) for v in ("/a?b", "//evil", "https://evil", None)] == ["/a?b", "/", "/", "/"]
