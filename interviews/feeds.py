"""Interviews: an interviewer's agenda (マイ面接) and their personal calendar subscription (.ics feed).

The agenda is every slot the user interviews (assigned in interviews, or hosting its event's web meeting)
from 30 days back, with the slot's active bookings, its interviewers and whether the user hosts its web
meeting; a fixed number of queries whatever the number of rows.

The feed's URL carries ``Signer(salt=FEED_SALT).sign(f"{user.pk}:{version}")``: it cannot be guessed or
altered, and issuing a new URL raises the version, which revokes every earlier one. The feed shows the join
URL, never the host's start URL; applicants' email and phone only when the company's admin allows it
(InterviewSettings.feed_includes_applicant_contact).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import icalendar
from django.conf import settings
from django.core.signing import BadSignature, Signer
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import Company, User
from booking.mail import join_details
from booking.models import Booking, BookingStatus
from booking.selectors import visible_bookings
from interviews.models import CalendarFeed, InterviewSettings
from interviews.selectors import interviewers_of_slots, slots_interviewed_by
from notifications.ics import PRODID, invite_uid
from notifications.text import replace_line_breaks
from scheduling import selectors as scheduling_selectors
from scheduling.models import Slot, ends_from_q

FEED_SALT = "interviews.calendar-feed"
RECENT_DAYS = 30
# An interviewer's agenda: the soonest upcoming interviews and the latest recent ones, each bounded on its
# own (one bound for both let hundreds of past interviews crowd out every upcoming one). マイ面接 shows
# fewer than the calendar feed carries (the カレンダー page shows the rest).
UPCOMING_ROWS = 50
RECENT_ROWS = 30
FEED_UPCOMING_ROWS = 200
FEED_RECENT_ROWS = 100


# --- the agenda ------------------------------------------------------------------------------------------


@dataclass
class Interview:
    """One slot the user interviews, as マイ面接 and the feed show it."""

    slot: Slot
    bookings: list[Booking] = field(default_factory=list)
    interviewers: list[User] = field(default_factory=list)
    is_host: bool = False  # the user hosts its web meeting: ホストとして開始
    # What each row shows, worked out once (the page reads each several times).
    join_url: str = field(init=False)
    passcode: str = field(init=False)
    place: str = field(init=False)
    title: str = field(init=False)  # 選考会 / イベント

    def __post_init__(self) -> None:
        self.join_url, self.passcode = join_details(self.slot)
        event = self.slot.event
        self.place = event.place
        self.title = f"{event.selection_meeting.name} / {event.name}"


@dataclass
class Agenda:
    upcoming: list[Interview]
    recent: list[Interview]
    truncated: bool = False

    @property
    def all(self) -> list[Interview]:
        return [*self.recent, *self.upcoming]


def _hosts(user: User, slot: Slot, host_ids: Callable[[], set[str]]) -> bool:
    """The rule of scheduling.views.hosts_slot, with the user's host ids read at most once for all slots
    (only a slot hosted by someone other than its event's host needs them)."""
    event = slot.event
    if not event.has_web_meeting or not slot.meeting_id or not user.email:
        return False
    host_id = slot.meeting_host_id or event.meeting_host_id
    if host_id == event.meeting_host_id:
        return event.meeting_host_email.lower() == user.email.lower()
    return host_id in host_ids()


# The columns the agenda's pages and feed read: a slot row has 35 and its event 25, and making instances of
# every column cost more than the queries did.
_SLOT_COLUMNS = (
    "company_id",
    "starts_at",
    "ends_at",
    "updated_at",
    "meeting_provider",
    "meeting_id",
    "meeting_host_id",
    "join_url",
    "meeting_passcode",
    "event__name",
    "event__place",
    "event__web_meeting",
    "event__meeting_host_id",
    "event__meeting_host_email",
    "event__selection_meeting__name",
)
_BOOKING_COLUMNS = ("slot_id", "applicant__name", "applicant__email", "applicant__phone")


def agenda(
    user: User,
    *,
    now: datetime | None = None,
    only_booked: bool = False,
    upcoming_rows: int | None = None,
    recent_rows: int | None = None,
) -> Agenda:
    """The user's upcoming interviews, soonest first (at most ``upcoming_rows``, UPCOMING_ROWS), and those
    that ended in the last RECENT_DAYS, latest first (at most ``recent_rows``, RECENT_ROWS): five queries,
    and those of the user's web-meeting host ids when a slot's meeting is hosted by other than its event's
    host."""
    upcoming_rows = UPCOMING_ROWS if upcoming_rows is None else upcoming_rows
    recent_rows = RECENT_ROWS if recent_rows is None else recent_rows
    now = now or timezone.now()
    if user.company_id is None:
        return Agenda(upcoming=[], recent=[])
    slots = slots_interviewed_by(user).select_related("event__selection_meeting").only(*_SLOT_COLUMNS)
    if only_booked:
        slots = slots.filter(booked_count__gt=0)
    upcoming = list(slots.filter(ends_from_q(now)).order_by("starts_at", "pk")[: upcoming_rows + 1])
    # Latest ended first: read backwards along the index of the company's slot ends.
    recent = list(
        slots.filter(ends_at__lt=now, ends_at__gte=now - timedelta(days=RECENT_DAYS)).order_by(
            "-ends_at", "-pk"
        )[: recent_rows + 1]
    )
    truncated = len(upcoming) > upcoming_rows or len(recent) > recent_rows
    upcoming, recent = upcoming[:upcoming_rows], recent[:recent_rows]
    rows = [*upcoming, *recent]
    bookings: dict[int, list[Booking]] = defaultdict(list)
    for booking in (
        visible_bookings(user)
        .filter(slot__in=rows, status=BookingStatus.ACTIVE)
        .select_related("applicant")
        .only(*_BOOKING_COLUMNS)
        .order_by("created_at", "pk")
    ):
        bookings[booking.slot_id].append(booking)
    interviewers = interviewers_of_slots(rows)
    host_ids = functools.cache(functools.partial(scheduling_selectors.host_ids_of, user))

    def interview(slot: Slot) -> Interview:
        return Interview(
            slot, bookings.get(slot.pk, []), interviewers.get(slot.pk, []), _hosts(user, slot, host_ids)
        )

    return Agenda(
        upcoming=[interview(slot) for slot in upcoming],
        recent=[interview(slot) for slot in recent],
        truncated=truncated,
    )


# --- the feed's URL ------------------------------------------------------------------------------------


def feed_token(feed: CalendarFeed) -> str:
    return Signer(salt=FEED_SALT).sign(f"{feed.user_id}:{feed.version}")


def feed_urls(feed: CalendarFeed) -> dict[str, str]:
    """The subscription URL, as https:// (or the site's scheme) and as webcal:// for calendar apps."""
    url = f"{settings.SITE_URL}{reverse('interviews:calendar_feed', args=[feed_token(feed)])}"
    return {"https": url, "webcal": "webcal://" + url.split("://", 1)[-1]}


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed the token names, at its current version, of an active company user; else None."""
    try:
        value = Signer(salt=FEED_SALT).unsign(token)
    except BadSignature:
        return None
    user_id, _sep, version = value.partition(":")
    if not all(part.isascii() and part.isdigit() and len(part) < 19 for part in (user_id, version)):
        return None
    feed = (
        CalendarFeed.objects.select_related("user__company", "company")
        .filter(user_id=int(user_id), version=int(version), active=True, user__is_active=True)
        .first()
    )
    if feed is None or feed.user.company_id is None or feed.user.company_id != feed.company_id:
        return None
    return feed


def _company_of(user: User) -> Company:
    if user.company is None:
        raise ValueError("a calendar feed belongs to a company user")
    return user.company


def active_feed(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, active=True).first()


def issue_calendar_feed(*, user: User, request: HttpRequest | None = None) -> CalendarFeed:
    """URLを発行 / URLを再発行: delivery on, at a new version when the user had a URL (every earlier one stops
    working)."""
    with transaction.atomic():
        company = _company_of(user)
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(
            user=user, defaults={"company": company}
        )
        if not created:
            feed.version += 1
            feed.active = True
            feed.company = company
            feed.save(update_fields=["version", "active", "company"])
        record_audit(
            action="interview.feed_issued",
            actor=user,
            company=company,
            target=feed,
            details={"version": feed.version},
            request=request,
        )
    return feed


def stop_calendar_feed(*, user: User, request: HttpRequest | None = None) -> bool:
    """配信を停止: the URL stops working. Returns whether a delivery was stopped."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user, active=True).first()
        if feed is None:
            return False
        feed.active = False
        feed.save(update_fields=["active"])
        record_audit(
            action="interview.feed_stopped",
            actor=user,
            company=user.company,
            target=feed,
            details={"version": feed.version},
            request=request,
        )
    return True


def interview_settings(company: Company) -> InterviewSettings:
    """The company's InterviewSettings (the defaults until an admin saves them; nothing is written)."""
    return InterviewSettings.objects.filter(company=company).first() or InterviewSettings(company=company)


def update_feed_settings(
    *, company: Company, include_applicant_contact: bool, actor: User, request: HttpRequest | None = None
) -> bool:
    """カレンダー配信の設定: whether feeds show applicants' email and phone. Returns whether it changed."""
    with transaction.atomic():
        row, _created = InterviewSettings.objects.select_for_update().get_or_create(company=company)
        if row.feed_includes_applicant_contact == include_applicant_contact:
            return False
        row.feed_includes_applicant_contact = include_applicant_contact
        row.save(update_fields=["feed_includes_applicant_contact"])
        record_audit(
            action="interview.feed_settings_changed",
            actor=actor,
            company=company,
            target=row,
            details={"feed_includes_applicant_contact": include_applicant_contact},
            request=request,
        )
    return True


# --- the feed's content ----------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return replace_line_breaks(text, " ")


def _applicant_line(booking: Booking, *, contact: bool) -> str:
    applicant = booking.applicant
    line = _("%(name)s 様") % {"name": applicant.name}
    details = [value for value in (applicant.email, applicant.phone) if value] if contact else []
    return f"{line}（{' / '.join(details)}）" if details else line


def _description(interview: Interview, *, contact: bool, page_url: str) -> str:
    lines = [
        _("応募者: %(names)s")
        % {"names": "、".join(_applicant_line(b, contact=contact) for b in interview.bookings)}
        if interview.bookings
        else _("応募者: まだ予約はありません")
    ]
    if interview.interviewers:
        names = "、".join(user.display_name for user in interview.interviewers)
        lines.append(_("面接官: %(names)s") % {"names": names})
    if interview.join_url:
        lines.append(
            _("%(service)sミーティングURL: %(url)s")
            % {"service": interview.slot.service_display, "url": interview.join_url}
        )
        if interview.passcode:
            lines.append(_("パスコード: %(passcode)s") % {"passcode": interview.passcode})
    if interview.place:
        lines.append(_("会場: %(venue)s") % {"venue": interview.place})
    lines.append(_("マイ面接: %(url)s") % {"url": page_url})
    return replace_line_breaks("\n".join(lines), "\n")


def _summary(interview: Interview) -> str:
    event = interview.slot.event
    title = f"{event.selection_meeting.name} {event.name}"
    return title if interview.bookings else _("%(title)s（予約なし）") % {"title": title}


def _vevent(interview: Interview, *, contact: bool, stamp: datetime) -> icalendar.Event:
    slot = interview.slot
    page_url = f"{settings.SITE_URL}{reverse('interviews:my_interviews')}#slot-{slot.pk}"
    event = icalendar.Event()
    event.add("uid", invite_uid(f"slot-{slot.pk}-interview"))
    event.add("dtstamp", stamp)
    event.add("last-modified", slot.updated_at.astimezone(UTC))
    event.add("dtstart", slot.starts_at.astimezone(UTC))
    event.add("dtend", slot.ends_at.astimezone(UTC))
    event.add("summary", _one_line(_summary(interview)))
    event.add("description", _description(interview, contact=contact, page_url=page_url))
    location = interview.join_url or interview.place
    if location:
        event.add("location", _one_line(location))
    event.add("url", page_url)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def feed_calendar(feed: CalendarFeed, *, now: datetime | None = None) -> bytes:
    """The feed: one VEVENT per interview of the agenda (times in UTC), METHOD:PUBLISH."""
    now = now or timezone.now()
    user = feed.user
    contact = interview_settings(feed.company).feed_includes_applicant_contact
    with translation.override(settings.LANGUAGE_CODE):
        calendar = icalendar.Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _one_line(_("面接予定（%(name)s）") % {"name": user.display_name}))
        calendar.add("x-wr-timezone", feed.company.time_zone)
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
        stamp = now.astimezone(UTC)
        interviews = agenda(user, now=now, upcoming_rows=FEED_UPCOMING_ROWS, recent_rows=FEED_RECENT_ROWS)
        for interview in interviews.all:
            calendar.add_component(_vevent(interview, contact=contact, stamp=stamp))
    return calendar.to_ical()


def mark_fetched(feed: CalendarFeed, *, now: datetime | None = None) -> None:
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now or timezone.now())
