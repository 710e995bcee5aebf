"""The applicant's own pages behind the personal link: choose, confirm, see, change, cancel, wait."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from applicants.models import Applicant, StatusChange
from booking import links
from booking.models import Booking, BookingLog, BookingStatus, WaitlistEntry, WaitStatus
from notifications.models import MailKind, SentMail
from tests.applicants.factories import ApplicantFactory
from tests.booking.helpers import applicant_book, invite, link, slot_for, soon_slot, staff_book
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


# --- choosing --------------------


def test_the_link_lists_the_invited_events_shown_slots_with_seats_left_in_japanese(
    browser, invitation, event, slot, other_applicant, company
):
    full = slot_for(event, days=6, capacity=1)
    staff_book(full, other_applicant)
    hidden = slot_for(event, days=7, is_published=False)
    past_window = soon_slot(event)  # closes 24 h before its start: already closed
    elsewhere = slot_for(EventFactory(selection_meeting=event.selection_meeting, name="別のイベント"), days=5)

    response = browser.get(link(invitation), HTTP_ACCEPT_LANGUAGE="en")

    content = page(response)
    assert response.status_code == 200
    assert "佐藤 花子 様" in content and "一次面接" in content and "対面面接" in content
    assert "残り2席" in content and "満席" in content and "キャンセル待ちに登録" in content
    assert f"/slots/{slot.pk}/" in content
    local = timezone.localtime(slot.starts_at, company.tzinfo)
    assert f"{local.month}月{local.day}日" in content and "14:00〜15:00" in content
    for not_offered in (hidden, past_window, elsewhere):
        assert f"/slots/{not_offered.pk}/" not in content
    assert response["Referrer-Policy"] == "same-origin"  # the path never leaves the site
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_a_slot_not_yet_open_is_listed_with_its_opening_time_and_cannot_be_booked(
    browser, invitation, event, applicant
):
    event.booking_opens_hours_before = 48
    event.save()
    later = slot_for(event, days=10)

    content = page(browser.get(link(invitation)))
    response = browser.post(link(invitation, f"slots/{later.pk}/"))

    assert "受付開始" in content and f'/slots/{later.pk}/"' not in content
    assert response.status_code == 409
    assert "予約受付は" in page(response)
    assert not Booking.objects.exists()


# --- booking --------------------


def test_the_applicant_books_a_slot_and_sees_the_confirmation_with_the_place(
    browser, invitation, slot, applicant, company
):
    confirm = browser.get(link(invitation, f"slots/{slot.pk}/"))
    assert "予約内容の確認" in page(confirm) and "この日程で予約する" in page(confirm)

    response = browser.post(link(invitation, f"slots/{slot.pk}/"))

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith("/b/") and response["Location"].endswith(
        f"/bookings/{booking.pk}/"
    )
    done = browser.get(response["Location"])
    content = page(done)
    assert "ご予約が完了しました" in content and "東京本社 8F 面接室A" in content
    assert "日程を変更する" in content and "キャンセルする" in content
    assert booking.applicant == applicant and booking.slot == slot and booking.status == BookingStatus.ACTIVE
    assert booking.source == "applicant" and booking.invitation == invitation


def test_booking_writes_the_timeline_the_audit_log_and_moves_the_status_forward(
    browser, invitation, slot, applicant, as_recruiter
):
    entry_stage, before = applicant.stage, applicant.updated_at
    browser.post(link(invitation, f"slots/{slot.pk}/"))

    booking = Booking.objects.get()
    assert BookingLog.objects.filter(applicant=applicant, booking=booking, kind="booked").exists()
    assert AuditEntry.objects.filter(action="booking.created", target_id=str(booking.pk)).exists()
    applicant.refresh_from_db()
    assert applicant.stage.name == "一次面接" and applicant.updated_at > before
    # Both stages count as reached (the applicant list's 到達 filter): the old bit kept, the new one added.
    assert applicant.reached_stages == entry_stage.mask | applicant.stage.mask
    change = StatusChange.objects.filter(applicant=applicant).first()
    assert change.from_stage == entry_stage and change.to_stage.name == "一次面接"
    assert change.changed_by_label == "システム"
    audit = AuditEntry.objects.get(action="applicant.status_changed", target_id=str(applicant.pk))
    assert (
        audit.details == {"from": entry_stage.name, "to": "一次面接"}
        and audit.company_id == applicant.company_id
    )
    detail = page(as_recruiter.get(reverse("applicants:detail", args=[applicant.pk])))
    assert "予約: 一次面接 / 対面面接" in detail


def test_the_status_is_never_moved_backwards_by_a_booking(browser, invitation, slot, applicant, company):
    from tests.applicants.factories import stage_named

    applicant.stage = stage_named(company, "最終面接")
    applicant.save()

    browser.post(link(invitation, f"slots/{slot.pk}/"))

    applicant.refresh_from_db()
    assert applicant.stage.name == "最終面接"


def test_a_booking_never_moves_back_a_status_changed_after_the_booking_read_it(applicant, slot, company):
    """The booking judges the move from the applicant it read before its transaction; a recruiter who moved
    them forward in the meantime keeps their status."""
    from tests.applicants.factories import stage_named

    read_before = Applicant.objects.select_related("stage").get(pk=applicant.pk)  # エントリー
    Applicant.objects.filter(pk=applicant.pk).update(stage=stage_named(company, "最終面接"))

    staff_book(slot, read_before)

    applicant.refresh_from_db()
    assert applicant.stage.name == "最終面接"
    assert not StatusChange.objects.filter(applicant=applicant, to_stage__name="一次面接").exists()
    assert Booking.objects.filter(applicant=applicant, slot=slot).exists()


def test_a_double_submit_makes_one_booking_and_one_mail(browser, invitation, slot):
    url = link(invitation, f"slots/{slot.pk}/")  # one token: each signing carries its second
    first = browser.post(url)
    second = browser.post(url)

    assert Booking.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert SentMail.objects.filter(kind=MailKind.BOOKING_CONFIRMED).count() == 1


def test_a_second_slot_of_the_same_event_is_refused(browser, invitation, event, slot):
    other = slot_for(event, days=6)
    browser.post(link(invitation, f"slots/{slot.pk}/"))

    response = browser.post(link(invitation, f"slots/{other.pk}/"))

    assert response.status_code == 409
    assert "すでに予約済み" in page(response)
    assert list(Booking.objects.values_list("slot_id", flat=True)) == [slot.pk]


def test_a_full_slot_is_refused_with_a_message_and_offers_the_waitlist(
    browser, invitation, event, other_applicant
):
    full = slot_for(event, capacity=1)
    staff_book(full, other_applicant)

    response = browser.post(link(invitation, f"slots/{full.pk}/"))

    assert response.status_code == 409
    assert "満席" in page(response) and "キャンセル待ちに登録" in page(response)
    assert Booking.objects.count() == 1


def test_a_hidden_slot_cannot_be_booked_even_by_its_address(browser, invitation, event):
    hidden = slot_for(event, is_published=False)

    response = browser.post(link(invitation, f"slots/{hidden.pk}/"))

    assert response.status_code == 409
    assert "現在予約を受け付けていません" in page(response)
    assert not Booking.objects.exists()


def test_booking_after_the_window_closed_is_refused(browser, invitation, event):
    closing = slot_for(event, days=1, hour=23)  # closes 24 h before: still shown until then
    event.booking_closes_hours_before = 48
    event.save()

    response = browser.post(link(invitation, f"slots/{closing.pk}/"))

    assert response.status_code == 409
    assert "予約受付は終了しました" in page(response)
    assert not Booking.objects.exists()


def test_a_slot_of_an_event_not_in_the_invitation_is_not_found(browser, invitation, company):
    other_event = EventFactory(selection_meeting=SelectionMeetingFactory(company=company), name="最終面接")
    not_invited = slot_for(other_event)

    response = browser.post(link(invitation, f"slots/{not_invited.pk}/"))

    assert response.status_code == 404
    assert "このページは表示できません" in page(response)
    assert not Booking.objects.exists()


# --- links --------------------


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature altered
        lambda token: "x" + token,  # payload altered
        lambda token: signing.dumps({"i": 1, "k": "guess"}, salt=links.SALT),  # a guessed key
        lambda token: signing.dumps({"i": 1, "k": "guess"}, salt="another-salt"),
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_link_gets_a_clear_page_and_changes_nothing(browser, invitation, slot, mangle):
    token = mangle(links.make_token(invitation))

    shown = browser.get(f"/b/{token}/")
    posted = browser.post(f"/b/{token}/slots/{slot.pk}/")

    assert shown.status_code == 404 and posted.status_code == 404
    assert "このリンクは無効です" in page(shown)
    assert "佐藤" not in page(shown)
    assert not Booking.objects.exists()


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(browser, invitation, slot):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()

    shown = browser.get(link(invitation))
    posted = browser.post(link(invitation, f"slots/{slot.pk}/"))

    assert shown.status_code == 410 and posted.status_code == 410
    assert "有効期限が切れています" in page(shown)
    assert not Booking.objects.exists()


def test_a_link_signed_longer_ago_than_the_maximum_age_is_expired(browser, invitation, settings):
    settings.BOOKING_LINK_MAX_AGE_DAYS = 0

    response = browser.get(link(invitation))

    assert response.status_code == 410


def test_a_revoked_link_stops_working(browser, invitation, as_recruiter):
    as_recruiter.post(reverse("booking_staff:invitation_revoke", args=[invitation.pk]))

    assert browser.get(link(invitation)).status_code == 410


def test_another_applicants_booking_is_not_reachable_through_a_link(
    browser, invitation, event, slot, other_applicant
):
    theirs = staff_book(slot, other_applicant)

    for suffix in ("", "cancel/", "change/"):
        response = browser.get(link(invitation, f"bookings/{theirs.pk}/{suffix}"))
        assert response.status_code == 404
        assert "鈴木" not in page(response)
    response = browser.post(link(invitation, f"bookings/{theirs.pk}/cancel/"))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == BookingStatus.ACTIVE


def test_a_link_of_another_company_reaches_nothing_here(browser, world, slot):
    stranger = ApplicantFactory(company=world.other.company, email="someone@other.example.jp")
    foreign_event = EventFactory(selection_meeting=SelectionMeetingFactory(company=world.other.company))
    foreign = invite(stranger, foreign_event)

    response = browser.post(link(foreign, f"slots/{slot.pk}/"))

    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_the_link_of_an_anonymized_applicant_is_invalid(browser, invitation, applicant, world):
    from applicants.services import anonymize_applicant

    anonymize_applicant(applicant=applicant, actor=world.acme.recruiter)

    assert browser.get(link(invitation)).status_code in (404, 410)


def _revoke(invitation, applicant, world):
    invitation.revoked_at = timezone.now()
    invitation.save()


def _expire(invitation, applicant, world):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()


def _anonymize(invitation, applicant, world):
    from applicants.services import anonymize_applicant

    anonymize_applicant(applicant=applicant, actor=world.acme.recruiter)


def _wrong_key(invitation, applicant, world):
    """A token signed with SECRET_KEY for this very invitation id, but not its key."""
    return signing.dumps({"i": invitation.pk, "k": "x" * len(invitation.key)}, salt=links.SALT)


@pytest.mark.parametrize(
    ("spoil", "status", "title"),
    [
        (_revoke, 410, "有効期限が切れています"),
        (_expire, 410, "有効期限が切れています"),
        (_anonymize, 404, "このリンクは無効です"),
        (_wrong_key, 404, "このリンクは無効です"),
    ],
)
def test_a_slot_page_read_with_its_link_refuses_every_link_the_home_page_refuses(
    browser, invitation, applicant, slot, world, spoil, status, title
):
    """The slot pages read the link and the slot in one query: the link is still checked before either
    is used, with the home page's answers."""
    token = spoil(invitation, applicant, world) or links.make_token(invitation)

    responses = [
        browser.get(f"/b/{token}/"),
        browser.get(f"/b/{token}/slots/{slot.pk}/"),
        browser.post(f"/b/{token}/slots/{slot.pk}/"),
        browser.post(f"/b/{token}/slots/{slot.pk}/wait/"),
    ]

    assert [response.status_code for response in responses] == [status] * 4
    assert all(title in page(response) for response in responses)
    assert not Booking.objects.exists()
    assert not WaitlistEntry.objects.exists()


