"""送信履歴 (SentMail list and detail) and the demo's ローカルメールボックス."""

import email
import email.policy

import icalendar
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.backends import BACKEND_PATH
from notifications.models import MailboxMessage, MailKind, MailStatus, SentMail
from notifications.services import queue_mail, send_test_mail
from tests.helpers import client_for
from tests.notifications.factories import SentMailFactory
from tests.notifications.helpers import SLOT_START
from tests.notifications.test_sending import _invite

pytestmark = pytest.mark.django_db


def test_the_mail_log_lists_the_companys_mails_with_their_status(as_recruiter, world):
    SentMailFactory(company=world.acme.company, subject="アクメの予約完了", status=MailStatus.SENT)
    SentMailFactory(
        company=world.acme.company,
        subject="届かなかった案内",
        status=MailStatus.FAILED,
        last_error="550 unknown",
    )
    SentMailFactory(company=world.other.company, subject="他社のメール")
    content = as_recruiter.get(reverse("notifications:mail_list")).content.decode()
    assert "アクメの予約完了" in content and "送信済み" in content
    assert "届かなかった案内" in content and "送信失敗" in content
    assert "他社のメール" not in content


def test_the_mail_log_filters_by_status_kind_and_address(as_recruiter, world):
    SentMailFactory(
        company=world.acme.company, subject="A", to_email="hanako@example.com", status=MailStatus.FAILED
    )
    SentMailFactory(
        company=world.acme.company, subject="B", to_email="taro@example.com", kind=MailKind.REMINDER
    )
    url = reverse("notifications:mail_list")
    failed = as_recruiter.get(url, {"status": "failed"}).context["page"].object_list
    assert [m.subject for m in failed] == ["A"]
    reminders = as_recruiter.get(url, {"kind": "reminder"}).context["page"].object_list
    assert [m.subject for m in reminders] == ["B"]
    by_address = as_recruiter.get(url, {"q": "hanako"}).context["page"].object_list
    assert [m.subject for m in by_address] == ["A"]


def test_the_mail_log_runs_a_fixed_number_of_queries(as_recruiter, world):
    url = reverse("notifications:mail_list")
    SentMailFactory.create_batch(3, company=world.acme.company)
    with CaptureQueriesContext(connection) as few:
        as_recruiter.get(url)
    SentMailFactory.create_batch(30, company=world.acme.company)
    with CaptureQueriesContext(connection) as many:
        as_recruiter.get(url)
    assert len(many) == len(few)


def test_the_mail_detail_shows_body_error_and_invite(as_recruiter, world):
    sent = SentMailFactory(
        company=world.acme.company,
        body="山田 太郎 様\n本文です",
        status=MailStatus.FAILED,
        last_error="SMTPRecipientsRefused: 550",
        ics=_invite().decode(),
        ics_method="REQUEST",
    )
    content = as_recruiter.get(reverse("notifications:mail_detail", args=[sent.pk])).content.decode()
    assert "山田 太郎 様\n本文です" in content
    assert "SMTPRecipientsRefused: 550" in content
    assert reverse("notifications:mail_ics", args=[sent.pk]) in content
    assert "再送する" in content
    ics = as_recruiter.get(reverse("notifications:mail_ics", args=[sent.pk]))
    assert ics["Content-Type"] == "text/calendar; charset=utf-8; method=REQUEST"
    assert icalendar.Calendar.from_ical(ics.content)["METHOD"] == "REQUEST"


def test_a_sent_mail_offers_no_resend(as_recruiter, world):
    sent = SentMailFactory(company=world.acme.company, status=MailStatus.SENT)
    content = as_recruiter.get(reverse("notifications:mail_detail", args=[sent.pk])).content.decode()
    assert "再送する" not in content
    response = as_recruiter.post(reverse("notifications:mail_resend", args=[sent.pk]), follow=True)
    assert "再送できるのは送信に失敗したメールだけです。" in response.content.decode()
    assert mail.outbox == []


