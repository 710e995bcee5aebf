import email
import email.policy
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.ics import build_invite, invite_uid
from notifications.models import MailKind, MailSettings, MailStatus, MailTemplate, SentMail
from notifications.rendering import MailContext
from notifications.services import Outcome, StartUrlLeakError, deliver_mail, queue_mail
from notifications.tasks import send_mail_task
from tests.notifications.helpers import SLOT_END, SLOT_START, disconnected, mailbox_full

pytestmark = pytest.mark.django_db


def _invite(method="REQUEST", sequence=0, attendee="taro@example.com") -> bytes:
    return build_invite(
        uid=invite_uid("booking-7"),
        sequence=sequence,
        method=method,
        start=SLOT_START,
        end=SLOT_END,
        tz_name="Asia/Tokyo",
        summary="一次面接",
        description="ZoomミーティングURL: https://zoom.us/j/91033400269?pwd=abcDEF",
        organizer_email="no-reply@example.com",
        attendee_email=attendee,
    )


def _queue(world, booking_context, capture, **overrides):
    arguments = {
        "company": world.acme.company,
        "kind": MailKind.BOOKING_CONFIRMED,
        "to": "taro@example.com",
        "context": booking_context,
        "applicant": SimpleNamespace(pk=11),
        "booking": 7,
        "ics": _invite(),
        "actor": world.acme.recruiter,
    }
    arguments.update(overrides)
    with capture(execute=True):
        return queue_mail(**arguments)


def _queued_unsent(world, booking_context, capture) -> SentMail:
    """A reminder queued in a transaction whose commit callbacks (the send) are dropped."""
    with capture(execute=False):
        return queue_mail(
            company=world.acme.company, kind=MailKind.REMINDER, to="taro@example.com", context=booking_context
        )


def test_queue_mail_renders_the_company_template_and_sends_it_after_commit(
    world, booking_context, django_capture_on_commit_callbacks
):
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    sent.refresh_from_db()
    assert sent.status == MailStatus.SENT
    assert sent.attempts == 1
    assert sent.sent_at is not None
    assert (sent.applicant_id, sent.booking_id, sent.actor) == (11, 7, world.acme.recruiter)
    assert sent.subject == "【株式会社アクメ】一次面接 ご予約完了のお知らせ"
    assert "山田 太郎 様" in sent.body
    assert "■ 日時: 2026年12月1日(火) 14:00〜15:00" in sent.body
    assert "ZoomミーティングURL: https://zoom.us/j/91033400269?pwd=abcDEF" in sent.body
    assert "パスコード: Fshh7d" in sent.body
    assert "http://testserver/b/personal-token/" in sent.body
    assert "2026年11月30日(月) 18:00" in sent.body  # the cancellation deadline in Tokyo time
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["taro@example.com"]
    assert message.subject == sent.subject
    assert message.body == sent.body


def test_nothing_is_sent_when_the_callers_transaction_rolls_back(world, booking_context):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_mail(
            company=world.acme.company,
            kind=MailKind.BOOKING_CONFIRMED,
            to="taro@example.com",
            context=booking_context,
        )
        raise RuntimeError("booking failed")
    assert not SentMail.objects.exists()
    assert mail.outbox == []