def test_the_waitlist_of_a_slot_of_an_event_not_in_the_invitation_is_not_found(browser, invitation, company):
    other_event = EventFactory(selection_meeting=SelectionMeetingFactory(company=company), name="最終面接")
    not_invited = slot_for(other_event, capacity=1)
    staff_book(not_invited, ApplicantFactory(company=company))

    response = browser.post(link(invitation, f"slots/{not_invited.pk}/wait/"))

    assert response.status_code == 404
    assert "このページは表示できません" in page(response)
    assert not WaitlistEntry.objects.exists()


# --- seeing, changing, cancelling --------------------


def test_the_applicant_changes_to_another_slot_until_the_deadline(browser, invitation, event, slot, company):
    booking = applicant_book(slot, invitation.applicant, invitation)
    later = slot_for(event, days=8, hour=10)

    listing = browser.get(link(invitation, f"bookings/{booking.pk}/change/"))
    assert f"/change/{later.pk}/" in page(listing)
    response = browser.post(link(invitation, f"bookings/{booking.pk}/change/{later.pk}/"))

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot == later and booking.ics_sequence == 1
    mail = SentMail.objects.get(kind=MailKind.BOOKING_CHANGED)
    assert "変更前の日時" in mail.body and "10:00〜11:00" in mail.body
    assert BookingLog.objects.filter(booking=booking, kind="moved").exists()


