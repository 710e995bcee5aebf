"""Zoom as a web-meeting provider (web_meetings.providers.MeetingProvider): the meeting bodies Zoom wants and
its answers as ``Meeting`` values, over ``client.py`` (the only HTTP to Zoom)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import Company
from web_meetings.providers import Host, LinkStatus, Meeting, MeetingSpec, ProviderLimits
from zoom_integration import client, selectors
from zoom_integration.models import ZoomConnection, ZoomUser
from zoom_integration.services import usable_connection

# Zoom's rate-limit category of each call we make
# (https://developers.zoom.us/docs/api/rest/rate-limits/).
CATEGORY = {
    "create_meeting": "medium",
    "list_user_meetings": "medium",
    "get_meeting": "light",
    "update_meeting": "light",
    "delete_meeting": "light",
}
DEFAULT_RATES = {"light": 30.0, "medium": 20.0, "heavy": 10.0}  # Pro plan; SCHEDULING_ZOOM_RATE_LIMITS


def zoom_start_time(moment: datetime) -> str:
    """UTC with Z: Zoom reads a start_time without Z as local time (the classic wrong-hour bug)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_body(spec: MeetingSpec) -> dict:
    options = spec.options
    return {
        "topic": spec.topic,
        "type": 2,
        "start_time": zoom_start_time(spec.start),
        "duration": spec.duration_minutes,
        "timezone": spec.time_zone,
        "agenda": spec.agenda,
        "default_password": options.use_passcode,
        "settings": {
            "join_before_host": options.join_before_host,
            "waiting_room": options.waiting_room,
            "host_video": True,
            "participant_video": True,
            "mute_upon_entry": False,
            "approval_type": 2,
            "audio": "both",
            "auto_recording": "none",
            "use_pmi": options.use_pmi,
        },
    }


def update_body(spec: MeetingSpec) -> dict:
    return {
        "topic": spec.topic,
        "start_time": zoom_start_time(spec.start),
        "duration": spec.duration_minutes,
        "timezone": spec.time_zone,
    }


def as_meeting(data: dict) -> Meeting:
    """A Zoom meeting object (or list item) as a ``Meeting``; the host-only start_url is dropped."""
    return Meeting(
        id=str(data["id"]),
        join_url=data.get("join_url", "") or "",
        passcode=data.get("password", "") or "",
        start=parse_datetime(data.get("start_time") or ""),
        duration_minutes=data.get("duration"),
        agenda=data.get("agenda"),  # None: left out of a list item
        topic=data.get("topic", "") or "",
    )


class ZoomProvider:
    key = "zoom"
    display_name = "Zoom"

    def link_status(self, company: Company) -> LinkStatus:
        overview = selectors.zoom_overview(company)
        connection = overview.connection
        detail = connection.zoom_account_label if overview.is_linked and connection else ""
        return LinkStatus(code=str(overview.code), label=overview.label, badge=overview.badge, detail=detail)

    def is_linked(self, company: Company) -> bool:
        return selectors.zoom_is_linked(company)

    def needs_reauthorization(self, company: Company) -> bool:
        return selectors.needs_reauthorization(company)

    def settings_url(self) -> str:
        return reverse("zoom_integration:zoom")

    def connection(self, company: Company) -> ZoomConnection:
        return usable_connection(company)

    def account_key(self, connection: ZoomConnection, company_id: int) -> str:
        return connection.zoom_account_id or f"company-{company_id}"

    def limits(self) -> ProviderLimits:
        rates = {**DEFAULT_RATES, **getattr(settings, "SCHEDULING_ZOOM_RATE_LIMITS", {})}
        daily = getattr(settings, "SCHEDULING_ZOOM_DAILY_LIMIT", 100)
        return ProviderLimits(categories=CATEGORY, rates=rates, daily_host_limit=daily)

    def hosts(self, company: Company) -> list[Host]:
        return [
            Host(id=user.zoom_user_id, email=user.email, name=user.name, usable=user.can_host)
            for user in ZoomUser.objects.filter(company=company).order_by("display_name", "email")
        ]

    def host_problem(self, company_id: int, host_id: str) -> str:
        # [:1] without ORDER BY (one row per company and user id): asked before every create.
        users = ZoomUser.objects.filter(company_id=company_id, zoom_user_id=host_id).order_by()[:1]
        user = next(iter(users), None)
        if user is None or user.can_host:
            return ""
        return _(
            "ホストのZoomユーザー（%(email)s）がZoomアカウントに存在しないか無効です。"
            "予約動作設定でZoomユーザーを選び直してください。"
        ) % {"email": user.email}

    def create_meeting(self, connection: ZoomConnection, *, host_id: str, spec: MeetingSpec) -> Meeting:
        return as_meeting(client.create_meeting(connection, host_id=host_id, body=create_body(spec)))

    def get_meeting(self, connection: ZoomConnection, *, host_id: str, meeting_id: str) -> Meeting:
        return as_meeting(client.get_meeting(connection, meeting_id=int(meeting_id)))

    def update_meeting(
        self, connection: ZoomConnection, *, host_id: str, meeting_id: str, spec: MeetingSpec
    ) -> None:
        client.update_meeting(connection, meeting_id=int(meeting_id), body=update_body(spec))

    def delete_meeting(self, connection: ZoomConnection, *, host_id: str, meeting_id: str) -> None:
        client.delete_meeting(connection, meeting_id=int(meeting_id))

    def host_start_url(self, connection: ZoomConnection, *, host_id: str, meeting_id: str) -> str:
        return client.get_meeting(connection, meeting_id=int(meeting_id)).get("start_url") or ""

    def list_host_meetings(self, connection: ZoomConnection, *, host_id: str, marker: str) -> list[Meeting]:
        meetings = client.list_user_meetings(connection, host_id=host_id, meeting_type="scheduled")
        return [as_meeting(item) for item in meetings]