def test_the_mail_waits_for_the_commit(world, booking_context, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sent = queue_mail(
            company=world.acme.company, kind=MailKind.REMINDER, to="taro@example.com", context=booking_context
        )
    assert mail.outbox == []
    assert SentMail.objects.get(pk=sent.pk).status == MailStatus.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_the_invite_is_attached_as_text_calendar_with_its_method(
    world, booking_context, django_capture_on_commit_callbacks
):
    _queue(world, booking_context, django_capture_on_commit_callbacks)
    raw = mail.outbox[0].message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    body, invite = list(parsed.iter_parts())
    assert body.get_content_type() == "text/plain"
    assert invite.get_content_type() == "text/calendar"
    assert invite.get_param("method") == "REQUEST"
    assert invite.get_filename() == "invite.ics"
    calendar = icalendar.Calendar.from_ical(invite.get_payload(decode=True))
    event = calendar.walk("VEVENT")[0]
    assert event["UID"] == "e2rpro-booking-7@testserver"
    assert event.decoded("DTSTART") == SLOT_START


def test_a_cancellation_invite_is_sent_with_method_cancel(
    world, booking_context, django_capture_on_commit_callbacks
):
    sent = _queue(
        world,
        booking_context,
        django_capture_on_commit_callbacks,
        kind=MailKind.BOOKING_CANCELLED,
        ics=_invite(method="CANCEL", sequence=2),
    )
    assert sent.ics_method == "CANCEL"
    parsed = email.message_from_bytes(mail.outbox[0].message().as_bytes(), policy=email.policy.default)
    invite = list(parsed.iter_parts())[1]
    assert invite.get_param("method") == "CANCEL"
    assert invite.get_filename() == "cancel.ics"
    # The cancellation mail does not repeat the meeting URL.
    assert "zoom.us/j/" not in sent.body


def test_headers_name_the_company_on_the_system_address_with_its_reply_to(
    world, booking_context, django_capture_on_commit_callbacks
):
    MailSettings.objects.create(company=world.acme.company, reply_to="saiyo@acme.example.com")
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert message.from_email == "株式会社アクメ 採用担当 <no-reply@example.com>"
    assert message.reply_to == ["saiyo@acme.example.com"]
    assert message.extra_headers["Message-ID"] == sent.message_id
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_the_contact_setting_fills_the_signature(world, booking_context, django_capture_on_commit_callbacks):
    MailSettings.objects.create(company=world.acme.company, contact="人事部 03-0000-0000")
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    assert "人事部 03-0000-0000" in sent.body


def test_queueing_a_mail_writes_no_settings_or_template_rows(
    world, booking_context, django_capture_on_commit_callbacks
):
    # Mails are queued inside bookings' transactions: inserting the company's first settings or
    # template row there let concurrent bookings deadlock on the row's unique key.
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    assert sent.subject.startswith("【株式会社アクメ】")
    assert "株式会社アクメ 採用担当" in mail.outbox[0].from_email
    assert not MailSettings.objects.filter(company=world.acme.company).exists()
    assert not MailTemplate.objects.filter(company=world.acme.company).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"join_url": "https://zoom.us/s/91033400269?zak=eyJ0eXAiOiJKV1Qi"},
        {"join_url": "https://us02web.zoom.us/s/91033400269"},
        {"join_url": "http://127.0.0.1:8765/s/91033400269?zak=abc"},
        {"join_url": "", "is_web_interview": False, "venue": "開始URL ?ZAK=secret"},
    ],
)
def test_a_start_url_anywhere_in_the_text_refuses_the_mail(world, booking_context, changes):
    with pytest.raises(StartUrlLeakError):
        queue_mail(
            company=world.acme.company,
            kind=MailKind.BOOKING_CONFIRMED,
            to="taro@example.com",
            context=replace(booking_context, **changes),
        )
    assert not SentMail.objects.exists()
    assert mail.outbox == []


def test_a_start_url_folded_inside_the_invite_is_found_too(world, booking_context):
    ics = build_invite(
        uid="x@testserver",
        sequence=0,
        method="REQUEST",
        start=SLOT_START,
        end=SLOT_END,
        tz_name="Asia/Tokyo",
        summary="一次面接",
        # Padded so that the 75-octet folding splits "zak=" across two lines.
        description="x" * 48 + "host link ?zak=eyJ0eXAiOiJKV1QiLCJhbGciOi",
        organizer_email="no-reply@example.com",
        attendee_email="taro@example.com",
    )
    assert b"zak=" not in ics
    with pytest.raises(StartUrlLeakError):
        queue_mail(
            company=world.acme.company,
            kind=MailKind.BOOKING_CONFIRMED,
            to="taro@example.com",
            context=booking_context,
            ics=ics,
        )
    assert not SentMail.objects.exists()


def test_the_join_url_itself_passes_the_guard(world, booking_context, django_capture_on_commit_callbacks):
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    assert "https://zoom.us/j/91033400269?pwd=abcDEF" in sent.body


