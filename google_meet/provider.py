"""Google Meet as a web-meeting provider (web_meetings.providers.MeetingProvider).

A meeting is an event on the host's primary Google Calendar with a Meet conference
(``conferenceDataVersion=1`` + ``conferenceData.createRequest``). The event ``id`` is chosen by us from the
slot's marker (lowercase hex of SHA-1: valid base32hex), so a repeated insert after a lost answer gets 409
``duplicate`` and we read the existing event instead of making a second one.

Host id: ``str(GoogleGrant.pk)`` — one grant row per company user, updated in place when the user connects
again, so the id is stable across re-authorization (the Google address may change; the row does not).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company
from google_meet import changes, selectors, services
from google_meet.client import GoogleError, GoogleNotFound, GooglePermanentError, event_path
from google_meet.models import GoogleGrant, GoogleMeetLink, GrantStatus
from web_meetings.providers import Host, LinkStatus, Meeting, MeetingSpec, ProviderLimits

# Calendar API quotas are per project per minute and per user per minute (the defaults allow about 600
# requests a minute per user, https://developers.google.com/calendar/api/guides/quota), and Google asks
# clients to spread writes out. Pacing counts per company (account_key), so these rates keep even a
# company whose every slot has one host well inside one user's quota; a 403/429 still backs off.
LIMITS = ProviderLimits(
    categories={
        "create_meeting": "write",
        "update_meeting": "write",
        "delete_meeting": "write",
        "get_meeting": "read",
        "list_host_meetings": "read",
        "list_user_meetings": "read",  # issuance's name for list_host_meetings
        "list_users": "read",
    },
    rates={"write": 5.0, "read": 10.0},
    daily_host_limit=None,  # no per-host daily budget for events
)


def event_id(marker: str) -> str:
    """The event id derived from the slot's marker: 40 lowercase hex characters (base32hex a–v0–9)."""
    return hashlib.sha1(marker.encode(), usedforsecurity=False).hexdigest()


def _local_iso(moment: datetime, zone: str) -> str:
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise GooglePermanentError(_("不明なタイムゾーンです: %(value)s") % {"value": zone}) from None
    return moment.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")


def _times(spec: MeetingSpec) -> dict[str, Any]:
    end = spec.start + timedelta(minutes=spec.duration_minutes)
    return {
        "start": {"dateTime": _local_iso(spec.start, spec.time_zone), "timeZone": spec.time_zone},
        "end": {"dateTime": _local_iso(end, spec.time_zone), "timeZone": spec.time_zone},
    }


def event_body(spec: MeetingSpec) -> dict[str, Any]:
    key = spec.marker or spec.agenda
    return {
        "id": event_id(key),
        "summary": spec.topic,
        "description": spec.agenda,
        **_times(spec),
        "conferenceData": {
            "createRequest": {
                "requestId": f"e2rpro-{event_id(key)[:32]}",
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
            }
        },
        "extendedProperties": {"private": {changes.PRIVATE_PROPERTY: "1", "e2rproMarker": spec.marker[:200]}},
        "guestsCanModify": False,
        "guestsCanInviteOthers": False,
    }


def update_body(spec: MeetingSpec) -> dict[str, Any]:
    return {"summary": spec.topic, "description": spec.agenda, **_times(spec)}


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    try:
        moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=ZoneInfo(str(value.get("timeZone") or "UTC")))
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return moment.astimezone(UTC)


