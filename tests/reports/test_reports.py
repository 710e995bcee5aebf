"""レポート: the funnel, interviews and 出欠, Zoom issuance health, their exports, roles, tenants, queries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from applicants.models import SelectionStage, StatusChange
from applicants.selectors import company_stages
from applicants.services import anonymize_applicant
from booking.models import Attendance, Booking, BookingSource, BookingStatus
from reports import selectors
from reports.selectors import Filters
from scheduling.models import MeetingState, Slot
from scheduling.selectors import day_bounds
from tests.applicants.factories import ApplicantFactory, PositionFactory, SourceFactory
from tests.helpers import client_for
from tests.scheduling.factories import EventFactory, SlotFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 4, 1)
PERIOD = Filters(date_from=date(2026, 1, 1), date_to=TODAY)
FUNNEL_NAMES = [
    "エントリー",
    "説明会",
    "書類選考",
    "一次面接",
    "二次面接",
    "最終面接",
    "内定",
    "内定承諾",
    "入社",
]


def stage(company, name: str) -> SelectionStage:
    return next(s for s in company_stages(company) if s.name == name)


def applicant(company, current: str, history: list[str] = (), applied_on: date = TODAY, **kwargs):
    person = ApplicantFactory(company=company, stage=stage(company, current), applied_on=applied_on, **kwargs)
    previous = None
    for name in history:
        to_stage = stage(company, name)
        StatusChange.objects.create(applicant=person, from_stage=previous, to_stage=to_stage)
        person.reach(to_stage)  # as the status services keep it with each history entry
        previous = to_stage
    person.save(update_fields=["reached_stages"])
    return person


@pytest.fixture
def funnel_world(world):
    """Six applicants in the period (one skips, one is now 不合格, one anonymised, one moved back)."""
    company = world.acme.company
    sales, tech = PositionFactory(company=company, name="営業"), PositionFactory(company=company, name="技術")
    mynavi = SourceFactory(company=company, name="マイナビ")
    applicant(company, "エントリー", ["エントリー"], source=mynavi, position=tech)  # A: 1 step
    applicant(company, "書類選考", ["エントリー", "説明会", "書類選考"])  # B: 3 steps
    # C skips 説明会 to 一次面接: counted as having passed them.
    applicant(company, "二次面接", ["エントリー", "二次面接"], source=mynavi, position=sales)
    applicant(company, "不合格", ["エントリー", "一次面接", "不合格"])  # D: reached 一次面接
    anonymous = applicant(company, "内定", [], applied_on=PERIOD.date_from)  # E: first day of the period
    anonymize_applicant(applicant=anonymous, actor=world.acme.admin)
    applicant(company, "説明会", ["エントリー", "一次面接", "説明会"])  # F: moved back, reached 一次面接
    applicant(company, "入社", [], applied_on=PERIOD.date_from - timedelta(days=1))  # outside the period
    applicant(world.other.company, "入社", [])  # another company
    return {"sales": sales, "tech": tech, "mynavi": mynavi}


def reached(company, filters=PERIOD):
    stages = selectors.funnel_stages(company)
    return [
        (step.stage.name, step.reached, step.conversion)
        for step in selectors.funnel(company, filters, stages).steps
    ]


def test_funnel_counts_furthest_steps_with_skips_anonymised_and_the_period(world, funnel_world):
    from applicants.models import Applicant

    assert Applicant.objects.filter(company=world.acme.company, anonymized_at__isnull=False).count() == 1
    assert reached(world.acme.company) == [
        ("エントリー", 6, None),
        ("説明会", 5, 83.3),
        ("書類選考", 5, 100.0),
        ("一次面接", 4, 80.0),
        ("二次面接", 2, 50.0),
        ("最終面接", 1, 50.0),
        ("内定", 1, 100.0),
        ("内定承諾", 0, 0.0),
        ("入社", 0, None),
    ]


def test_funnel_filters_by_source_and_position(world, funnel_world):
    company = world.acme.company
    by_source = Filters(PERIOD.date_from, PERIOD.date_to, source=funnel_world["mynavi"])
    assert [n for _, n, _ in reached(company, by_source)] == [2, 1, 1, 1, 1, 0, 0, 0, 0]
    by_position = Filters(PERIOD.date_from, PERIOD.date_to, position=funnel_world["tech"])
    assert [n for _, n, _ in reached(company, by_position)] == [1, 0, 0, 0, 0, 0, 0, 0, 0]
    last_day_only = Filters(TODAY, TODAY)
    assert reached(company, last_day_only)[0][1] == 5  # E applied on the first day


def test_the_default_period_is_the_last_90_days_in_the_company_zone(world):
    company = world.acme.company  # Asia/Tokyo
    assert selectors.default_period(company, datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == (
        date(2026, 1, 2),
        date(2026, 4, 1),
    )
    assert selectors.default_period(company, datetime(2026, 3, 31, 14, 59, tzinfo=UTC))[1] == date(
        2026, 3, 31
    )


def book(slot, attendance="", status=BookingStatus.ACTIVE):
    return Booking.objects.create(
        company=slot.company,
        applicant=ApplicantFactory(company=slot.company),
        event=slot.event,
        slot=slot,
        source=BookingSource.STAFF,
        status=status,
        attendance=attendance,
    )


def slot_at(event, starts_at):
    return SlotFactory(event=event, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1))


# 2026-04-01 00:00 JST, the first moment of the period below.
DAY_START = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)  # 15:00 JST


@pytest.fixture
def attendance_world(world):
    company = world.acme.company
    first = EventFactory(
        selection_meeting__company=company,
        selection_meeting__name="一次面接会",
        selection_meeting__sort_order=1,
    )
    second = EventFactory(
        selection_meeting__company=company,
        selection_meeting__name="@SUM(A1)",
        selection_meeting__sort_order=2,
    )
    s1 = slot_at(first, DAY_START)  # the period's first minute, JST
    for kind in (Attendance.ATTENDED, Attendance.LATE, Attendance.NO_SHOW, ""):
        book(s1, kind)
    book(s1, Attendance.ABSENT, status=BookingStatus.CANCELLED)  # cancelled: not counted
    book(slot_at(first, DAY_START + timedelta(hours=2)), Attendance.ABSENT)
    book(slot_at(second, DAY_START + timedelta(hours=3)), Attendance.ATTENDED)
    book(slot_at(first, DAY_START - timedelta(minutes=1)), Attendance.ATTENDED)  # the day before in JST
    book(slot_at(first, NOW + timedelta(hours=1)), "")  # not started yet
    deleted = slot_at(second, DAY_START + timedelta(hours=4))
    book(deleted, Attendance.NO_SHOW)
    Slot.all_objects.filter(pk=deleted.pk).update(deleted_at=NOW)
    other = EventFactory(selection_meeting__company=world.other.company)
    book(slot_at(other, DAY_START + timedelta(hours=1)), Attendance.NO_SHOW)


def test_attendance_per_meeting_with_rates_and_the_jst_boundary(world, attendance_world):
    report = selectors.attendance(world.acme.company, Filters(TODAY, TODAY), now=NOW)
    rows = [
        (r.meeting_name, r.slots, r.bookings, r.counts, r.unrecorded, r.attendance_rate, r.no_show_rate)
        for r in report.rows
    ]
    assert rows == [
        ("一次面接会", 2, 5, {"attended": 1, "absent": 1, "no_show": 1, "late": 1}, 1, 50.0, 25.0),
        ("@SUM(A1)", 1, 1, {"attended": 1, "absent": 0, "no_show": 0, "late": 0}, 0, 100.0, 0.0),
    ]
    assert (report.total.slots, report.total.bookings, report.total.unrecorded) == (3, 6, 1)
    assert report.total.attendance_rate == 60.0 and report.total.no_show_rate == 20.0
    # The day before (JST) holds only the slot that started at 23:59 JST.
    earlier = selectors.attendance(
        world.acme.company, Filters(TODAY - timedelta(days=1), TODAY - timedelta(days=1)), now=NOW
    )
    assert [(r.meeting_name, r.bookings) for r in earlier.rows] == [("一次面接会", 1)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LATERAL: the PostgreSQL query")
def test_attendance_per_slot_on_postgresql_equals_the_join(world, attendance_world):
    company = world.acme.company
    for day_from, day_to in ((TODAY, TODAY), (TODAY - timedelta(days=1), TODAY), (PERIOD.date_from, TODAY)):
        start = day_bounds(day_from, company.tzinfo)[0]
        end = min(day_bounds(day_to, company.tzinfo)[1], NOW)
        per_slot = selectors._attendance_rows_per_slot(company, start, end)
        assert per_slot == selectors._attendance_rows_joined(company, start, end)
        assert per_slot
    for other in (world.other.company,):
        start, end = day_bounds(TODAY, other.tzinfo)[0], NOW
        assert selectors._attendance_rows_per_slot(other, start, end) == selectors._attendance_rows_joined(
            other, start, end
        )


@pytest.fixture
def issuance_world(world):
    company = world.acme.company
    zoom = ZoomEventFactory(selection_meeting__company=company)
    soon = timezone.now() + timedelta(days=2)
    for state in (MeetingState.ISSUED, MeetingState.FAILED, MeetingState.PENDING, MeetingState.DELETED):
        SlotFactory(event=zoom, starts_at=soon, ends_at=soon + timedelta(hours=1), meeting_state=state)
    # Issued, then moved in Zoom: needs attention.
    SlotFactory(
        event=zoom,
        starts_at=soon,
        ends_at=soon + timedelta(hours=1),
        meeting_state=MeetingState.ISSUED,
        meeting_start=soon + timedelta(hours=3),
        meeting_end=soon + timedelta(hours=4),
    )
    past = timezone.now() - timedelta(days=2)
    SlotFactory(
        event=zoom, starts_at=past, ends_at=past + timedelta(hours=1), meeting_state=MeetingState.FAILED
    )
    gone = SlotFactory(
        event=zoom, starts_at=soon, ends_at=soon + timedelta(hours=1), meeting_state=MeetingState.FAILED
    )
    Slot.all_objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    SlotFactory(
        event=EventFactory(selection_meeting__company=company),
        starts_at=soon,
        ends_at=soon + timedelta(hours=1),
    )
    other = ZoomEventFactory(selection_meeting__company=world.other.company)
    SlotFactory(
        event=other, starts_at=soon, ends_at=soon + timedelta(hours=1), meeting_state=MeetingState.FAILED
    )


def test_issuance_health_counts_upcoming_zoom_slots(world, issuance_world):
    health = selectors.issuance_health(world.acme.company)
    assert health.counts == {"none": 0, "pending": 1, "issued": 2, "failed": 1, "deleted": 1}
    assert (health.total, health.failed, health.attention) == (5, 1, 3)


# --- the page, the exports, roles, tenants, queries -------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "recruiter"])
def test_staff_see_the_reports_with_charts_and_tables(world, funnel_world, role):
    response = client_for(world.acme.user(role)).get(
        reverse("reports:index"), {"date_from": "2026-01-01", "date_to": "2026-04-01"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg class="chart" role="img"') == 3
    assert "選考ファネル" in page and "面接の実施と出欠" in page and "Web面接の発行状況" in page
    assert ">83.3<" in page  # 説明会's conversion in the table
    assert "他社" not in page


def test_interviewers_may_not_open_reports(world):
    client = client_for(world.acme.interviewer)
    assert client.get(reverse("reports:index")).status_code == 403
    assert client.get(reverse("reports:funnel_csv")).status_code == 403
    assert client_for(world.acme.recruiter).get(reverse("reports:index")).status_code == 200


def test_labels_are_escaped_in_the_chart_and_table(world, as_recruiter):
    entry = stage(world.acme.company, "エントリー")
    entry.name = '<script>alert(1)</script>"x'
    entry.save()
    ApplicantFactory(company=world.acme.company, stage=entry)
    page = as_recruiter.get(reverse("reports:index")).content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;x" in page


def test_another_companys_source_is_ignored_and_bad_filters_fall_back(world, funnel_world, as_recruiter):
    foreign = SourceFactory(company=world.other.company, name="他社経路")
    response = as_recruiter.get(reverse("reports:index"), {"source": foreign.pk, "date_from": "x"})
    assert response.status_code == 200
    assert response.context["filters"].source is None
    start, end = selectors.default_period(world.acme.company)
    assert (response.context["filters"].date_from, response.context["filters"].date_to) == (start, end)
    reversed_period = as_recruiter.get(
        reverse("reports:index"), {"date_from": "2026-04-02", "date_to": "2026-04-01"}
    )
    assert reversed_period.status_code == 200 and reversed_period.context["form"].errors


def test_funnel_csv_export(world, funnel_world, as_recruiter):
    entry = stage(world.acme.company, "エントリー")
    entry.name = "=HYPERLINK(1)"
    entry.save()
    response = as_recruiter.get(
        reverse("reports:funnel_csv"), {"date_from": "2026-01-01", "date_to": "2026-04-01"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="funnel-20260101-20260401.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "選考ステータス"
    assert rows[1] == ["'=HYPERLINK(1)", "6", "", "100.0"]
    assert rows[2] == ["説明会", "5", "83.3", "83.3"]


def test_attendance_xlsx_export_keeps_numbers_and_guards_formulas(
    world, attendance_world, as_recruiter, monkeypatch
):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    response = as_recruiter.get(
        reverse("reports:attendance_xlsx"), {"date_from": "2026-04-01", "date_to": "2026-04-01"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["選考会", "実施した日程", "予約"]
    assert rows[1] == ["一次面接会", 2, 5, 1, 1, 1, 1, 1, 50, 25]
    assert rows[2][0] == "'@SUM(A1)" and rows[2][1:3] == [1, 1]
    assert rows[3][0] == "合計" and isinstance(rows[3][2], int) and rows[3][8] == 60
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("name", ["funnel_xlsx", "attendance_csv", "zoom_csv", "zoom_xlsx"])
def test_every_export_answers(world, issuance_world, as_admin, name):
    response = as_admin.get(reverse(f"reports:{name}"))
    assert response.status_code == 200
    if name.endswith("xlsx"):
        load_workbook(io.BytesIO(response.content))


def test_zoom_xlsx_numbers(world, issuance_world, as_admin):
    sheet = load_workbook(io.BytesIO(as_admin.get(reverse("reports:zoom_xlsx")).content)).active
    rows = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["失敗"] == 1 and rows["発行済み"] == 2 and rows["合計"] == 5


def test_another_company_sees_none_of_the_numbers(world, funnel_world, attendance_world, as_admin):
    client = client_for(world.other.admin)
    response = client.get(reverse("reports:index"), {"date_from": "2026-01-01", "date_to": "2026-04-01"})
    assert response.context["funnel"].total == 1  # their own applicant only
    assert "一次面接会" not in response.content.decode()


def test_the_page_runs_a_fixed_number_of_queries(
    world, funnel_world, as_recruiter, django_assert_max_num_queries
):
    params = {"date_from": "2026-01-01", "date_to": "2026-04-01", "source": funnel_world["mynavi"].pk}
    with django_assert_max_num_queries(15) as few:
        assert as_recruiter.get(reverse("reports:index"), params).status_code == 200
    company = world.acme.company
    for _ in range(20):
        applicant(company, "一次面接", ["エントリー", "一次面接"], source=funnel_world["mynavi"])
    zoom = ZoomEventFactory(selection_meeting__company=company)
    for hours in range(5):
        slot = slot_at(zoom, timezone.now() - timedelta(days=1, hours=hours))
        book(slot, Attendance.ATTENDED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert as_recruiter.get(reverse("reports:index"), params).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert as_recruiter.get(reverse("reports:attendance_xlsx"), params).status_code == 200