def test_an_invalid_address_is_refused(world, booking_context):
    with pytest.raises(ValidationError):
        queue_mail(
            company=world.acme.company, kind=MailKind.REMINDER, to="not-an-address", context=booking_context
        )
    with pytest.raises(ValidationError):
        queue_mail(
            company=world.acme.company,
            kind=MailKind.REMINDER,
            to="taro@example.com\nBcc: x@example.com",
            context=booking_context,
        )


def test_the_same_once_only_key_queues_one_mail(world, booking_context, django_capture_on_commit_callbacks):
    first = _queue(world, booking_context, django_capture_on_commit_callbacks, dedupe_key="reminder:b7")
    second = _queue(world, booking_context, django_capture_on_commit_callbacks, dedupe_key="reminder:b7")
    assert first.pk == second.pk
    assert SentMail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_once_only_keys_are_per_company(world, booking_context, django_capture_on_commit_callbacks):
    _queue(world, booking_context, django_capture_on_commit_callbacks, dedupe_key="reminder:b7")
    _queue(
        world,
        booking_context,
        django_capture_on_commit_callbacks,
        company=world.other.company,
        dedupe_key="reminder:b7",
    )
    assert SentMail.objects.count() == 2


def test_each_company_mails_with_its_own_template(world, booking_context, django_capture_on_commit_callbacks):
    template = services.get_template(company=world.other.company, kind=MailKind.BOOKING_CONFIRMED)
    services.update_template(
        template=template,
        subject="{会社名}より",
        body="{応募者名} さん、予約できました。",
        actor=world.other.admin,
    )
    acme = _queue(world, booking_context, django_capture_on_commit_callbacks)
    other = _queue(world, booking_context, django_capture_on_commit_callbacks, company=world.other.company)
    assert acme.subject == "【株式会社アクメ】一次面接 ご予約完了のお知らせ"
    assert other.subject == "他社株式会社より"
    assert other.body == "山田 太郎 さん、予約できました。"


# Delivery: retries, failures, once-only


def test_a_temporary_smtp_failure_is_retried_until_it_goes_through(
    world, booking_context, flaky_smtp, eager_retries, django_capture_on_commit_callbacks
):
    flaky_smtp.errors = [disconnected(), ConnectionRefusedError(111, "Connection refused")]
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    sent.refresh_from_db()
    assert flaky_smtp.calls == 3
    assert sent.status == MailStatus.SENT
    assert sent.attempts == 3
    assert len(mail.outbox) == 1


def test_the_task_asks_celery_to_retry_with_the_backoff_delay(
    world, booking_context, flaky_smtp, django_capture_on_commit_callbacks
):
    from celery.exceptions import Retry

    sent = _queued_unsent(world, booking_context, django_capture_on_commit_callbacks)
    flaky_smtp.errors = [disconnected()]
    with pytest.raises(Retry) as caught:
        send_mail_task.apply(args=[sent.pk], throw=True)
    assert 48 <= caught.value.when <= 72


def test_a_temporary_failure_leaves_the_mail_queued_with_the_error_and_a_later_attempt(
    world, booking_context, flaky_smtp, django_capture_on_commit_callbacks
):
    sent = _queued_unsent(world, booking_context, django_capture_on_commit_callbacks)
    flaky_smtp.errors = [disconnected()]
    before = timezone.now()
    result = deliver_mail(sent_mail_id=sent.pk)
    sent.refresh_from_db()
    assert result.outcome == Outcome.RETRY
    assert 48 <= result.retry_in <= 72  # 60 s ± 20 %
    assert sent.status == MailStatus.QUEUED
    assert sent.last_error.startswith("SMTPServerDisconnected")
    assert sent.next_attempt_at >= before + timedelta(seconds=48)
    assert mail.outbox == []


def test_backoff_doubles_and_is_capped(settings):
    settings.MAIL_RETRY_BACKOFF_SECONDS = 60
    settings.MAIL_RETRY_BACKOFF_MAX_SECONDS = 600
    assert 48 <= services.retry_delay(1) <= 72
    assert 96 <= services.retry_delay(2) <= 144
    assert 192 <= services.retry_delay(3) <= 288
    assert services.retry_delay(10) <= 720


