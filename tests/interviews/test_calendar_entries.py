"""The calendar's slot entries, built in Python (``interviews.calendar_entries``), are the markup the entry
template rendered: compared with that template (kept here) for slots in every state, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict
from django.template import Context, Template
from django.utils import timezone, translation

from interviews.calendar import build_calendar
from interviews.calendar_entries import EntryRenderer
from interviews.models import EventInterviewer, SlotInterviewer
from interviews.selectors import interviewers_of_slots
from scheduling.models import MeetingState, Slot
from tests.factories import UserFactory
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, SlotFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db

# templates/interviews/calendar/_slot.html as it was before the entries were built in Python.
TEMPLATE_ENTRY = """{% load i18n %}<a class="cal-slot cal-slot--{{ slot.meeting_state }}{% if slot.booked_count >= slot.capacity %} cal-slot--full{% endif %}{% if not slot.is_published %} cal-slot--hidden{% endif %}" href="{% url 'scheduling:slot_detail' slot.pk %}" data-slot="{{ slot.pk }}" title="{{ slot.event.selection_meeting.name }} / {{ slot.event.name }}">
  <span class="cal-slot__time">{{ slot.starts_at|time:"H:i" }}{% if not compact %}–{{ slot.ends_at|time:"H:i" }}{% endif %}</span>
  <span class="cal-slot__name">{% if not compact %}{{ slot.event.selection_meeting.name }} / {% endif %}{{ slot.event.name }}</span>
  <span class="cal-slot__seats" title="{% translate '予約数／定員' %}">{{ slot.booked_count }}/{{ slot.capacity }}{% if slot.booked_count >= slot.capacity %} {% translate "満席" %}{% endif %}</span>
  {% if slot.event.has_web_meeting or slot.meeting_state != "none" %}<span class="badge cal-state cal-state--{{ slot.meeting_state }}{% if slot.meeting_out_of_sync %} cal-state--out-of-sync{% endif %}" data-meeting-state="{{ slot.meeting_state }}">{{ slot.get_meeting_state_display }}</span>{% endif %}
  {% if not slot.is_published %}<span class="badge badge--muted">{% translate "非表示" %}</span>{% endif %}
  {% if not compact and slot.calendar_interviewers %}<span class="cal-slot__people">{% translate "面接官" %}: {% for person in slot.calendar_interviewers %}{{ person.display_name }}{% if not forloop.last %}、{% endif %}{% endfor %}</span>{% endif %}
</a>
"""  # noqa: E501


@pytest.fixture
def varied_slots(world):
    company = world.acme.company
    meeting = SelectionMeetingFactory(company=company, name="一次面接 <b>\"&'")
    plain = EventFactory(selection_meeting=meeting, name="対面 <i>面接</i> & 説明")
    zoom = ZoomEventFactory(selection_meeting=meeting, name="Web面接")
    first = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)  # Tuesday 00:30 JST
    slots = [
        SlotFactory(event=plain, starts_at=first, ends_at=first + timedelta(minutes=45), capacity=3),
        SlotFactory(
            event=plain,
            starts_at=first + timedelta(hours=9),
            ends_at=first + timedelta(hours=10),
            booked_count=1,
        ),
        SlotFactory(
            event=plain,
            starts_at=first + timedelta(days=1),
            ends_at=first + timedelta(days=1, hours=1),
            is_published=False,
            meeting_state=MeetingState.FAILED,
        ),
        SlotFactory(
            event=zoom, starts_at=first + timedelta(days=2), ends_at=first + timedelta(days=2, hours=1)
        ),
    ]
    issued_at = first + timedelta(days=3)
    for meeting_start in (issued_at, issued_at + timedelta(minutes=30)):  # in step, then moved at the service
        slots.append(
            SlotFactory(
                event=zoom,
                starts_at=issued_at,
                ends_at=issued_at + timedelta(hours=1),
                meeting_state=MeetingState.ISSUED,
                meeting_id="123",
                meeting_start=meeting_start,
                meeting_end=meeting_start + timedelta(hours=1),
                capacity=2,
                booked_count=2,
            )
        )
    tricky = UserFactory(company=company, name="面接 <太郎> & 'A'")
    nameless = UserFactory(company=company, name="", email="no-name@acme.example.com")
    EventInterviewer.objects.create(company=company, event=plain, user=tricky)
    EventInterviewer.objects.create(company=company, event=plain, user=nameless)
    SlotInterviewer.objects.create(company=company, slot=slots[-1], user=nameless)
    return slots


def _template_entry(slot: Slot, *, compact: bool) -> str:
    slot.calendar_interviewers = interviewers_of_slots([slot]).get(slot.pk, [])  # type: ignore[attr-defined]
    return Template(TEMPLATE_ENTRY).render(Context({"slot": slot, "compact": compact}))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_entries_are_the_templates_markup(world, varied_slots, language):
    company = world.acme.company
    params = QueryDict("view=week&date=2026-12-09")
    cal = build_calendar(user=world.acme.admin, company=company, params=params)
    entries = [entry for day in cal.days for entry in day.slots]
    assert sorted(entry.pk for entry in entries) == sorted(slot.pk for slot in varied_slots)
    slots = Slot.objects.select_related("event__selection_meeting").in_bulk([entry.pk for entry in entries])
    with translation.override(language), timezone.override(company.tzinfo):
        renderer = EntryRenderer()
        for entry in entries:
            for compact in (False, True):
                expected = _template_entry(slots[entry.pk], compact=compact)
                assert renderer.render(entry, compact=compact) == expected
    assert any(entry.meeting_out_of_sync for entry in entries)
    assert any(entry.interviewers == ["no-name@acme.example.com"] for entry in entries)
