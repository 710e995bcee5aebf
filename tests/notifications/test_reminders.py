"""The reminder beat: each reminder goes out once, even when beat runs twice or two runs overlap."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import reminders
from notifications.models import MailKind, SentMail
from notifications.reminders import ReminderMail, reminder_sources
from notifications.tasks import send_due_reminders


@pytest.fixture
def source(world, booking_context):
    """A reminder source over an in-memory list, registered for the test only."""
    state = {"due": [], "marked": [], "calls": 0}

    def test_source(now):
        state["calls"] += 1
        for key in list(state["due"]):
            yield ReminderMail(
                company=world.acme.company,
                to=f"{key}@example.com",
                context=booking_context,
                key=key,
                booking=int(key.removeprefix("booking-")),
                mark_sent=lambda key=key: state["marked"].append(key),
            )

    reminder_sources.register(test_source)
    yield state
    reminder_sources.unregister(test_source)


@pytest.mark.django_db
def test_beat_running_twice_sends_each_reminder_once(source, django_capture_on_commit_callbacks):
    source["due"] = ["booking-1", "booking-2"]
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.delay()
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.delay()
    assert source["calls"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["booking-1@example.com", "booking-2@example.com"]
    assert SentMail.objects.filter(kind=MailKind.REMINDER).count() == 2
    assert set(SentMail.objects.values_list("dedupe_key", flat=True)) == {
        "reminder:booking-1",
        "reminder:booking-2",
    }
    assert source["marked"].count("booking-1") == 2  # marking again is harmless; the mail is not repeated


@pytest.mark.django_db
def test_a_reminder_renders_the_reminder_template(source, django_capture_on_commit_callbacks):
    source["due"] = ["booking-9"]
    with django_capture_on_commit_callbacks(execute=True):
        reminders.run_reminder_sources()
    sent = SentMail.objects.get()
    assert sent.subject == "【株式会社アクメ】一次面接 のご案内（2026年12月1日(火) 14:00〜15:00）"
    assert sent.booking_id == 9


@pytest.mark.django_db
def test_a_bad_reminder_is_skipped_and_the_others_go_out(
    source, world, booking_context, django_capture_on_commit_callbacks
):
    def broken_address(now):
        yield ReminderMail(
            company=world.acme.company, to="not-an-address", context=booking_context, key="bad"
        )

    source["due"] = ["booking-3"]
    reminder_sources.register(broken_address)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            reminders.run_reminder_sources()
    finally:
        reminder_sources.unregister(broken_address)
    assert [m.to for m in mail.outbox] == [["booking-3@example.com"]]


@pytest.mark.django_db
def test_a_failing_source_does_not_stop_the_other_sources(source, django_capture_on_commit_callbacks):
    def crashing(now):
        raise RuntimeError("source bug")
        yield  # pragma: no cover

    source["due"] = ["booking-4"]
    reminder_sources.register(crashing)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            reminders.run_reminder_sources()
    finally:
        reminder_sources.unregister(crashing)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_mark_rolls_back_the_queued_reminder(
    source, world, booking_context, django_capture_on_commit_callbacks
):
    """Queueing and marking are one transaction: a reminder is never queued without being marked."""

    def unmarkable(now):
        def fail():
            raise RuntimeError("database went away")

        yield ReminderMail(
            company=world.acme.company, to="x@example.com", context=booking_context, key="m", mark_sent=fail
        )

    reminder_sources.register(unmarkable)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            reminders.run_reminder_sources()
    finally:
        reminder_sources.unregister(unmarkable)
    assert not SentMail.objects.filter(dedupe_key="reminder:m").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_beat_runs_queue_one_mail_per_reminder(world, booking_context):
    """Two workers run the reminder beat at the same moment on PostgreSQL: still one mail each."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    keys = [f"booking-{n}" for n in range(20)]
    barrier = threading.Barrier(2)

    def racing_source(now):
        barrier.wait(timeout=10)
        for key in keys:
            yield ReminderMail(
                company=world.acme.company, to=f"{key}@example.com", context=booking_context, key=key
            )

    reminder_sources.register(racing_source)
    errors = []

    def run():
        try:
            reminders.run_reminder_sources(now=timezone.now() + timedelta(seconds=1))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        reminder_sources.unregister(racing_source)
    assert errors == []
    assert SentMail.objects.filter(kind=MailKind.REMINDER).count() == len(keys)
    # The test settings send eagerly after commit: exactly one message per reminder left.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"{key}@example.com" for key in keys)


@pytest.mark.django_db
def test_the_beat_schedule_runs_reminders_and_the_sweeper(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"notifications.tasks.send_due_reminders", "notifications.tasks.requeue_stuck_mail"} <= tasks


def test_registering_the_same_source_twice_keeps_one():
    def once(now):
        return []

    reminder_sources.register(once)
    reminder_sources.register(once)
    try:
        assert reminder_sources.functions().count(once) == 1
    finally:
        reminder_sources.unregister(once)