def test_the_applicant_cancels_before_the_deadline(browser, invitation, slot):
    booking = applicant_book(slot, invitation.applicant, invitation)

    confirm = browser.get(link(invitation, f"bookings/{booking.pk}/cancel/"))
    response = browser.post(link(invitation, f"bookings/{booking.pk}/cancel/"))

    assert "キャンセルします。よろしいですか" in page(confirm)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    mail = SentMail.objects.get(kind=MailKind.BOOKING_CANCELLED)
    assert mail.ics_method == "CANCEL"
    assert AuditEntry.objects.filter(action="booking.cancelled", target_id=str(booking.pk)).exists()


def test_cancelling_after_the_deadline_is_refused_with_the_company_contact(
    browser, invitation, event, applicant, company
):
    from notifications.services import update_mail_settings

    update_mail_settings(
        company=company, sender_name="", reply_to="", contact="人事部 03-1234-5678", actor=None
    )
    soon = soon_slot(event)
    booking = staff_book(soon, applicant)  # staff may book inside the last 24 hours

    page_before = browser.get(link(invitation, f"bookings/{booking.pk}/"))
    confirm = browser.get(link(invitation, f"bookings/{booking.pk}/cancel/"))
    response = browser.post(link(invitation, f"bookings/{booking.pk}/cancel/"))

    assert "期限を過ぎているため" in page(page_before)
    assert f"/bookings/{booking.pk}/cancel/" not in page(page_before)
    assert "人事部 03-1234-5678" in page(confirm)
    assert response.status_code == 409
    assert "期限" in page(response) and "人事部 03-1234-5678" in page(response)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACTIVE
    assert not SentMail.objects.filter(kind=MailKind.BOOKING_CANCELLED).exists()


