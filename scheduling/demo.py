"""Demo data for scheduling: 会社説明会 and 一次面接 with events and a few slots next week.

Idempotent (looked up by name). Slots are only added to an event that has none, so a second run changes
nothing. The Web面接 event starts as 対面 (Web面接連携 なし): the demo walks the guide's steps, 変更 →
Web面接連携 Zoom → Zoomユーザ選択 → 設定 → 新規日程作成. When seed_demo runs again after the admin linked
Zoom (or Microsoft Teams), a ready event for each linked service (hosted by the recruiter's user there) is
added and its slots are issued.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Company, Role, User
from scheduling import services
from scheduling.models import Event, SelectionMeeting
from scheduling.services import SlotSpec
from web_meetings.providers import registered_providers


def _next_weekday(company: Company, days_ahead: int, hour: int, minute: int = 0) -> datetime:
    tz = company.tzinfo
    day = timezone.localtime(timezone.now(), tz).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)), tz)


def _meeting(company: Company, name: str, description: str, order: int, actor) -> SelectionMeeting:
    found = SelectionMeeting.objects.filter(company=company, name=name).first()
    return found or services.create_selection_meeting(
        company=company, actor=actor, name=name, description=description, sort_order=order
    )


def _event(meeting: SelectionMeeting, name: str, actor, **settings: Any) -> Event:
    found = Event.objects.filter(selection_meeting=meeting, name=name).first()
    return found or services.create_event(
        selection_meeting=meeting, actor=actor, settings={"name": name, **settings}
    )


def _slots(event: Event, actor, starts: list[datetime], minutes: int, capacity: int) -> int:
    if event.slots.exists():
        return 0
    specs = [
        SlotSpec(starts_at=s, ends_at=s + timedelta(minutes=minutes), capacity=capacity, is_published=True)
        for s in starts
    ]
    return len(services.create_slots(event=event, actor=actor, specs=specs))


def seed(*, company: Company, users: dict, stdout: Any) -> None:
    recruiter = users.get(Role.RECRUITER) or users.get(Role.ADMIN)
    created = 0

    briefing = _meeting(company, "会社説明会", "新卒・中途向けの会社説明会です。", 0, recruiter)
    hall = _event(
        briefing,
        "本社説明会",
        recruiter,
        duration_minutes=90,
        default_capacity=30,
        place="東京本社 10F 大会議室（東京都千代田区丸の内1-1-1）",
        notes="筆記用具をお持ちください。",
    )
    created += _slots(hall, recruiter, [_next_weekday(company, 7, 10), _next_weekday(company, 9, 14)], 90, 30)

    first = _meeting(company, "一次面接", "人事担当者による個別面接です。", 1, recruiter)
    in_person = _event(first, "対面面接", recruiter, duration_minutes=45, place="東京本社 8F 面接室A")
    created += _slots(in_person, recruiter, [_next_weekday(company, 8, h) for h in (10, 11, 14)], 45, 1)
    web = _event(
        first,
        "Web面接",
        recruiter,
        duration_minutes=45,
        notes="開始5分前までにZoomへ接続してください。カメラとマイクをオンにしてご参加ください。",
    )
    created += _slots(web, recruiter, [_next_weekday(company, 10, h) for h in (10, 13)], 45, 1)

    created += _seed_web_meeting_events(company, first, recruiter)
    stdout.write(
        f"  scheduling: 選考会 {SelectionMeeting.objects.filter(company=company).count()}件, 日程 +{created}"
    )


def _seed_web_meeting_events(company: Company, meeting: SelectionMeeting, actor: User | None) -> int:
    """For each service the demo company has linked, a ready event whose slots get meetings."""
    created = 0
    for provider in registered_providers():
        if not provider.is_linked(company):
            continue
        recruiter = "recruiter@demo.example.com"
        host = next((h for h in provider.hosts(company) if h.email.lower() == recruiter and h.usable), None)
        if host is None:
            continue
        event = _event(
            meeting,
            f"Web面接（{provider.display_name}）",
            actor,
            web_meeting=provider.key,
            meeting_host_id=host.id,
            meeting_host_email=host.email,
            meeting_host_name=host.name,
            duration_minutes=45,
        )
        created += _slots(event, actor, [_next_weekday(company, 11, h) for h in (10, 11)], 45, 1)
    return created
