"""How a lower app tells a higher one: signals and registries whose receivers are required.

The apps form layers (accounts → applicants → notifications → zoom_integration → scheduling → booking);
each imports only from the ones before it. When a lower app must reach a higher one (scheduling tells
booking that a slot moved), it declares a ``RequiredSignal`` or a ``Registry`` naming the apps that must
answer; those apps connect in their ``AppConfig.ready()``. The system check ``hooks.E001`` (registered by
accounts) fails at start-up when a named app has connected nothing, so a missing receiver is an error
instead of a silently skipped step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.apps import AppConfig
from django.core import checks
from django.dispatch import Signal

logger = logging.getLogger(__name__)
_DECLARED: list[RequiredSignal | Registry[Any]] = []

F = TypeVar("F", bound=Callable[..., Any])


def _app_of(function: Callable[..., Any]) -> str:
    return function.__module__.split(".", 1)[0]


class RequiredSignal(Signal):
    """A signal each app in ``required_from`` must connect a receiver to (checked at start-up)."""

    def __init__(self, name: str, *, required_from: Iterable[str]) -> None:
        super().__init__()
        self.name = name
        self.required_from = tuple(required_from)
        self._connected_apps: dict[Any, str] = {}
        _DECLARED.append(self)

    def connect(
        self,
        receiver: Callable[..., Any],
        sender: Any = None,
        weak: bool = True,
        dispatch_uid: Any = None,
    ) -> None:
        super().connect(receiver, sender=sender, weak=weak, dispatch_uid=dispatch_uid)
        self._connected_apps[dispatch_uid or id(receiver)] = _app_of(receiver)

    def disconnect(
        self, receiver: Callable[..., Any] | None = None, sender: Any = None, dispatch_uid: Any = None
    ) -> bool:
        removed = super().disconnect(receiver, sender=sender, dispatch_uid=dispatch_uid)
        if removed:
            self._connected_apps.pop(dispatch_uid or id(receiver), None)
        return removed

    def connected_apps(self) -> set[str]:
        return set(self._connected_apps.values())

    def send_logged(self, sender: Any, **named: Any) -> None:
        """Send to every receiver; a receiver that raises is logged and the others still run (for
        announcements after commit, when the sender's own work is already saved)."""
        for receiver, result in self.send_robust(sender, **named):
            if isinstance(result, Exception):
                logger.error(
                    "%s: receiver %s.%s failed",
                    self.name,
                    getattr(receiver, "__module__", "?"),
                    getattr(receiver, "__qualname__", receiver),
                    exc_info=result,
                )


class Registry(Generic[F]):
    """Functions that higher apps register (timeline items, reminders, page panels), in registration order.

    Registering the same function again replaces it. ``required_from`` names the apps that must register
    at least one function (checked at start-up).
    """

    def __init__(self, name: str, *, required_from: Iterable[str] = ()) -> None:
        self.name = name
        self.required_from = tuple(required_from)
        self._functions: dict[str, F] = {}
        _DECLARED.append(self)

    def register(self, function: F) -> F:
        self._functions[f"{function.__module__}.{function.__qualname__}"] = function
        return function

    def unregister(self, function: F) -> None:
        self._functions.pop(f"{function.__module__}.{function.__qualname__}", None)

    def functions(self) -> list[F]:
        return list(self._functions.values())

    def connected_apps(self) -> set[str]:
        return {_app_of(function) for function in self._functions.values()}


def check_required_receivers(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[checks.Error]:
    """hooks.E001: a signal or registry lacks the receiver an installed app must provide."""
    errors = []
    for declared in _DECLARED:
        for app in declared.required_from:
            if app not in declared.connected_apps():
                errors.append(
                    checks.Error(
                        f"{declared.name} has no receiver from the '{app}' app.",
                        hint=f"Connect one in {app}'s AppConfig.ready(), and keep '{app}' in INSTALLED_APPS.",
                        id="hooks.E001",
                    )
                )
    return errors
