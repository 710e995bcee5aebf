"""Microsoft Teams as a web-meeting provider (web_meetings.providers.MeetingProvider).

A meeting is a calendar event with a Teams online meeting on the host's calendar
(https://learn.microsoft.com/graph/api/user-post-events, ``isOnlineMeeting`` + ``teamsForBusiness``), so the
host sees it in Outlook and Graph notifies its changes. The slot's marker is the event's ``transactionId``:
Graph answers a repeated POST with the same transactionId with the first event, so a retried create after a
lost answer makes no duplicate.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _

from accounts.models import Company
from teams_integration import changes, selectors, services
from teams_integration.client import TeamsPermanentError, event_path
from teams_integration.models import TeamsConnection, TeamsUser
from web_meetings.providers import Host, LinkStatus, Meeting, MeetingSpec, ProviderLimits

PAGE_SIZE = "50"
# Windows zone names Graph may answer with when an event was written in one.
WINDOWS_ZONES = {"Tokyo Standard Time": "Asia/Tokyo", "UTC": "UTC", "Coordinated Universal Time": "UTC"}

# Graph throttles per app and mailbox (Outlook: 10,000 requests per 10 minutes and 4 concurrent requests
# per mailbox) and per app and tenant (https://learn.microsoft.com/graph/throttling-limits). Pacing counts
# per tenant (account_key), so these tenant-wide rates stay far below the per-mailbox budget even when one
# host takes every call (10/s of writes = 6,000 per 10 minutes), and a 429 still retries after Retry-After.
# Zoom-like 4/s for creation would only slow a bulk issue of hundreds of slots for no benefit.
LIMITS = ProviderLimits(
    categories={
        "create_meeting": "write",
        "update_meeting": "write",
        "delete_meeting": "write",
        "get_meeting": "read",
        "list_host_meetings": "read",
        "list_user_meetings": "read",
        "list_users": "read",
    },
    rates={"write": 10.0, "read": 20.0},
    daily_host_limit=None,  # Graph has no per-host daily quota for events
)


def _local_iso(moment: datetime, zone: str) -> str:
    """Wall-clock time in ``zone`` (Graph reads dateTime in the given timeZone, not as UTC)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TeamsPermanentError(_("不明なタイムゾーンです: %(value)s") % {"value": zone}) from None
    return moment.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")


def agenda_html(agenda: str) -> str:
    """The agenda as HTML: escaped, line breaks kept."""
    return "<p>" + "<br>".join(escape(line) for line in agenda.splitlines()) + "</p>"


def event_body(spec: MeetingSpec) -> dict[str, Any]:
    end = spec.start + timedelta(minutes=spec.duration_minutes)
    return {
        "subject": spec.topic,
        "body": {"contentType": "html", "content": agenda_html(spec.agenda)},
        "start": {"dateTime": _local_iso(spec.start, spec.time_zone), "timeZone": spec.time_zone},
        "end": {"dateTime": _local_iso(end, spec.time_zone), "timeZone": spec.time_zone},
        "isOnlineMeeting": True,
        "onlineMeetingProvider": "teamsForBusiness",
        "transactionId": spec.marker,
        "allowNewTimeProposals": False,
    }


def update_body(spec: MeetingSpec) -> dict[str, Any]:
    end = spec.start + timedelta(minutes=spec.duration_minutes)
    return {
        "subject": spec.topic,
        "start": {"dateTime": _local_iso(spec.start, spec.time_zone), "timeZone": spec.time_zone},
        "end": {"dateTime": _local_iso(end, spec.time_zone), "timeZone": spec.time_zone},
    }


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    text = str(value["dateTime"])
    if "." in text:
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction.rstrip('Z')[:6]}"
    try:
        naive = datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return None
    zone_name = str(value.get("timeZone") or "UTC")
    zone_name = WINDOWS_ZONES.get(zone_name, zone_name)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return naive.replace(tzinfo=zone).astimezone(UTC)