def test_changing_after_the_deadline_is_refused(browser, invitation, event, applicant):
    soon = soon_slot(event)
    later = slot_for(event, days=6)
    booking = staff_book(soon, applicant)

    listing = browser.get(link(invitation, f"bookings/{booking.pk}/change/"))
    response = browser.post(link(invitation, f"bookings/{booking.pk}/change/{later.pk}/"))

    assert "期限" in page(listing)
    assert response.status_code == 409
    booking.refresh_from_db()
    assert booking.slot == soon


# --- waitlist --------------------


def test_the_applicant_waits_for_a_full_slot_and_is_booked_when_a_seat_frees(
    browser, invitation, event, applicant, other_applicant
):
    full = slot_for(event, capacity=1)
    taken = staff_book(full, other_applicant)

    response = browser.post(link(invitation, f"slots/{full.pk}/wait/"))
    home = page(browser.get(link(invitation)))
    assert response.status_code == 302 and "キャンセル待ち中" in home

    from booking.services import cancel_booking

    cancel_booking(booking=taken, actor=None)

    promoted = Booking.objects.get(applicant=applicant)
    assert promoted.slot == full and promoted.source == "waitlist"
    assert WaitlistEntry.objects.get(applicant=applicant).status == WaitStatus.PROMOTED
    assert SentMail.objects.filter(kind=MailKind.BOOKING_CONFIRMED, to_email=applicant.email).exists()
    assert "ご予約済み" in page(browser.get(link(invitation)))


