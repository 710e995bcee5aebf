"""`make demo`: bookings and a mailed personal link are seeded, idempotently, and the invite downloads."""

from __future__ import annotations

import io
import re

import icalendar
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from booking.models import Booking, BookingInvitation
from notifications.backends import BACKEND_PATH
from notifications.models import MailboxMessage, MailKind, SentMail

pytestmark = pytest.mark.django_db


def test_seed_demo_books_three_applicants_and_mails_a_link_that_works(django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())

    # Three upcoming bookings (interviews' demo adds yesterday's interview of two more applicants).
    assert Booking.objects.filter(slot__starts_at__gt=timezone.now()).count() == 3
    invitation = BookingInvitation.objects.get(applicant__name="高橋 さくら")
    assert {event.name for event in invitation.events.all()} == {"対面面接", "Web面接"}
    printed = re.search(r"http://testserver(/b/\S+/)", out.getvalue()).group(1)
    mail = SentMail.objects.get(kind=MailKind.SCHEDULE_INVITATION)
    assert "/b/" in mail.body and "TEL: 03-0000-0000" in mail.body
    page = Client().get(printed).content.decode()
    assert "高橋 さくら 様" in page and "満席" in page and "TEL: 03-0000-0000" in page
    recruiter = User.objects.get(email="recruiter@demo.example.com")
    client = Client()
    client.force_login(recruiter)
    detail = client.get(reverse("applicants:detail", args=[invitation.applicant_id])).content.decode()
    assert "http://testserver/b/" in detail


def test_the_invite_attached_to_a_mail_downloads_from_the_demo_mailbox(
    settings, as_recruiter, slot, applicant, django_capture_on_commit_callbacks
):
    from tests.booking.helpers import staff_book

    settings.EMAIL_BACKEND = BACKEND_PATH
    with django_capture_on_commit_callbacks(execute=True):
        staff_book(slot, applicant)
    message = MailboxMessage.objects.get(recipients__contains=applicant.email)

    response = as_recruiter.get(reverse("notifications:mailbox_attachment", args=[message.pk, 0]))

    assert response.status_code == 200
    assert type(response["Content-Type"]) is str  # WSGI servers refuse header objects
    assert response["Content-Type"].startswith("text/calendar")
    assert icalendar.Calendar.from_ical(response.content)["METHOD"] == "REQUEST"
