"""The calendar's slot entries as HTML, built in Python: a busy week shows about 400 slots, and rendering
each through a template (about 30 variable lookups and tags a slot) was most of the page's time.

The markup is what the entry template rendered (``tests/interviews/test_calendar_entries.py`` compares the
two): ``full`` for the week grid and the day list (time range, 選考会 / イベント, seats, 発行状況, 非表示,
面接官), ``compact`` for a month cell (start time and イベント only, no 面接官). Every text is escaped;
times are in the current time zone (the company's, set by the middleware), as the ``time`` filter shows them.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from interviews.calendar import SlotEntry
from scheduling.models import MeetingState

_SENTINEL_PK = 987654321987


class EntryRenderer:
    """Renders entries for one request: the translations, the 発行状況 labels and the slot URL's pattern are
    looked up once (in the active language), not once a slot."""

    def __init__(self) -> None:
        self._seats_title = escape(gettext("予約数／定員"))
        self._full = escape(gettext("満席"))
        self._hidden = escape(gettext("非表示"))
        self._interviewers = escape(gettext("面接官"))
        self._state_labels = {value: escape(str(label)) for value, label in MeetingState.choices}
        url = reverse("scheduling:slot_detail", args=[_SENTINEL_PK])
        self._url_head, _sentinel, self._url_tail = url.partition(str(_SENTINEL_PK))

    def _time(self, value: datetime) -> str:
        return timezone.localtime(value).strftime("%H:%M")

    def render(self, entry: SlotEntry, *, compact: bool = False) -> SafeString:
        state = escape(entry.meeting_state)
        full = entry.booked_count >= entry.capacity
        classes = f"cal-slot cal-slot--{state}"
        if full:
            classes += " cal-slot--full"
        if not entry.is_published:
            classes += " cal-slot--hidden"
        meeting_name = escape(entry.meeting_name)
        event_name = escape(entry.event_name)
        times = self._time(entry.starts_at)
        if not compact:
            times += "–" + self._time(entry.ends_at)
        name = event_name if compact else f"{meeting_name} / {event_name}"
        seats = f"{entry.booked_count}/{entry.capacity}"
        if full:
            seats += " " + self._full
        badge = ""
        if entry.has_web_meeting or entry.meeting_state != MeetingState.NONE:
            badge_classes = f"badge cal-state cal-state--{state}"
            if entry.meeting_out_of_sync:
                badge_classes += " cal-state--out-of-sync"
            label = self._state_labels.get(entry.meeting_state, state)
            badge = f'<span class="{badge_classes}" data-meeting-state="{state}">{label}</span>'
        hidden = "" if entry.is_published else f'<span class="badge badge--muted">{self._hidden}</span>'
        people = ""
        if not compact and entry.interviewers:
            names = "、".join(escape(person) for person in entry.interviewers)
            people = f'<span class="cal-slot__people">{self._interviewers}: {names}</span>'
        href = f"{self._url_head}{entry.pk}{self._url_tail}"
        title = f"{meeting_name} / {event_name}"
        return mark_safe(  # noqa: S308 - every text above is escaped
            f'<a class="{classes}" href="{href}" data-slot="{entry.pk}" title="{title}">\n'
            f'  <span class="cal-slot__time">{times}</span>\n'
            f'  <span class="cal-slot__name">{name}</span>\n'
            f'  <span class="cal-slot__seats" title="{self._seats_title}">{seats}</span>\n'
            f"  {badge}\n"
            f"  {hidden}\n"
            f"  {people}\n"
            "</a>\n"
        )