def test_waiting_for_a_slot_with_seats_is_refused(browser, invitation, slot):
    browser.post(link(invitation, f"slots/{slot.pk}/wait/"))

    assert not WaitlistEntry.objects.exists()
    assert "空きがあります" in page(browser.get(link(invitation)))


def test_the_applicant_withdraws_from_the_waitlist(browser, invitation, event, other_applicant):
    full = slot_for(event, capacity=1)
    staff_book(full, other_applicant)
    browser.post(link(invitation, f"slots/{full.pk}/wait/"))
    entry = WaitlistEntry.objects.get()

    browser.post(link(invitation, f"waits/{entry.pk}/withdraw/"))

    entry.refresh_from_db()
    assert entry.status == WaitStatus.WITHDRAWN


def test_the_applicants_page_runs_a_fixed_number_of_queries(
    browser, applicant, event, company, django_assert_max_num_queries
):
    second = EventFactory(selection_meeting=event.selection_meeting, name="Web面接")
    invitation = invite(applicant, event, second)
    slot_for(event)
    url = link(invitation)
    with django_assert_max_num_queries(15) as few:
        browser.get(url)
    for days in range(5, 15):
        slot_for(event, days=days, hour=10)
        slot_for(second, days=days, hour=11)
    staff_book(slot_for(second, days=20), applicant)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert browser.get(url).status_code == 200


def test_the_applicant_page_with_bookings_runs_a_fixed_number_of_queries(
    as_recruiter, applicant, event, django_assert_max_num_queries
):
    staff_book(slot_for(event), applicant)
    url = reverse("applicants:detail", args=[applicant.pk])
    with django_assert_max_num_queries(25) as few:
        as_recruiter.get(url)
    for index in range(5):
        other = EventFactory(selection_meeting=event.selection_meeting, name=f"面接{index}")
        staff_book(slot_for(other, days=6 + index), applicant)
        invite(applicant, other)

    with django_assert_max_num_queries(len(few.captured_queries)):
        as_recruiter.get(url)


def test_refusals_are_logged_without_the_applicants_link(browser, invitation, event, other_applicant, caplog):
    full = slot_for(event, capacity=1)
    staff_book(full, other_applicant)
    token = links.make_token(invitation)

    with caplog.at_level("INFO"):
        browser.post(f"/b/{token}/slots/{full.pk}/")
        browser.get(f"/b/{token}/bookings/999999/")
        browser.get(f"/b/{token[:-2]}xx/")

    assert "booking page slot answered 409" in caplog.text
    assert token.split(":")[0] not in caplog.text and "/b/" not in caplog.text
