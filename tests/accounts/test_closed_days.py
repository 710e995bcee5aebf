"""休業日: the company calendar of closed days kept by admins, and accounts.business_days (祝日 + 休業日)."""

from __future__ import annotations

from datetime import date

import jpholiday
import pytest
from django.urls import reverse

from accounts import business_days, services
from accounts.models import AuditEntry, ClosedDay, Role
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

URL = "accounts:closed_days"


def add(company, start, end=None, label="年末年始休業"):
    return ClosedDay.objects.create(company=company, start_date=start, end_date=end or start, label=label)


# --- the calendar: 祝日 and 休業日 -----------------------------------------------------------------------


def test_jpholiday_knows_the_substitute_and_citizens_holidays():
    assert "振替休日" in jpholiday.is_holiday_name(date(2026, 5, 6))
    assert jpholiday.is_holiday_name(date(2026, 9, 22)) == "国民の休日"


def test_a_national_holiday_is_closed_with_its_name(world):
    company = world.acme.company

    assert business_days.closed_reason(company, date(2026, 5, 6)) == "祝日: 憲法記念日 振替休日"
    assert business_days.closed_reason(company, date(2026, 9, 22)) == "祝日: 国民の休日"
    assert business_days.closed_reason(company, date(2026, 5, 7)) is None
    assert not business_days.is_business_day(company, date(2026, 5, 6))
    assert business_days.is_business_day(company, date(2026, 5, 7))
    assert not business_days.is_business_day(company, date(2026, 5, 9))  # a Saturday


def test_a_closed_range_covers_every_day_of_it_and_only_for_its_company(world):
    add(world.acme.company, date(2026, 12, 29), date(2027, 1, 3), "年末年始休業")

    reasons = business_days.closed_reasons(world.acme.company, date(2026, 12, 28), date(2027, 1, 5))

    assert date(2026, 12, 28) not in reasons and date(2027, 1, 4) not in reasons
    for day in (date(2026, 12, 29), date(2026, 12, 31), date(2027, 1, 3)):
        assert reasons[day] == "休業日: 年末年始休業"
    assert reasons[date(2027, 1, 1)] == "休業日: 年末年始休業"  # the company's own label wins over 元日
    assert business_days.closed_reason(world.other.company, date(2026, 12, 29)) is None
    assert business_days.closed_reason(world.other.company, date(2027, 1, 1)) == "祝日: 元日"


def test_a_range_is_answered_in_one_query(world, django_assert_num_queries):
    for month in range(1, 12):
        add(world.acme.company, date(2027, month, 15), label=f"休業{month}")

    with django_assert_num_queries(1):
        reasons = business_days.closed_reasons(world.acme.company, date(2027, 1, 1), date(2027, 12, 31))

    assert reasons[date(2027, 6, 15)] == "休業日: 休業6"
    assert reasons[date(2027, 3, 22)] == "祝日: 春分の日 振替休日"


def test_the_next_business_day_skips_weekends_holidays_and_closed_days(world):
    company = world.acme.company
    # Friday 2026-05-01 → Sat, Sun, 5/4–5/6 holidays → Thursday 5/7.
    assert business_days.next_business_day(company, date(2026, 5, 1)) == date(2026, 5, 7)
    add(company, date(2026, 5, 7), date(2026, 5, 8), "創立記念休暇")
    assert business_days.next_business_day(company, date(2026, 5, 1)) == date(2026, 5, 11)
    assert business_days.next_business_day(world.other.company, date(2026, 5, 1)) == date(2026, 5, 7)


# --- the page -------------------------------------------------------------------------------------------


def test_an_admin_adds_a_range_and_it_is_audited(as_admin, world):
    response = as_admin.post(
        reverse(URL), {"label": "年末年始休業", "start_date": "2026-12-29", "end_date": "2027-01-03"}
    )

    assert response.status_code == 302
    closed = ClosedDay.objects.get()
    assert (closed.company, closed.start_date, closed.end_date) == (
        world.acme.company,
        date(2026, 12, 29),
        date(2027, 1, 3),
    )
    assert closed.days == 6
    entry = AuditEntry.objects.get(action="closed_day.added")
    assert entry.company == world.acme.company and entry.actor == world.acme.admin
    assert entry.details == {"start_date": "2026-12-29", "end_date": "2027-01-03", "label": "年末年始休業"}
    page = as_admin.get(reverse(URL) + "?past=1").content.decode()
    assert "年末年始休業" in page and "2026/12/29" in page


