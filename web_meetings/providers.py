"""One interface for the web-meeting services (Web面接連携サービス): Zoom, Microsoft Teams, Google Meet.

Scheduling's issuance asks ``provider_for(event.web_meeting)`` (or the slot's ``meeting_provider``) for the
provider and drives meetings through it; it never imports a provider app. Each provider app registers itself
in its ``AppConfig.ready()``. Plan and order of work: docs/web-meeting-providers.md.
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
    # The slot's marker ("e2rpro-slot:<uuid>"), the same on every attempt for the slot: a provider whose
    # service has idempotent creation uses it as the key (Graph's event transactionId).
    marker: str = ""


@dataclass(frozen=True)
class Meeting:
    """A meeting as the service has it. ``join_url`` is for applicants; no host-only start URL is kept."""

    id: str
    join_url: str = ""
    passcode: str = ""
    start: datetime | None = None
    duration_minutes: int | None = None
    agenda: str | None = None  # None: the service's listing left it out (ask ``get_meeting``)
    topic: str = ""


@dataclass(frozen=True)
class Host:
    """A user of the linked service account who may be chosen as an event's host (ホスト)."""

    id: str
    email: str
    name: str
    usable: bool = True
    # Why an unusable host cannot host, in the service's words (e.g. Google Meet: the host must connect their
    # Google account again); empty: the generic "deleted or disabled, choose another host".
    problem: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.name and self.name != self.email else self.email


@dataclass(frozen=True)
class LinkStatus:
    """A company's link to a service as the Web面接連携サービス list shows it.

    ``code``: unused (the operator has not enabled it: 未利用) | unconfigured (no app credentials on this
    site) | awaiting (認可待ち) | linked (連携中) | error (エラー（再認可が必要）) | released (連携解除).
    """

    code: str
    label: str
    badge: str  # CSS modifier: success | warning | danger | muted
    detail: str = ""  # e.g. the linked account or tenant

    @property
    def is_linked(self) -> bool:
        return self.code == "linked"


@dataclass(frozen=True)
class ProviderLimits:
    """The service's rate limits as pacing uses them: each operation's bucket, each bucket's calls per
    second per account, and the per-host daily budget of creates + updates (None: the service has none)."""

    categories: dict[str, str]  # operation (create_meeting, get_meeting, ...) -> bucket
    rates: dict[str, float]  # bucket -> calls per second
    daily_host_limit: int | None = None


class MeetingProvider(Protocol):
    key: str  # the Event.web_meeting value: "zoom" | "teams" | "google"
    display_name: str  # "Zoom" | "Microsoft Teams" | "Google Meet"

    # --- link ------------------------------------------------------------------------------------------
    def link_status(self, company: Company) -> LinkStatus: ...

    def is_linked(self, company: Company) -> bool:
        """Whether the company may issue meetings with the service now (enabled and 連携中)."""

    def needs_reauthorization(self, company: Company) -> bool:
        """Whether the link is in エラー（再認可が必要） (the admins' banner); one cheap query."""

    def settings_url(self) -> str:
        """The service's 設定 page (Web面接連携サービス → the service)."""

    def connection(self, company: Company) -> Any:
        """The company's usable link (tokens fresh), or raise NotLinked / ReauthorizationRequired."""

    def account_key(self, connection: Any, company_id: int) -> str:
        """What the service's rate limits are counted per (pacing's bucket key)."""

    def limits(self) -> ProviderLimits: ...

    # --- hosts -----------------------------------------------------------------------------------------
    def hosts(self, company: Company) -> list[Host]:
        """The users of the linked account (synced on our side; no call to the service)."""

    def host_problem(self, company_id: int, host_id: str) -> str:
        """Why ``host_id`` cannot host a meeting now ("" when it can)."""

    # --- meetings ----------------------------------------------------------------------------------------
    def create_meeting(self, connection: Any, *, host_id: str, spec: MeetingSpec) -> Meeting: ...

    def get_meeting(self, connection: Any, *, host_id: str, meeting_id: str) -> Meeting: ...

    def update_meeting(
        self, connection: Any, *, host_id: str, meeting_id: str, spec: MeetingSpec
    ) -> None: ...

    def delete_meeting(self, connection: Any, *, host_id: str, meeting_id: str) -> None: ...

    def host_start_url(self, connection: Any, *, host_id: str, meeting_id: str) -> str:
        """ホストとして開始: the host's link to open the meeting, fetched now and never stored (Zoom's
        start_url logs the host in; Teams' organizer opens the join URL signed in as themself)."""

    def list_host_meetings(self, connection: Any, *, host_id: str, marker: str) -> list[Meeting]:
        """The host's upcoming meetings that may be the one a lost create made (a provider may narrow the
        list by ``marker``); issuance matches the marker in each meeting's agenda."""


_providers: dict[str, MeetingProvider] = {}


def register(provider: MeetingProvider) -> MeetingProvider:
    _providers[provider.key] = provider
    return provider


def provider_for(key: str) -> MeetingProvider:
    """The registered provider of a Web面接連携 choice (``Event.web_meeting``); KeyError when none is."""
    return _providers[key]


def registered_keys() -> list[str]:
    return list(_providers)


def registered_providers() -> list[MeetingProvider]:
    return list(_providers.values())
