"""Factories for scheduling: 選考会, events (in person or Zoom), slots."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from scheduling.models import Event, SelectionMeeting, Slot, WebMeeting
from tests.factories import CompanyFactory


class SelectionMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelectionMeeting

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"一次面接{n}")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    selection_meeting = factory.SubFactory(SelectionMeetingFactory)
    company = factory.SelfAttribute("selection_meeting.company")
    name = factory.Sequence(lambda n: f"面接会{n}")
    web_meeting = WebMeeting.NONE
    place = "本社 3F 会議室"


class ZoomEventFactory(EventFactory):
    name = factory.Sequence(lambda n: f"Web面接{n}")
    web_meeting = WebMeeting.ZOOM
    meeting_host_id = "zhost0001"
    meeting_host_email = "host@zoom.example.com"
    meeting_host_name = "ホスト 太郎"
    place = ""


class SlotFactory(factory.django.DjangoModelFactory):
    """A slot tomorrow; no meeting bookkeeping (use the services to create Zoom slots that issue)."""

    class Meta:
        model = Slot

    event = factory.SubFactory(EventFactory)
    company = factory.SelfAttribute("event.company")
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(microsecond=0, second=0) + timedelta(days=1)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=60))
    capacity = 1
    is_published = True