def test_an_empty_end_date_makes_a_single_day(as_admin, world):
    as_admin.post(reverse(URL), {"label": "棚卸し", "start_date": "2027-02-01", "end_date": ""})

    closed = ClosedDay.objects.get()
    assert closed.start_date == closed.end_date == date(2027, 2, 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start_date": "2027-01-03", "end_date": "2026-12-29"}, "終了日は開始日以降にしてください。"),
        ({"start_date": "2027-01-01", "end_date": "2028-01-02"}, "休業日の期間は366日以内にしてください。"),
        ({"start_date": "", "end_date": ""}, "このフィールドは必須です。"),
        ({"label": "", "start_date": "2027-01-01"}, "このフィールドは必須です。"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(as_admin, data, message):
    response = as_admin.post(reverse(URL), {"label": "休業", **data})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ClosedDay.objects.exists()


def test_a_full_year_of_366_days_is_accepted(as_admin):
    as_admin.post(reverse(URL), {"label": "休業", "start_date": "2027-01-01", "end_date": "2028-01-01"})

    assert ClosedDay.objects.get().days == 366


def test_the_service_refuses_a_reversed_range_too(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.create_closed_day(
            company=world.acme.company,
            start_date=date(2027, 1, 3),
            end_date=date(2027, 1, 1),
            label="x",
            actor=world.acme.admin,
        )


def test_an_admin_deletes_a_closed_day_and_it_is_audited(as_admin, world):
    closed = add(world.acme.company, date(2027, 1, 4))

    response = as_admin.post(reverse("accounts:closed_day_delete", args=[closed.pk]))

    assert response.status_code == 302
    assert not ClosedDay.objects.exists()
    entry = AuditEntry.objects.get(action="closed_day.deleted")
    assert entry.target_id == str(closed.pk) and entry.details["label"] == "年末年始休業"


def test_past_closed_days_are_hidden_until_asked(as_admin, world):
    add(world.acme.company, date(2020, 1, 6), label="昔の休業")
    add(world.acme.company, date(2099, 1, 6), label="先の休業")

    page = as_admin.get(reverse(URL)).content.decode()
    assert "先の休業" in page and "昔の休業" not in page
    assert "昔の休業" in as_admin.get(reverse(URL) + "?past=1").content.decode()


def test_the_user_list_links_to_the_page(as_admin):
    assert reverse(URL) in as_admin.get(reverse("accounts:user_list")).content.decode()


@pytest.mark.parametrize("role", [Role.RECRUITER, Role.INTERVIEWER])
def test_only_admins_edit_closed_days(world, role):
    closed = add(world.acme.company, date(2099, 1, 6))
    client = client_for(world.acme.user(role))

    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), {"label": "x", "start_date": "2099-02-01"}).status_code == 403
    assert client.post(reverse("accounts:closed_day_delete", args=[closed.pk])).status_code == 403
    assert ClosedDay.objects.count() == 1


def test_another_companys_closed_days_are_neither_shown_nor_deletable(as_admin, world):
    theirs = add(world.other.company, date(2099, 1, 6), label="他社の休業日")

    assert "他社の休業日" not in as_admin.get(reverse(URL) + "?past=1").content.decode()
    response = as_admin.post(reverse("accounts:closed_day_delete", args=[theirs.pk]))

    assert response.status_code == 404
    assert ClosedDay.objects.filter(pk=theirs.pk).exists()


def test_delete_needs_post(as_admin, world):
    closed = add(world.acme.company, date(2099, 1, 6))

    assert as_admin.get(reverse("accounts:closed_day_delete", args=[closed.pk])).status_code == 405


def test_the_last_representable_day_is_answered_without_overflow(world):
    last = date.max
    add(world.acme.company, last, last, "遠い休業日")

    assert business_days.closed_reason(world.acme.company, last) == "休業日: 遠い休業日"
    assert business_days.closed_reason(world.other.company, last) is None
    assert business_days.next_business_day(world.acme.company, last) == last
