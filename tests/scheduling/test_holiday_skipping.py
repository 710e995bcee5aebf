"""祝日・休業日 in 新規日程作成: bulk creation leaves them out (and says why), a single slot asks first."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ClosedDay
from scheduling.models import Slot
from tests.scheduling.factories import EventFactory
from tests.scheduling.helpers import make_slot

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 4, 20, 9, 0, tzinfo=TOKYO)  # a Monday before ゴールデンウィーク


@pytest.fixture(autouse=True)
def _april_2026(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def event(world):
    return EventFactory(selection_meeting__company=world.acme.company, duration_minutes=60)


def bulk_data(**overrides):
    data = {
        "date_from": "2026-04-27",
        "date_to": "2026-05-08",
        "weekdays": ["0", "1", "2", "3", "4"],
        "start_times": "10:00",
        "duration_minutes": "60",
        "capacity": "1",
        "visibility": "hide",
        "skip_closed_days": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def local_days(slots):
    return sorted(timezone.localtime(slot.starts_at, TOKYO).date() for slot in slots)


def test_the_checkbox_is_on_by_default(as_recruiter, event):
    page = as_recruiter.get(reverse("scheduling:slot_bulk_create", args=[event.pk])).content.decode()

    assert "祝日・休業日を除く" in page
    assert re.search(r'<input type="checkbox" name="skip_closed_days"[^>]* checked>', page)


def test_bulk_creation_skips_holidays_and_closed_days_and_lists_why(as_recruiter, world, event):
    ClosedDay.objects.create(
        company=world.acme.company,
        start_date=date(2026, 5, 7),
        end_date=date(2026, 5, 8),
        label="創立記念休暇",
    )
    ClosedDay.objects.create(  # another company's 休業日 does not apply
        company=world.other.company,
        start_date=date(2026, 4, 27),
        end_date=date(2026, 4, 28),
        label="他社休業",
    )
    url = reverse("scheduling:slot_bulk_create", args=[event.pk])

    preview = as_recruiter.post(url, bulk_data()).content.decode()

    assert "4件の日程を作成します" in preview
    assert "祝日・休業日の6日は作成しません。" in preview
    for line in (
        "2026/04/29(水) 祝日: 昭和の日",
        "2026/05/04(月) 祝日: みどりの日",
        "2026/05/05(火) 祝日: こどもの日",
        "2026/05/06(水) 祝日: 憲法記念日 振替休日",
        "2026/05/07(木) 休業日: 創立記念休暇",
        "2026/05/08(金) 休業日: 創立記念休暇",
    ):
        assert line in preview
    assert "他社休業" not in preview
    assert not Slot.objects.exists()

    response = as_recruiter.post(url, {**bulk_data(), "confirm": "1"})

    assert response.status_code == 302
    assert local_days(Slot.objects.filter(event=event)) == [
        date(2026, 4, 27),
        date(2026, 4, 28),
        date(2026, 4, 30),
        date(2026, 5, 1),
    ]


def test_unticking_the_checkbox_creates_on_holidays_too(as_recruiter, event):
    url = reverse("scheduling:slot_bulk_create", args=[event.pk])

    preview = as_recruiter.post(url, bulk_data(skip_closed_days=None)).content.decode()
    as_recruiter.post(url, {**bulk_data(skip_closed_days=None), "confirm": "1"})

    assert "10件の日程を作成します" in preview and "data-closed-skipped" not in preview
    assert date(2026, 5, 6) in local_days(Slot.objects.all())
    assert Slot.objects.count() == 10


def test_a_range_of_only_holidays_creates_nothing(as_recruiter, event):
    url = reverse("scheduling:slot_bulk_create", args=[event.pk])

    response = as_recruiter.post(url, bulk_data(date_from="2026-05-04", date_to="2026-05-06"))

    assert "条件に合う未来の日時がありません" in response.content.decode()


def single(**overrides):
    data = {
        "date": "2026-05-06",
        "start_time": "10:00",
        "end_time": "11:00",
        "capacity": "1",
        "visibility": "hide",
        "note": "",
    }
    data.update(overrides)
    return data


def test_a_single_slot_on_a_holiday_asks_first_then_is_created(as_recruiter, event):
    url = reverse("scheduling:slot_create", args=[event.pk])

    response = as_recruiter.post(url, single())

    page = response.content.decode()
    assert response.status_code == 200
    assert "2026/05/06 は祝日: 憲法記念日 振替休日 です。" in page
    assert "このまま作成" in page and 'name="confirm_closed_day"' in page
    assert not Slot.objects.exists()

    response = as_recruiter.post(url, {**single(), "confirm_closed_day": "1"})

    assert response.status_code == 302
    assert local_days(Slot.objects.all()) == [date(2026, 5, 6)]


def test_a_single_slot_on_a_closed_day_asks_too_but_not_for_another_company(as_recruiter, world, event):
    ClosedDay.objects.create(
        company=world.other.company, start_date=date(2026, 5, 7), end_date=date(2026, 5, 7), label="他社休業"
    )
    url = reverse("scheduling:slot_create", args=[event.pk])
    assert as_recruiter.post(url, single(date="2026-05-07")).status_code == 302  # not acme's 休業日

    ClosedDay.objects.create(
        company=world.acme.company, start_date=date(2026, 5, 8), end_date=date(2026, 5, 8), label="棚卸し"
    )
    response = as_recruiter.post(url, single(date="2026-05-08"))

    assert "休業日: 棚卸し" in response.content.decode()
    assert Slot.objects.count() == 1


def test_a_plain_weekday_needs_no_confirmation(as_recruiter, event):
    response = as_recruiter.post(
        reverse("scheduling:slot_create", args=[event.pk]), single(date="2026-05-07")
    )

    assert response.status_code == 302


def test_moving_a_slot_onto_a_holiday_asks_first(as_recruiter, event):
    slot = make_slot(event, datetime(2026, 4, 28, 10, 0, tzinfo=TOKYO))
    url = reverse("scheduling:slot_edit", args=[slot.pk])

    response = as_recruiter.post(url, single(date="2026-04-29"))

    page = response.content.decode()
    assert "祝日: 昭和の日" in page and "このまま保存" in page
    slot.refresh_from_db()
    assert timezone.localtime(slot.starts_at, TOKYO).date() == date(2026, 4, 28)

    assert as_recruiter.post(url, {**single(date="2026-04-29"), "confirm_closed_day": "1"}).status_code == 302
    slot.refresh_from_db()
    assert timezone.localtime(slot.starts_at, TOKYO).date() == date(2026, 4, 29)

    # Already on the holiday: changing only the capacity asks nothing.
    assert as_recruiter.post(url, single(date="2026-04-29", capacity="2")).status_code == 302