def test_a_refused_recipient_fails_at_once_without_retrying(
    world, booking_context, flaky_smtp, django_capture_on_commit_callbacks
):
    flaky_smtp.errors = [mailbox_full()]
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    sent.refresh_from_db()
    assert flaky_smtp.calls == 1
    assert sent.status == MailStatus.FAILED
    assert "SMTPRecipientsRefused" in sent.last_error


def test_a_mail_that_keeps_failing_stops_after_the_attempt_limit(
    world, booking_context, flaky_smtp, settings, eager_retries, django_capture_on_commit_callbacks
):
    settings.MAIL_MAX_ATTEMPTS = 3
    flaky_smtp.errors = [disconnected() for _ in range(10)]
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    sent.refresh_from_db()
    assert flaky_smtp.calls == 3
    assert sent.status == MailStatus.FAILED
    assert sent.attempts == 3
    assert mail.outbox == []


def test_a_sent_mail_is_not_sent_again_when_the_task_runs_twice(
    world, booking_context, django_capture_on_commit_callbacks
):
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    assert send_mail_task.delay(sent.pk).get() == "skipped"
    assert deliver_mail(sent_mail_id=sent.pk).outcome == Outcome.SKIPPED
    assert len(mail.outbox) == 1
    sent.refresh_from_db()
    assert sent.attempts == 1


def test_a_mail_being_sent_by_a_live_worker_is_left_alone(
    world, booking_context, django_capture_on_commit_callbacks
):
    sent = _queued_unsent(world, booking_context, django_capture_on_commit_callbacks)
    SentMail.objects.filter(pk=sent.pk).update(status=MailStatus.SENDING, claimed_at=timezone.now())
    assert deliver_mail(sent_mail_id=sent.pk).outcome == Outcome.SKIPPED
    assert mail.outbox == []


def test_a_mail_whose_worker_died_while_sending_is_taken_over(
    world, booking_context, django_capture_on_commit_callbacks
):
    sent = _queued_unsent(world, booking_context, django_capture_on_commit_callbacks)
    SentMail.objects.filter(pk=sent.pk).update(
        status=MailStatus.SENDING, claimed_at=timezone.now() - timedelta(hours=1), attempts=1
    )
    assert deliver_mail(sent_mail_id=sent.pk).outcome == Outcome.SENT
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (MailStatus.SENT, 2)


