"""Fault rules and the settings plumbing around them: a rule names endpoints (or groups of them), a mode
(an error answer, a timeout, a hang-up, added latency, ...), how often it fires and whether the action
takes effect first. Each emulator subclasses ``FaultRule`` with its own endpoint groups and modes, and
mixes ``FaultSettings`` into its ``Config`` dataclass."""

from __future__ import annotations

import copy
import random
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Self


class ConfigError(ValueError):
    """An option given to configure() (or POST /_emulator/config) is unknown or invalid."""


@dataclass
class FaultRule:
    """One fault: which endpoints, what happens, how often, and whether the action takes effect first.

    group     an endpoint name or group (``GROUPS``), or a list of them
    mode      one of ``MODES``: status (a vendor-shaped 5xx) | html (non-JSON error page) | timeout |
              disconnect | latency (and whatever the vendor adds)
    status    the HTTP status, or a list to pick from at random (default 500/502/503)
    rate      share of matching requests hit (0..1)
    times     hit only the next N matching requests, then the rule is spent (None: no limit)
    after     True: the action takes effect, then the answer is lost (created meeting, rotated token)
    seconds   added delay for mode "latency"
    label     a name to find the rule again (the error_rate/timeout_rate shortcuts use their own name);
              declared by each subclass as its last field
    """

    # The vendor's fault modes and endpoint groups (``"all"`` lists every endpoint); set by subclasses.
    MODES: ClassVar[tuple[str, ...]] = ()
    GROUPS: ClassVar[dict[str, tuple[str, ...]]] = {"all": ()}

    group: str | list[str] = "api"
    mode: str = "status"
    status: int | list[int] = field(default_factory=lambda: [500, 502, 503])
    rate: float = 1.0
    times: int | None = None
    after: bool = False
    seconds: float = 0.0
    # Subclasses end with ``label: str = ""`` (after any fields of their own, so that the JSON view keeps
    # the vendor's field order).
    if TYPE_CHECKING:
        label: str

    def __post_init__(self) -> None:
        if self.mode not in self.MODES:
            raise ConfigError(f"unknown fault mode {self.mode!r}; one of {', '.join(self.MODES)}")
        for name in self.group_names():
            if name not in self.GROUPS and name not in self.GROUPS["all"]:
                raise ConfigError(f"unknown endpoint or group {name!r}")
        if not 0 <= float(self.rate) <= 1:
            raise ConfigError("fault rate must be between 0 and 1")

    def group_names(self) -> list[str]:
        return [self.group] if isinstance(self.group, str) else list(self.group)

    def endpoints(self) -> set[str]:
        names: set[str] = set()
        for name in self.group_names():
            names.update(self.GROUPS.get(name, (name,)))
        return names

    def statuses(self) -> list[int]:
        return [self.status] if isinstance(self.status, int) else list(self.status)

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        if not isinstance(data, dict):
            raise ConfigError("each fault must be an object")
        allowed = {f.name for f in fields(cls)}
        unknown = set(data) - allowed
        if unknown:
            raise ConfigError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        return cls(**data)


def pick_fault(rules: list[Any], endpoint: str, rng: random.Random, *, latency: bool) -> Any | None:
    """The first rule in ``rules`` that fires for this request (spending one of its ``times``; a spent rule
    is removed from the list). ``latency`` picks among the "latency" rules, otherwise among the others."""
    for rule in list(rules):
        if (rule.mode == "latency") != latency or endpoint not in rule.endpoints():
            continue
        if rule.rate < 1 and rng.random() >= rule.rate:
            continue
        if rule.times is not None:
            rule.times -= 1
            if rule.times <= 0:
                rules.remove(rule)
        return rule
    return None


class FaultSettings:
    """Mixed into an emulator's ``Config`` dataclass: copying, the JSON view (secrets masked) and validated
    in-place updates, with shortcut keys that add or replace a labelled rule on the "api" group."""

    FAULT_RULE: ClassVar[type[FaultRule]] = FaultRule
    # Shortcut option → fault mode: ``error_rate=0.1`` adds FaultRule(group="api", mode="status", rate=0.1).
    CONVENIENCE_FAULTS: ClassVar[dict[str, str]] = {}
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ()

    faults: list[Any]

    def validate(self) -> None:
        """Raise ConfigError on an invalid combination (subclasses check their own fields)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)  # type: ignore[call-overload]
        for name in self.SECRET_FIELDS:
            data[name] = "********"
        return data

    def copy(self) -> Self:
        return copy.deepcopy(self)

    def update(self, **options: Any) -> None:
        """Apply options in place (validated): nothing changes unless every option is valid."""
        known = {f.name for f in fields(self)}  # type: ignore[arg-type]
        staged = self.copy()
        for key, value in options.items():
            if key in self.CONVENIENCE_FAULTS:
                staged.faults = [r for r in staged.faults if r.label != key]
                if value:
                    staged.faults.append(
                        self.FAULT_RULE(
                            group="api", mode=self.CONVENIENCE_FAULTS[key], rate=float(value), label=key
                        )
                    )
                continue
            if key not in known:
                raise ConfigError(f"unknown option {key!r}")
            if key == "faults":
                value = [
                    r if isinstance(r, FaultRule) else self.FAULT_RULE.from_dict(r) for r in (value or [])
                ]
            setattr(staged, key, value)
        staged.validate()
        for f in fields(self):  # type: ignore[arg-type]
            setattr(self, f.name, getattr(staged, f.name))
