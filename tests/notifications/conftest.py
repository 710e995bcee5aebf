"""Fixtures for mail tests: a booking-like context, and an SMTP backend that fails on demand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.mail.backends.locmem import EmailBackend

from notifications.rendering import MailContext
from tests.notifications.helpers import SLOT_END, SLOT_START, FlakySMTP


@pytest.fixture
def booking_context() -> MailContext:
    return MailContext(
        applicant_name="山田 太郎",
        selection_meeting_name="一次面接",
        event_name="Web面接（12月）",
        start=SLOT_START,
        end=SLOT_END,
        is_web_interview=True,
        join_url="https://zoom.us/j/91033400269?pwd=abcDEF",
        passcode="Fshh7d",
        booking_url="http://testserver/b/personal-token/",
        cancel_deadline=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
    )


@pytest.fixture
def eager_retries(monkeypatch):
    """Let Celery run a task's retries in-process, as a worker would after each countdown.

    With task_eager_propagates (the test settings) an eager task's Retry is raised to the caller instead.
    """
    from e2rpro.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


@pytest.fixture
def flaky_smtp(monkeypatch) -> FlakySMTP:
    flaky = FlakySMTP()
    real_send = EmailBackend.send_messages

    def send_messages(self, messages):
        flaky.calls += 1
        if flaky.errors:
            raise flaky.errors.pop(0)
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    return flaky
