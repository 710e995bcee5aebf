"""Staff side: 代行予約 (applicant page, slot page), 変更, キャンセル, 日程選択案内, roles, tenants."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from applicants.selectors import visible_applicants
from booking import services as booking_services
from booking.models import Booking, BookingInvitation, BookingStatus, WaitlistEntry, WaitStatus
from booking.selectors import applicant_ids_for_interviewer
from notifications.models import MailKind, SentMail
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import invite, slot_for, soon_slot, staff_book
from tests.helpers import client_for
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


# --- 代行予約 --------------------


def test_a_recruiter_books_from_the_applicant_page(as_recruiter, applicant, slot, world):
    detail = text(as_recruiter.get(reverse("applicants:detail", args=[applicant.pk])))
    assert "代行予約" in detail and "日程選択案内を送る" in detail

    choices = text(as_recruiter.get(reverse("booking_staff:applicant_book", args=[applicant.pk])))
    response = as_recruiter.post(
        reverse("booking_staff:applicant_book", args=[applicant.pk]), {"slot": slot.pk}
    )

    assert "予約する" in choices
    assert response.status_code == 302 and response["Location"].endswith("#bookings")
    booking = Booking.objects.get()
    assert booking.source == "staff" and booking.booked_by == world.acme.recruiter
    mail = SentMail.objects.get(kind=MailKind.BOOKING_CONFIRMED)
    assert mail.actor == world.acme.recruiter and "/b/" in mail.body  # a personal link to see or cancel
    detail = text(as_recruiter.get(reverse("applicants:detail", args=[applicant.pk])))
    assert reverse("booking_staff:booking_detail", args=[booking.pk]) in detail
    assert "応募者専用リンク" in detail


def test_staff_may_book_a_hidden_slot_but_never_beyond_capacity(as_admin, applicant, other_applicant, event):
    hidden = slot_for(event, capacity=1, is_published=False)
    as_admin.post(reverse("booking_staff:applicant_book", args=[applicant.pk]), {"slot": hidden.pk})

    response = as_admin.post(
        reverse("booking_staff:applicant_book", args=[other_applicant.pk]), {"slot": hidden.pk}, follow=True
    )

    assert Booking.objects.filter(slot=hidden).count() == 1
    assert "満席" in text(response)


def test_a_recruiter_books_from_the_slot_page_after_searching(as_recruiter, applicant, slot):
    page = text(as_recruiter.get(reverse("booking_staff:slot_book", args=[slot.pk]), {"q": "サトウ"}))
    assert "佐藤 花子" in page

    response = as_recruiter.post(
        reverse("booking_staff:slot_book", args=[slot.pk]), {"applicant": applicant.pk}
    )

    assert response["Location"] == reverse("scheduling:slot_detail", args=[slot.pk])
    slot_page = text(as_recruiter.get(response["Location"]))
    assert "予約者（1 / 2名）" in slot_page and "佐藤 花子" in slot_page


def test_another_companys_applicant_or_slot_is_not_found(as_recruiter, world, applicant, slot):
    stranger = ApplicantFactory(company=world.other.company)
    foreign_slot = slot_for(
        EventFactory(selection_meeting=SelectionMeetingFactory(company=world.other.company))
    )

    assert (
        as_recruiter.post(
            reverse("booking_staff:slot_book", args=[slot.pk]), {"applicant": stranger.pk}
        ).status_code
        == 404
    )
    assert as_recruiter.get(reverse("booking_staff:applicant_book", args=[stranger.pk])).status_code == 404
    assert as_recruiter.get(reverse("booking_staff:slot_book", args=[foreign_slot.pk])).status_code == 404
    response = as_recruiter.post(
        reverse("booking_staff:applicant_book", args=[applicant.pk]), {"slot": foreign_slot.pk}
    )
    assert response.status_code == 200 and "日程を選んでください" in text(response)
    assert not Booking.objects.exists()
    foreign_booking = staff_book(foreign_slot, stranger)
    for name in ("booking_detail", "booking_move"):
        assert (
            as_recruiter.get(reverse(f"booking_staff:{name}", args=[foreign_booking.pk])).status_code == 404
        )
    assert (
        as_recruiter.post(reverse("booking_staff:booking_cancel", args=[foreign_booking.pk])).status_code
        == 404
    )
    foreign_booking.refresh_from_db()
    assert foreign_booking.status == BookingStatus.ACTIVE


def test_staff_move_a_booking_and_the_applicant_is_told(as_recruiter, applicant, slot, event):
    booking = staff_book(slot, applicant)
    later = slot_for(event, days=9, hour=11)

    page = text(as_recruiter.get(reverse("booking_staff:booking_move", args=[booking.pk])))
    as_recruiter.post(reverse("booking_staff:booking_move", args=[booking.pk]), {"slot": later.pk})

    assert "この日程に変更" in page
    booking.refresh_from_db()
    assert booking.slot == later and booking.ics_sequence == 1
    assert SentMail.objects.filter(kind=MailKind.BOOKING_CHANGED, to_email=applicant.email).exists()


def test_staff_may_cancel_after_the_applicants_deadline(as_recruiter, applicant, event):
    soon = soon_slot(event)
    booking = staff_book(soon, applicant)

    as_recruiter.post(reverse("booking_staff:booking_cancel", args=[booking.pk]))

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert SentMail.objects.get(kind=MailKind.BOOKING_CANCELLED).ics_method == "CANCEL"


def test_the_booking_page_shows_history_and_mails(as_recruiter, applicant, slot):
    booking = staff_book(slot, applicant)

    page = text(as_recruiter.get(reverse("booking_staff:booking_detail", args=[booking.pk])))

    assert "予約: 一次面接 / 対面面接" in page and "予約完了" in page and ".ics REQUEST" in page


# --- 日程選択案内 --------------------


def test_a_recruiter_sends_the_schedule_invitation_and_the_mailed_link_works(
    as_recruiter, applicant, event, slot, browser
):
    form = text(as_recruiter.get(reverse("booking_staff:applicant_invite", args=[applicant.pk])))
    assert "一次面接 / 対面面接" in form

    response = as_recruiter.post(
        reverse("booking_staff:applicant_invite", args=[applicant.pk]),
        {"events": [event.pk], "days": "14", "send_mail": "on"},
    )

    assert response.status_code == 302
    invitation = BookingInvitation.objects.get()
    assert list(invitation.events.all()) == [event]
    mail = SentMail.objects.get(kind=MailKind.SCHEDULE_INVITATION)
    assert mail.to_email == applicant.email and mail.applicant_id == applicant.pk
    url = re.search(r"http://testserver(/b/\S+/)", mail.body).group(1)
    assert "残り2席" in text(browser.get(url))
    detail = text(as_recruiter.get(reverse("applicants:detail", args=[applicant.pk])))
    assert "http://testserver/b/" in detail and "日程選択案内" in detail


def test_without_an_email_the_link_is_created_but_no_mail_is_sent(as_recruiter, company, event):
    phone_only = ApplicantFactory(company=company, email="")

    refused = as_recruiter.post(
        reverse("booking_staff:applicant_invite", args=[phone_only.pk]),
        {"events": [event.pk], "days": "14", "send_mail": "on"},
    )
    created = as_recruiter.post(
        reverse("booking_staff:applicant_invite", args=[phone_only.pk]), {"events": [event.pk], "days": "14"}
    )

    assert "メールアドレスが登録されていない" in text(refused)
    assert created.status_code == 302
    assert BookingInvitation.objects.filter(applicant=phone_only).count() == 1
    assert not SentMail.objects.filter(kind=MailKind.SCHEDULE_INVITATION).exists()


def test_an_invitation_cannot_offer_another_companys_event(as_recruiter, applicant, world):
    foreign = EventFactory(selection_meeting=SelectionMeetingFactory(company=world.other.company))

    response = as_recruiter.post(
        reverse("booking_staff:applicant_invite", args=[applicant.pk]), {"events": [foreign.pk], "days": "14"}
    )

    assert response.status_code == 200
    assert not BookingInvitation.objects.exists()


# --- roles --------------------


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


def test_an_interviewer_reads_the_bookings_of_slots_they_host_and_nothing_else(
    world, company, hosted, event, applicant, other_applicant
):
    mine = staff_book(slot_for(hosted), applicant)
    theirs = staff_book(slot_for(event), other_applicant)
    interviewer = client_for(world.acme.interviewer)

    assert set(
        applicant_ids_for_interviewer(world.acme.interviewer).values_list("applicant_id", flat=True)
    ) == {applicant.pk}
    assert list(visible_applicants(world.acme.interviewer)) == [applicant]
    detail = text(interviewer.get(reverse("applicants:detail", args=[applicant.pk])))
    assert reverse("booking_staff:booking_detail", args=[mine.pk]) in detail
    assert reverse("booking_staff:applicant_book", args=[applicant.pk]) not in detail
    assert "日程選択案内を送る" not in detail and "/b/" not in detail
    assert interviewer.get(reverse("applicants:detail", args=[other_applicant.pk])).status_code == 404
    booking_page = text(interviewer.get(reverse("booking_staff:booking_detail", args=[mine.pk])))
    assert "佐藤 花子" in booking_page and "キャンセル" not in booking_page.split("<h1")[1].split("</div>")[0]
    assert interviewer.get(reverse("booking_staff:booking_detail", args=[theirs.pk])).status_code == 404
    slot_page = text(interviewer.get(reverse("scheduling:slot_detail", args=[mine.slot_id])))
    assert (
        "佐藤 花子" in slot_page and reverse("booking_staff:slot_book", args=[mine.slot_id]) not in slot_page
    )


def test_an_interviewer_cannot_book_move_cancel_or_invite(world, applicant, slot):
    booking = staff_book(slot, applicant)
    interviewer = client_for(world.acme.interviewer)

    for url in (
        reverse("booking_staff:applicant_book", args=[applicant.pk]),
        reverse("booking_staff:slot_book", args=[slot.pk]),
        reverse("booking_staff:booking_move", args=[booking.pk]),
        reverse("booking_staff:booking_cancel", args=[booking.pk]),
        reverse("booking_staff:applicant_invite", args=[applicant.pk]),
    ):
        assert interviewer.post(url, {"slot": slot.pk, "applicant": applicant.pk}).status_code == 403
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACTIVE and Booking.objects.count() == 1


def test_the_host_is_told_of_a_booking_with_a_link_to_the_slot_page(world, hosted, applicant):
    slot = slot_for(hosted)

    staff_book(slot, applicant)

    notice = SentMail.objects.get(kind=MailKind.HOST_NOTICE)
    assert notice.to_email == "interviewer@acme.example.com"
    assert (
        f"http://testserver/selection/slots/{slot.pk}/" in notice.body and "予約が入りました" in notice.body
    )


# --- personal-data deletion --------------------


def test_deleting_personal_data_cancels_future_bookings_frees_seats_and_revokes_links(
    as_recruiter, applicant, event, company, browser
):
    full = slot_for(event, capacity=1)
    booking = staff_book(full, applicant)
    waiting = ApplicantFactory(company=company)
    booking_services.join_waitlist(slot=full, applicant=waiting, invitation=invite(waiting, event))
    link = invite(applicant, event)

    as_recruiter.post(reverse("applicants:anonymize", args=[applicant.pk]))

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert Booking.objects.get(slot=full, status=BookingStatus.ACTIVE).applicant == waiting
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert not SentMail.objects.filter(kind=MailKind.BOOKING_CANCELLED).exists()
    assert SentMail.objects.filter(applicant_id=applicant.pk).exclude(to_email="").count() == 0
    assert WaitlistEntry.objects.filter(applicant=applicant, status=WaitStatus.WAITING).count() == 0


def test_host_notices_are_erased_with_the_applicants_personal_data(as_recruiter, hosted, applicant):
    staff_book(slot_for(hosted), applicant)
    assert "佐藤 花子" in SentMail.objects.get(kind=MailKind.HOST_NOTICE).body

    as_recruiter.post(reverse("applicants:anonymize", args=[applicant.pk]))

    assert "佐藤 花子" not in SentMail.objects.get(kind=MailKind.HOST_NOTICE).body


@pytest.mark.parametrize("bad", ["9" * 30, "-" + "9" * 30, "²"])
def test_an_invitation_refuses_event_ids_that_cannot_name_a_row(as_recruiter, applicant, event, bad):
    """Django checks a multiple choice with one pk__in query, which SQLite cannot run with a number beyond
    64 bits (OverflowError: a 500)."""
    response = as_recruiter.post(
        reverse("booking_staff:applicant_invite", args=[applicant.pk]),
        {"events": [event.pk, bad], "days": "14"},
    )

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not BookingInvitation.objects.exists()
