"""日程設定 that scales: slots grouped by day and paged, a fixed number of queries per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling import selectors
from scheduling.models import Slot
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, SlotFactory

pytestmark = pytest.mark.django_db


def many_slots(event, count: int, *, per_day: int = 10) -> list[Slot]:
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    slots = [
        Slot(
            company=event.company,
            event=event,
            starts_at=start + timedelta(days=index // per_day, minutes=30 * (index % per_day)),
            ends_at=start + timedelta(days=index // per_day, minutes=30 * (index % per_day) + 30),
        )
        for index in range(count)
    ]
    return Slot.objects.bulk_create(slots)


def test_each_event_shows_its_first_slots_by_day_and_pages_the_rest(as_recruiter, world):
    meeting = SelectionMeetingFactory(company=world.acme.company)
    big, small = EventFactory(selection_meeting=meeting, name="大量"), EventFactory(selection_meeting=meeting)
    many_slots(big, 1000)
    many_slots(small, 3)
    url = reverse("scheduling:schedule", args=[meeting.pk])

    response = as_recruiter.get(url)

    assert response.status_code == 200
    shown = {event.pk: event for event in response.context["shown_events"]}
    assert (shown[big.pk].slot_count, shown[small.pk].slot_count) == (1000, 3)
    assert [len(slots) for _, slots in shown[big.pk].slot_days] == [10, 10]  # 20 first slots, 2 days
    assert sum(len(slots) for _, slots in shown[small.pk].slot_days) == 3
    html = response.content.decode()
    assert html.count('name="slot"') == selectors.SCHEDULE_PREVIEW_SLOTS + 3
    assert f"?event={big.pk}" in html and "すべての日程を見る（1000件）" in html
    assert f'?event={small.pk}"' not in html  # everything of the small event is already shown

    paged = as_recruiter.get(url, {"event": big.pk})
    assert [event.pk for event in paged.context["shown_events"]] == [big.pk]
    assert paged.context["page"].paginator.count == 1000
    assert len(paged.context["page"].object_list) == selectors.SCHEDULE_SLOTS_PER_PAGE
    assert len(paged.context["shown_events"][0].slot_days) == 10
    last = as_recruiter.get(url, {"event": big.pk, "page": 10})
    assert len(last.context["page"].object_list) == 100
    assert as_recruiter.get(url, {"event": big.pk, "page": 11}).context["page"].number == 10


def test_the_query_count_does_not_grow_with_the_slots(as_recruiter, world, django_assert_max_num_queries):
    meeting = SelectionMeetingFactory(company=world.acme.company)
    event = EventFactory(selection_meeting=meeting)
    many_slots(event, 5)
    url = reverse("scheduling:schedule", args=[meeting.pk])
    as_recruiter.get(url)  # session, caches
    with django_assert_max_num_queries(12):
        as_recruiter.get(url)
    for index in range(3):
        many_slots(EventFactory(selection_meeting=meeting, name=f"e{index}"), 300)
    with django_assert_max_num_queries(12):
        response = as_recruiter.get(url)
    assert response.content.decode().count('name="slot"') == 5 + 3 * selectors.SCHEDULE_PREVIEW_SLOTS
    paged_event = response.context["shown_events"][1]
    with django_assert_max_num_queries(12):
        response = as_recruiter.get(url, {"event": paged_event.pk, "page": 3})
    assert len(response.context["page"].object_list) == 100


def test_the_event_filter_and_past_slots(as_recruiter, world):
    meeting = SelectionMeetingFactory(company=world.acme.company)
    first, second = EventFactory(selection_meeting=meeting), EventFactory(selection_meeting=meeting)
    SlotFactory(event=first)
    SlotFactory(event=second)
    SlotFactory(
        event=first,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2, hours=-1),
    )
    url = reverse("scheduling:schedule", args=[meeting.pk])

    counts = {event.pk: event.slot_count for event in as_recruiter.get(url).context["shown_events"]}
    assert counts == {first.pk: 1, second.pk: 1}
    assert as_recruiter.get(url, {"past": "1"}).context["shown_events"][0].slot_count == 2
    assert as_recruiter.get(url, {"event": first.pk}).context["page"].paginator.count == 1
    assert as_recruiter.get(url, {"event": first.pk, "past": "1"}).context["page"].paginator.count == 2
    other_event = EventFactory(company=world.other.company, selection_meeting__company=world.other.company)
    SlotFactory(event=other_event)
    assert as_recruiter.get(url, {"event": other_event.pk}).context["event_filter"] is None


def test_interviewers_and_other_companies_do_not_see_the_schedule(as_interviewer, as_recruiter, world):
    meeting = SelectionMeetingFactory(company=world.acme.company)
    other = SelectionMeetingFactory(company=world.other.company)
    assert as_interviewer.get(reverse("scheduling:schedule", args=[meeting.pk])).status_code == 403
    assert as_recruiter.get(reverse("scheduling:schedule", args=[other.pk])).status_code == 404
