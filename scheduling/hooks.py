"""What happens when a booked slot changes.

``slot_meeting_changed`` is called once, after the change is committed, whenever what a booked applicant
was told about a slot changes:

    reason="moved"            the slot's date or time changed (staff moved it): 予約変更 mail
    reason="issued"           the slot's first Zoom meeting was issued: URL発行 mail to earlier bookings
    reason="reissued"         a new Zoom meeting replaced an earlier one (new join URL): URL変更 mail
    reason="deleted_in_zoom"  the meeting was deleted in Zoom; the host is told to re-issue

It writes the audit log and hands the mails to a Celery task (scheduling.tasks.notify_slot_change: one
mail per booking and change, each with the updated invite). It stays quick and never raises: it runs in
web requests and in the issuance task.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from kombu.exceptions import OperationalError as BrokerError

from accounts.audit import record_audit

logger = logging.getLogger(__name__)


def slot_meeting_changed(slot: Any, *, reason: str, details: dict | None = None) -> None:
    """Booked applicants must be told about a change of the slot's time or join URL."""
    details = {key: str(value) for key, value in (details or {}).items()}
    try:
        record_audit(
            action="slot.meeting_changed",
            company=slot.company,
            target=slot,
            details={"reason": reason, **details},
        )
    except Exception:  # a hook must never break issuance
        logger.exception("slot_meeting_changed hook failed for slot %s", slot.pk)
    _enqueue_notice(slot.pk, reason, details)


def _enqueue_notice(slot_id: int, reason: str, details: dict) -> None:
    from scheduling.tasks import notify_slot_change

    args = (slot_id, reason, uuid.uuid4().hex, details)
    try:
        notify_slot_change.delay(*args)
    except (BrokerError, OSError):
        logger.warning("could not enqueue the booking notice of slot %s; sending in-process", slot_id)
        try:
            notify_slot_change(*args)
        except Exception:
            logger.exception("booking notice of slot %s failed", slot_id)
    except Exception:
        logger.exception("booking notice of slot %s failed", slot_id)
