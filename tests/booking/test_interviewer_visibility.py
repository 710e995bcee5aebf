"""A 面接官 reads only the ACTIVE bookings of the slots they host, on every page; 管理者/採用担当 read all.

The rule lives in ``booking.selectors.visible_bookings`` (and ``visible_waits``): the booking page, the slot
page's 予約者 section, the applicant page's 予約 panel and the 面接官's applicant scope all read through it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from booking import services as booking_services
from booking.models import BookingStatus
from booking.selectors import applicant_ids_for_interviewer, visible_bookings
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import invite, slot_for, staff_book
from tests.helpers import client_for
from tests.scheduling.factories import SelectionMeetingFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def hosted(company, linked):
    """A Zoom event hosted by world.acme.interviewer (zhost0002 has their email)."""
    meeting = SelectionMeetingFactory(company=company, name="二次面接")
    return ZoomEventFactory(
        selection_meeting=meeting,
        name="Web面接",
        meeting_host_id="zhost0002",
        meeting_host_email="interviewer@acme.example.com",
    )


@pytest.fixture
def hosted_slot(hosted):
    return slot_for(hosted, capacity=3)


@pytest.fixture
def cancelled(hosted_slot, other_applicant, world):
    """鈴木 一郎 booked into the 面接官's slot, then cancelled by a recruiter."""
    booking = staff_book(hosted_slot, other_applicant)
    booking_services.cancel_booking(booking=booking, actor=world.acme.recruiter, notify=False)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    return booking


@pytest.fixture
def active(hosted_slot, applicant):
    """佐藤 花子 booked into the 面接官's slot."""
    return staff_book(hosted_slot, applicant)


def test_an_interviewer_reads_the_active_booking_of_a_slot_they_host(world, active):
    page = text(
        client_for(world.acme.interviewer).get(reverse("booking_staff:booking_detail", args=[active.pk]))
    )

    assert "佐藤 花子" in page and "hanako.sato@example.jp" in page


def test_a_cancelled_booking_of_a_slot_the_interviewer_hosts_is_not_found_for_them(world, cancelled):
    response = client_for(world.acme.interviewer).get(
        reverse("booking_staff:booking_detail", args=[cancelled.pk])
    )

    assert response.status_code == 404
    assert "鈴木 一郎" not in response.content.decode()
    assert "ichiro.suzuki@example.jp" not in response.content.decode()


def test_the_slot_page_shows_an_interviewer_only_the_active_bookings(world, hosted_slot, active, cancelled):
    page = text(
        client_for(world.acme.interviewer).get(reverse("scheduling:slot_detail", args=[hosted_slot.pk]))
    )

    assert "佐藤 花子" in page and reverse("booking_staff:booking_detail", args=[active.pk]) in page
    assert "鈴木 一郎" not in page and "ichiro.suzuki@example.jp" not in page
    assert reverse("booking_staff:booking_detail", args=[cancelled.pk]) not in page
    assert reverse("applicants:detail", args=[cancelled.applicant_id]) not in page


def test_recruiters_and_admins_still_read_cancelled_bookings(world, hosted_slot, active, cancelled):
    for user in (world.acme.recruiter, world.acme.admin):
        staff = client_for(user)
        detail = text(staff.get(reverse("booking_staff:booking_detail", args=[cancelled.pk])))
        slot_page = text(staff.get(reverse("scheduling:slot_detail", args=[hosted_slot.pk])))
        applicant_page = text(staff.get(reverse("applicants:detail", args=[cancelled.applicant_id])))

        assert "鈴木 一郎" in detail
        assert "鈴木 一郎" in slot_page and "佐藤 花子" in slot_page
        assert reverse("booking_staff:booking_detail", args=[cancelled.pk]) in applicant_page


def test_the_applicant_panel_shows_an_interviewer_only_the_active_booking(world, hosted, applicant):
    """The applicant booked a hosted slot, cancelled, and booked another: the panel lists only the second."""
    first = staff_book(slot_for(hosted, days=5), applicant)
    booking_services.cancel_booking(booking=first, actor=world.acme.recruiter, notify=False)
    second = staff_book(slot_for(hosted, days=6), applicant)

    page = text(client_for(world.acme.interviewer).get(reverse("applicants:detail", args=[applicant.pk])))
    recruiter_page = text(
        client_for(world.acme.recruiter).get(reverse("applicants:detail", args=[applicant.pk]))
    )

    assert reverse("booking_staff:booking_detail", args=[second.pk]) in page
    assert reverse("booking_staff:booking_detail", args=[first.pk]) not in page
    assert reverse("booking_staff:booking_detail", args=[first.pk]) in recruiter_page


def test_the_selectors_hold_the_rule(world, hosted_slot, active, cancelled):
    interviewer, recruiter = world.acme.interviewer, world.acme.recruiter

    assert list(visible_bookings(interviewer)) == [active]
    assert set(visible_bookings(recruiter)) == {active, cancelled}
    assert set(applicant_ids_for_interviewer(interviewer).values_list("applicant_id", flat=True)) == {
        active.applicant_id
    }
    assert not applicant_ids_for_interviewer(recruiter).exists()


def test_an_interviewer_without_an_email_reads_no_booking(world, active):
    interviewer = world.acme.interviewer
    interviewer.email = ""

    assert not visible_bookings(interviewer).exists()
    assert not applicant_ids_for_interviewer(interviewer).exists()


def test_the_slot_page_shows_an_interviewer_no_waitlist(world, company, hosted, applicant):
    """Someone waiting is not booked into the slot: the 面接官 may not read them (their page is a 404)."""
    full = slot_for(hosted, capacity=1)
    staff_book(full, applicant)
    waiting = ApplicantFactory(company=company, name="高橋 待子", email="machiko.takahashi@example.jp")
    booking_services.join_waitlist(slot=full, applicant=waiting, invitation=invite(waiting, hosted))

    interviewer = client_for(world.acme.interviewer)
    page = text(interviewer.get(reverse("scheduling:slot_detail", args=[full.pk])))
    recruiter_page = text(
        client_for(world.acme.recruiter).get(reverse("scheduling:slot_detail", args=[full.pk]))
    )

    assert "高橋 待子" not in page and "キャンセル待ち" not in page
    assert interviewer.get(reverse("applicants:detail", args=[waiting.pk])).status_code == 404
    assert "高橋 待子" in recruiter_page
