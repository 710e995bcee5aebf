"""Reminder mails (リマインド), driven by Celery beat, sent once even when beat runs twice.

This module owns the sending side; the app that owns bookings registers a *source*
(``reminder_sources.register``) that says which reminders are due. Every few minutes
``notifications.tasks.send_due_reminders`` calls each source inside a transaction and queues what it
yields. Two guards make each reminder go out once:

1. the source locks its due rows with ``select_for_update(skip_locked=True)`` and marks them (``mark_sent``)
   in the same transaction, so a concurrent run skips them and a later run no longer selects them;
2. each reminder carries a ``key``; ``queue_mail`` stores it as a once-only key (unique per company), so
   even a source that yields the same reminder again does not send a second mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.hooks import Registry
from accounts.models import Company
from notifications.models import MailKind
from notifications.rendering import MailContext
from notifications.services import StartUrlLeakError, queue_mail

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderMail:
    company: Company
    to: str
    context: MailContext
    key: str  # unique for this reminder within the company (see the module docstring)
    applicant: Any = None
    booking: Any = None
    ics: bytes | None = None
    kind: str = MailKind.REMINDER
    mark_sent: Callable[[], Any] | None = None  # runs in the same transaction as the queueing


ReminderSource = Callable[[datetime], Iterable[ReminderMail]]
# ``source(now) -> iterable of ReminderMail``; registering the same function again replaces it.
reminder_sources: Registry[ReminderSource] = Registry(
    "notifications.reminders.reminder_sources", required_from=["booking"]
)


def run_reminder_sources(*, now: datetime | None = None) -> int:
    """Queue the due reminders of every source; returns how many reminders the sources yielded."""
    now = now or timezone.now()
    total = 0
    for source in reminder_sources.functions():
        try:
            total += _run_source(source, now)
        except Exception:
            # One broken source must not stop the others' reminders.
            logger.exception("reminder source %s.%s failed", source.__module__, source.__qualname__)
    return total


def _run_source(source: ReminderSource, now: datetime) -> int:
    count = 0
    with transaction.atomic():
        for item in source(now):
            try:
                with transaction.atomic():
                    queue_mail(
                        company=item.company,
                        kind=item.kind,
                        to=item.to,
                        context=item.context,
                        applicant=item.applicant,
                        booking=item.booking,
                        ics=item.ics,
                        dedupe_key=f"reminder:{item.key}",
                    )
                    if item.mark_sent is not None:
                        item.mark_sent()
            except (ValidationError, StartUrlLeakError):
                # A bad address or text: skip this one, keep the batch (the error is logged, not the data).
                logger.exception("reminder %s could not be queued", item.key)
                continue
            count += 1
    return count
