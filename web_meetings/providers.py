"""One interface for the web-meeting services (Web面接連携サービス): Zoom today, Teams and Google Meet next.

Scheduling's issuance asks ``provider_for(event.web_meeting)`` for the provider and drives meetings through
it; it never imports a provider app. Each provider app registers itself in its ``AppConfig.ready()``.
Plan and order of work: docs/web-meeting-providers.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from accounts.models import Company


@dataclass(frozen=True)
class MeetingOptions:
    """The event's meeting settings; a provider applies the ones its service has."""

    waiting_room: bool = True
    join_before_host: bool = False
    use_passcode: bool = True
    use_pmi: bool = False


@dataclass(frozen=True)
class MeetingSpec:
    """What the slot wants its meeting to be."""

    topic: str
    start: datetime
    duration_minutes: int
    time_zone: str
    agenda: str  # carries the slot's marker: how a meeting made by an unanswered create is found again
    options: MeetingOptions = field(default_factory=MeetingOptions)


@dataclass(frozen=True)
class Meeting:
    """A meeting as the service has it. ``join_url`` is for applicants; no host-only start URL is kept."""

    id: int | str
    join_url: str = ""
    passcode: str = ""
    start: datetime | None = None
    duration_minutes: int | None = None
    agenda: str | None = None  # None: the service's listing left it out (ask ``get_meeting``)
    topic: str = ""


class MeetingProvider(Protocol):
    key: str
    display_name: str

    def connection(self, company: Company) -> Any:
        """The company's usable link (tokens fresh), or raise NotLinked / ReauthorizationRequired."""

    def account_key(self, connection: Any, company_id: int) -> str:
        """What the service's rate limits are counted per (pacing's bucket key)."""

    def host_problem(self, company_id: int, host_id: str) -> str:
        """Why ``host_id`` cannot host a meeting now ("" when it can)."""

    def create_meeting(self, connection: Any, *, host_id: str, spec: MeetingSpec) -> Meeting: ...

    def get_meeting(self, connection: Any, *, meeting_id: int | str) -> Meeting: ...

    def update_meeting(self, connection: Any, *, meeting_id: int | str, spec: MeetingSpec) -> None: ...

    def delete_meeting(self, connection: Any, *, meeting_id: int | str) -> None: ...

    def list_host_meetings(self, connection: Any, *, host_id: str) -> list[Meeting]:
        """The host's upcoming meetings (for the lookup after a create whose answer was lost)."""


_providers: dict[str, MeetingProvider] = {}


def register(provider: MeetingProvider) -> MeetingProvider:
    _providers[provider.key] = provider
    return provider


def provider_for(key: str) -> MeetingProvider:
    """The registered provider of a Web面接連携 choice (``Event.web_meeting``); KeyError when none is."""
    return _providers[key]


def registered_keys() -> list[str]:
    return list(_providers)