def test_the_sweeper_enqueues_mails_whose_task_was_lost(
    world, booking_context, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        lost = queue_mail(
            company=world.acme.company, kind=MailKind.REMINDER, to="lost@example.com", context=booking_context
        )
        waiting = queue_mail(
            company=world.acme.company,
            kind=MailKind.REMINDER,
            to="later@example.com",
            context=booking_context,
        )
    SentMail.objects.filter(pk=lost.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    SentMail.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert services.requeue_stuck_mails() == 1
    assert [m.to for m in mail.outbox] == [["lost@example.com"]]
    assert SentMail.objects.get(pk=waiting.pk).status == MailStatus.QUEUED


def test_a_failed_mail_can_be_resent_but_a_sent_one_cannot(
    world, booking_context, flaky_smtp, django_capture_on_commit_callbacks
):
    flaky_smtp.errors = [mailbox_full()]
    failed = _queue(world, booking_context, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_mail(sent_mail=failed, actor=world.acme.recruiter)
    failed.refresh_from_db()
    assert failed.status == MailStatus.SENT
    assert len(mail.outbox) == 1
    with pytest.raises(ValidationError):
        services.resend_mail(sent_mail=failed, actor=world.acme.recruiter)
    assert len(mail.outbox) == 1


def test_a_programming_error_while_sending_marks_the_mail_failed_and_surfaces(
    world, booking_context, flaky_smtp, django_capture_on_commit_callbacks
):
    sent = _queued_unsent(world, booking_context, django_capture_on_commit_callbacks)
    flaky_smtp.errors = [TypeError("bug")]
    with pytest.raises(TypeError):
        deliver_mail(sent_mail_id=sent.pk)
    sent.refresh_from_db()
    assert sent.status == MailStatus.FAILED
    assert "TypeError: bug" in sent.last_error


def test_host_notice_shows_only_the_name_and_time_and_links_the_slot_page(
    world, django_capture_on_commit_callbacks
):
    context = MailContext(
        applicant_name="山田 太郎",
        selection_meeting_name="一次面接",
        event_name="Web面接",
        start=SLOT_START,
        end=SLOT_END,
        join_url="https://zoom.us/j/91033400269?pwd=abc",
        booking_url="http://testserver/b/personal-token/",
        host_name="面接 一郎",
        notice="予約が入りました",
        slot_url="http://testserver/selection/slots/5/",
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = queue_mail(
            company=world.acme.company,
            kind=MailKind.HOST_NOTICE,
            to=world.acme.interviewer.email,
            context=context,
        )
    assert "面接 一郎 様" in sent.body
    assert "山田 太郎 様" in sent.body
    assert "http://testserver/selection/slots/5/" in sent.body
    assert "personal-token" not in sent.body
    assert "zoom.us" not in sent.body
    assert sent.subject == "【e2RPRO】予約が入りました: 一次面接 2026年12月1日(火) 14:00〜15:00"


def test_a_company_invite_uses_the_company_zone_and_names_the_company_as_organizer(world):
    company = world.acme.company
    company.time_zone = "America/New_York"
    company.save(update_fields=["time_zone"])
    ics = services.build_company_invite(
        company=company,
        uid=invite_uid("booking-8"),
        sequence=1,
        method="REQUEST",
        start=SLOT_START,
        end=SLOT_END,
        summary="一次面接",
        attendee_email="taro@example.com",
        attendee_name="山田 太郎",
    )
    assert b"DTSTART;TZID=America/New_York:20261201T000000" in ics
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["ORGANIZER"]) == "mailto:no-reply@example.com"
    assert event["ORGANIZER"].params["CN"] == "株式会社アクメ"
    assert event["ATTENDEE"].params["CN"] == "山田 太郎"
    assert event.decoded("SEQUENCE") == 1


def test_erasing_an_applicant_scrubs_their_mails_and_stops_unsent_ones(
    world, booking_context, django_capture_on_commit_callbacks
):
    sent = _queue(world, booking_context, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False) as pending_callbacks:
        pending = queue_mail(
            company=world.acme.company,
            kind=MailKind.REMINDER,
            to="taro@example.com",
            context=booking_context,
            applicant=11,
        )
    other = _queue(world, booking_context, django_capture_on_commit_callbacks, company=world.other.company)
    assert services.erase_applicant_mails(company=world.acme.company, applicant_id=11) == 2
    sent.refresh_from_db()
    pending.refresh_from_db()
    assert (sent.to_email, sent.subject, sent.body, sent.ics) == (
        "",
        "（個人情報削除済み）",
        "（個人情報削除済み）",
        "",
    )
    assert sent.status == MailStatus.SENT
    assert pending.status == MailStatus.FAILED
    for callback in pending_callbacks:
        callback()
    assert len(mail.outbox) == 2  # the first acme mail and the other company's; the reminder never left
    other.refresh_from_db()
    assert "山田 太郎" in other.body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_mail_at_once_send_it_once(world, booking_context, monkeypatch):
    """A redelivered task running beside the first one: the claim lets exactly one of them send."""
    import threading
    import time

    from django.core.mail.backends.locmem import EmailBackend
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions")
    with transaction.atomic():
        sent = queue_mail(
            company=world.acme.company, kind=MailKind.REMINDER, to="taro@example.com", context=booking_context
        )
    mail.outbox.clear()  # the eager send after that commit; make the mail sendable again
    SentMail.objects.filter(pk=sent.pk).update(status=MailStatus.QUEUED, attempts=0, sent_at=None)
    real_send = EmailBackend.send_messages

    def slow_send(self, messages):
        time.sleep(0.3)  # the second worker arrives while the first is talking to the server
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow_send)
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait(timeout=10)
            outcomes.append(deliver_mail(sent_mail_id=sent.pk).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == [Outcome.SENT, Outcome.SKIPPED]
    assert len(mail.outbox) == 1
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (MailStatus.SENT, 1)