def event_times(event: dict[str, Any]) -> tuple[datetime | None, int | None]:
    """An event's start (UTC) and length in minutes."""
    start, end = _parse_time(event.get("start")), _parse_time(event.get("end"))
    duration = int((end - start).total_seconds() // 60) if start and end else None
    return start, duration


def as_meeting(event: dict[str, Any]) -> Meeting:
    start, duration = event_times(event)
    body = event.get("body")
    agenda = None
    if isinstance(body, dict):
        content = str(body.get("content") or "")
        agenda = (
            html.unescape(strip_tags(content.replace("<br>", "\n")))
            if body.get("contentType") == "html"
            else content
        )
    raw_online = event.get("onlineMeeting")
    online: dict[str, Any] = raw_online if isinstance(raw_online, dict) else {}
    return Meeting(
        id=str(event["id"]),
        join_url=str(online.get("joinUrl") or ""),
        start=start,
        duration_minutes=duration,
        agenda=agenda,
        topic=str(event.get("subject") or ""),
    )


class TeamsProvider:
    key = "teams"
    display_name = "Microsoft Teams"

    # --- link ------------------------------------------------------------------------------------------
    def link_status(self, company: Company) -> LinkStatus:
        return selectors.link_status(company)

    def is_linked(self, company: Company) -> bool:
        return selectors.is_linked(company)

    def needs_reauthorization(self, company: Company) -> bool:
        return selectors.needs_reauthorization(company)

    def settings_url(self) -> str:
        return reverse("teams_integration:teams")

    def connection(self, company: Company) -> TeamsConnection:
        return services.usable_connection(company)

    def account_key(self, connection: TeamsConnection, company_id: int) -> str:
        return connection.tenant_id or f"company-{company_id}"

    def limits(self) -> ProviderLimits:
        return LIMITS

    # --- hosts -----------------------------------------------------------------------------------------
    def hosts(self, company: Company) -> list[Host]:
        return [
            Host(id=user.user_id, email=user.email, name=user.display_name, usable=user.can_host)
            for user in selectors.teams_users(company)
        ]

    def host_problem(self, company_id: int, host_id: str) -> str:
        user = TeamsUser.objects.filter(company_id=company_id, user_id=host_id).first()
        if user is None:
            return _(
                "ホストのMicrosoft Teamsユーザーが見つかりません。予約動作設定でホストを選び直してください。"
            )
        if user.can_host:
            return ""
        return _(
            "ホストのMicrosoft Teamsユーザー（%(email)s）がテナントに存在しないか無効です。"
            "予約動作設定でホストを選び直してください。"
        ) % {"email": user.email}

    # --- meetings ----------------------------------------------------------------------------------------
    def create_meeting(self, connection: TeamsConnection, *, host_id: str, spec: MeetingSpec) -> Meeting:
        event = services.graph_for(connection).request("POST", event_path(host_id), body=event_body(spec))
        changes.ensure_host_subscription(company_id=connection.company_id, host_id=host_id)
        return as_meeting(event)

    def get_meeting(self, connection: TeamsConnection, *, host_id: str, meeting_id: str) -> Meeting:
        event = services.graph_for(connection).request(
            "GET", event_path(host_id, str(meeting_id)), headers=changes.UTC_PREFERENCE
        )
        return as_meeting(event)

    def update_meeting(
        self, connection: TeamsConnection, *, host_id: str, meeting_id: str, spec: MeetingSpec
    ) -> None:
        services.graph_for(connection).request(
            "PATCH", event_path(host_id, str(meeting_id)), body=update_body(spec)
        )

    def delete_meeting(self, connection: TeamsConnection, *, host_id: str, meeting_id: str) -> None:
        services.graph_for(connection).request("DELETE", event_path(host_id, str(meeting_id)))

    def host_start_url(self, connection: TeamsConnection, *, host_id: str, meeting_id: str) -> str:
        """The organizer joins with the meeting's join URL, signed in to Teams as themself (Graph has no
        host-only start link)."""
        return self.get_meeting(connection, host_id=host_id, meeting_id=meeting_id).join_url

    def list_host_meetings(
        self, connection: TeamsConnection, *, host_id: str, marker: str = ""
    ) -> list[Meeting]:
        if marker:
            query = "transactionId eq '{}'".format(marker.replace("'", "''"))
        else:
            now = timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            query = f"start/dateTime ge '{now}'"
        graph = services.graph_for(connection)
        events = graph.pages(
            event_path(host_id), params={"$filter": query, "$top": PAGE_SIZE}, headers=changes.UTC_PREFERENCE
        )
        return [as_meeting(event) for event in events]