def test_resending_a_failed_mail_from_the_page(as_recruiter, world, django_capture_on_commit_callbacks):
    failed = SentMailFactory(company=world.acme.company, status=MailStatus.FAILED, sent_at=None, attempts=6)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_recruiter.post(reverse("notifications:mail_resend", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == MailStatus.SENT
    assert len(mail.outbox) == 1


def test_another_companys_mail_answers_404(as_admin, world):
    other = SentMailFactory(
        company=world.other.company, status=MailStatus.FAILED, ics="x", ics_method="REQUEST"
    )
    for name in ("mail_detail", "mail_ics"):
        assert as_admin.get(reverse(f"notifications:{name}", args=[other.pk])).status_code == 404
    assert as_admin.post(reverse("notifications:mail_resend", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.status == MailStatus.FAILED


def test_interviewers_do_not_see_the_mail_log(as_interviewer, world):
    sent = SentMailFactory(company=world.acme.company)
    assert as_interviewer.get(reverse("notifications:mail_list")).status_code == 403
    assert as_interviewer.get(reverse("notifications:mail_detail", args=[sent.pk])).status_code == 403


def test_a_mail_without_invite_has_no_ics_download(as_recruiter, world):
    sent = SentMailFactory(company=world.acme.company, ics="")
    assert as_recruiter.get(reverse("notifications:mail_ics", args=[sent.pk])).status_code == 404


# The local mailbox (demo backend)


@pytest.fixture
def mailbox_backend(settings):
    settings.EMAIL_BACKEND = BACKEND_PATH


def _send(world, company, booking_context, capture, to="taro@example.com"):
    with capture(execute=True):
        return queue_mail(
            company=company,
            kind=MailKind.BOOKING_CONFIRMED,
            to=to,
            context=booking_context,
            ics=_invite(attendee=to),
        )


def test_the_mailbox_backend_keeps_the_message_as_it_left(
    mailbox_backend, world, booking_context, django_capture_on_commit_callbacks
):
    sent = _send(world, world.acme.company, booking_context, django_capture_on_commit_callbacks)
    message = MailboxMessage.objects.get()
    assert message.company == world.acme.company
    assert message.message_id == sent.message_id
    assert message.recipients == "taro@example.com"
    assert message.subject == sent.subject
    assert message.body == sent.body
    assert message.attachments == [
        {"filename": "invite.ics", "content_type": 'text/calendar; charset="utf-8"; method="REQUEST"'}
    ]
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    assert parsed["Subject"].strip() == sent.subject  # Django folds long encoded subjects onto a new line
    assert SentMail.objects.get(pk=sent.pk).status == MailStatus.SENT


def test_the_mailbox_page_lists_the_companys_messages_only(
    mailbox_backend, as_recruiter, world, booking_context, django_capture_on_commit_callbacks
):
    _send(
        world,
        world.acme.company,
        booking_context,
        django_capture_on_commit_callbacks,
        to="acme-applicant@example.com",
    )
    _send(
        world,
        world.other.company,
        booking_context,
        django_capture_on_commit_callbacks,
        to="other-applicant@example.com",
    )
    response = as_recruiter.get(reverse("notifications:mailbox"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "acme-applicant@example.com" in content
    assert "other-applicant@example.com" not in content
    assert "invite.ics" in content


def test_the_mailbox_detail_shows_the_body_and_the_invite(
    mailbox_backend, as_recruiter, world, booking_context, django_capture_on_commit_callbacks
):
    _send(world, world.acme.company, booking_context, django_capture_on_commit_callbacks)
    message = MailboxMessage.objects.get()
    content = as_recruiter.get(reverse("notifications:mailbox_detail", args=[message.pk])).content.decode()
    assert "山田 太郎 様" in content
    assert "https://zoom.us/j/91033400269?pwd=abcDEF" in content
    assert "2026/12/01 14:00" in content  # the invite's start, in the company's zone
    assert "e2rpro-booking-7@testserver" in content
    attachment = as_recruiter.get(reverse("notifications:mailbox_attachment", args=[message.pk, 0]))
    assert attachment["Content-Type"].startswith("text/calendar")
    assert attachment["Content-Disposition"] == 'attachment; filename="invite.ics"'
    event = icalendar.Calendar.from_ical(attachment.content).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == SLOT_START
    raw = as_recruiter.get(reverse("notifications:mailbox_raw", args=[message.pk]))
    assert raw["Content-Type"] == "message/rfc822"
    assert (
        as_recruiter.get(reverse("notifications:mailbox_attachment", args=[message.pk, 5])).status_code == 404
    )


def test_another_companys_mailbox_message_answers_404(
    mailbox_backend, as_admin, world, booking_context, django_capture_on_commit_callbacks
):
    _send(world, world.other.company, booking_context, django_capture_on_commit_callbacks)
    message = MailboxMessage.objects.get()
    for name, args in (
        ("mailbox_detail", [message.pk]),
        ("mailbox_raw", [message.pk]),
        ("mailbox_attachment", [message.pk, 0]),
    ):
        assert as_admin.get(reverse(f"notifications:{name}", args=args)).status_code == 404


def test_mails_of_other_apps_stay_out_of_company_mailboxes(mailbox_backend, as_admin, world):
    from django.core.mail import send_mail

    send_mail("パスワード再設定", "リンク: http://testserver/reset/abc/", None, [world.acme.recruiter.email])
    message = MailboxMessage.objects.get()
    assert message.company is None
    assert as_admin.get(reverse("notifications:mailbox_detail", args=[message.pk])).status_code == 404


def test_the_mailbox_is_gone_unless_its_backend_is_configured(as_recruiter, world):
    assert as_recruiter.get(reverse("notifications:mailbox")).status_code == 404
    assert (
        "ローカルメールボックス" not in as_recruiter.get(reverse("notifications:mail_list")).content.decode()
    )


def test_the_mailbox_is_for_recruiters_and_admins(mailbox_backend, world):
    assert client_for(world.acme.interviewer).get(reverse("notifications:mailbox")).status_code == 403
    assert client_for(world.acme.admin).get(reverse("notifications:mailbox")).status_code == 200


def test_a_test_send_lands_in_the_mailbox(
    mailbox_backend, as_recruiter, world, django_capture_on_commit_callbacks
):
    from notifications.services import get_template

    template = get_template(company=world.acme.company, kind=MailKind.URL_CHANGED)
    with django_capture_on_commit_callbacks(execute=True):
        send_test_mail(template=template, to=world.acme.recruiter.email, actor=world.acme.recruiter)
    content = as_recruiter.get(reverse("notifications:mailbox")).content.decode()
    assert "[テスト送信]" in content