def event_times(event: dict[str, Any]) -> tuple[datetime | None, int | None]:
    """An event's start (UTC) and length in minutes."""
    start, end = _parse_time(event.get("start")), _parse_time(event.get("end"))
    duration = int((end - start).total_seconds() // 60) if start and end else None
    return start, duration


def join_url(event: dict[str, Any]) -> str:
    conference = event.get("conferenceData")
    if isinstance(conference, dict):
        for entry in conference.get("entryPoints") or []:
            if isinstance(entry, dict) and entry.get("entryPointType") == "video" and entry.get("uri"):
                return str(entry["uri"])
    return str(event.get("hangoutLink") or "")


def as_meeting(event: dict[str, Any]) -> Meeting:
    start, duration = event_times(event)
    description = event.get("description")
    return Meeting(
        id=str(event["id"]),
        join_url=join_url(event),
        start=start,
        duration_minutes=duration,
        agenda=str(description) if description is not None else "",
        topic=str(event.get("summary") or ""),
    )


class GoogleMeetProvider:
    key = "google"
    display_name = "Google Meet"

    # --- link ------------------------------------------------------------------------------------------
    def link_status(self, company: Company) -> LinkStatus:
        return selectors.link_status(company)

    def is_linked(self, company: Company) -> bool:
        return selectors.is_linked(company)

    def needs_reauthorization(self, company: Company) -> bool:
        """The company-level switch has no re-authorization; a host's grant in エラー is shown on the
        Google Meet page and mailed to that host and the admins."""
        return False

    def settings_url(self) -> str:
        return reverse("google_meet:google")

    def connection(self, company: Company) -> GoogleMeetLink:
        return services.usable_link(company)

    def account_key(self, connection: GoogleMeetLink, company_id: int) -> str:
        return f"google-company-{company_id}"

    def limits(self) -> ProviderLimits:
        return LIMITS

    # --- hosts -----------------------------------------------------------------------------------------
    def hosts(self, company: Company) -> list[Host]:
        return [
            Host(
                id=str(grant.pk),
                email=grant.google_email,
                name=grant.user.display_name,
                usable=grant.is_usable,
                problem=services.host_reauthorization_message(grant)
                if grant.status == GrantStatus.ERROR
                else "",
            )
            for grant in selectors.host_grants(company)
        ]

    def host_problem(self, company_id: int, host_id: str) -> str:
        grant = _grant_or_none(company_id, host_id)
        if grant is None or grant.status == GrantStatus.RELEASED:
            return _(
                "ホストのGoogleアカウントが連携されていません。ホストが「Googleアカウントを連携」から連携するか、"
                "予約動作設定でホストを選び直してください。"
            )
        if grant.status == GrantStatus.ERROR:
            return services.host_reauthorization_message(grant)
        return ""

    # --- meetings ----------------------------------------------------------------------------------------
    def _grant(self, connection: GoogleMeetLink, host_id: str) -> GoogleGrant:
        grant = _grant_or_none(connection.company_id, host_id)
        if grant is None:
            raise GoogleNotFound(_("ホストのGoogleアカウント連携が見つかりません。"), status=404)
        return grant

    def create_meeting(self, connection: GoogleMeetLink, *, host_id: str, spec: MeetingSpec) -> Meeting:
        grant = self._grant(connection, host_id)
        calendar = services.calendar_for(grant)
        body = event_body(spec)
        try:
            event = calendar.request("POST", event_path(), params={"conferenceDataVersion": "1"}, body=body)
        except GoogleError as exc:
            if exc.status != 409 or exc.reason != "duplicate":
                raise
            # Made by an earlier attempt whose answer was lost: read it instead of making a second one.
            event = calendar.request("GET", event_path(body["id"]))
            if event.get("status") == "cancelled":
                # Deleted earlier (Google keeps the id forever): restore it with the slot's times.
                event = calendar.request(
                    "PATCH",
                    event_path(body["id"]),
                    params={"conferenceDataVersion": "1"},
                    body={"status": "confirmed", **update_body(spec)},
                )
        changes.ensure_host_watch(grant_id=grant.pk)
        return as_meeting(event)

    def get_meeting(self, connection: GoogleMeetLink, *, host_id: str, meeting_id: str) -> Meeting:
        event = services.calendar_for(self._grant(connection, host_id)).request(
            "GET", event_path(str(meeting_id))
        )
        if event.get("status") == "cancelled":
            raise GoogleNotFound(_("Googleカレンダーの予定は削除されています。"), status=410)
        return as_meeting(event)

    def update_meeting(
        self, connection: GoogleMeetLink, *, host_id: str, meeting_id: str, spec: MeetingSpec
    ) -> None:
        services.calendar_for(self._grant(connection, host_id)).request(
            "PATCH", event_path(str(meeting_id)), body=update_body(spec)
        )

    def delete_meeting(self, connection: GoogleMeetLink, *, host_id: str, meeting_id: str) -> None:
        services.calendar_for(self._grant(connection, host_id)).request("DELETE", event_path(str(meeting_id)))

    def host_start_url(self, connection: GoogleMeetLink, *, host_id: str, meeting_id: str) -> str:
        """The host opens the event's Meet link signed in to Google as themself (no host-only link)."""
        return self.get_meeting(connection, host_id=host_id, meeting_id=meeting_id).join_url

    def list_host_meetings(
        self, connection: GoogleMeetLink, *, host_id: str, marker: str = ""
    ) -> list[Meeting]:
        calendar = services.calendar_for(self._grant(connection, host_id))
        if marker:
            try:
                event = calendar.request("GET", event_path(event_id(marker)))
            except GoogleNotFound:
                return []
            return [] if event.get("status") == "cancelled" else [as_meeting(event)]
        now = timezone.now().astimezone(UTC).isoformat(timespec="seconds")
        meetings: list[Meeting] = []
        for page in calendar.pages(
            event_path(), params={"timeMin": now, "singleEvents": "true", "maxResults": "250"}
        ):
            meetings.extend(as_meeting(event) for event in page.get("items") or [] if changes.is_ours(event))
        return meetings


def _grant_or_none(company_id: int, host_id: str) -> GoogleGrant | None:
    if not str(host_id).isdigit():
        return None
    return (
        GoogleGrant.objects.select_related("company").filter(company_id=company_id, pk=int(host_id)).first()
    )
