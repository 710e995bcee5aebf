"""Extension points for the booking issue (applicants booked into slots, mails).

``slot_meeting_changed`` is called once, after the change is committed, whenever what a booked applicant
was told about a slot changes:

    reason="moved"            the slot's date or time changed (staff moved it)
    reason="issued"           the slot's first Zoom meeting was issued (URL発行 mail for earlier bookings)
    reason="reissued"         a new Zoom meeting replaced an earlier one (new join URL: URL変更 mail)
    reason="deleted_in_zoom"  the meeting was deleted in Zoom; the slot has no join URL until re-issued

For now it only writes the audit log. The booking issue adds, here, the mails to the slot's booked
applicants (details carry the previous start and join URL where they changed). It must stay quick and
must not raise: it runs in web requests and in the issuance task.
"""

from __future__ import annotations

import logging
from typing import Any

from accounts.audit import record_audit

logger = logging.getLogger(__name__)


def slot_meeting_changed(slot: Any, *, reason: str, details: dict | None = None) -> None:
    """Booked applicants must be told about a change of the slot's time or join URL."""
    try:
        record_audit(
            action="slot.meeting_changed",
            company=slot.company,
            target=slot,
            details={"reason": reason, **(details or {})},
        )
    except Exception:  # a hook must never break issuance
        logger.exception("slot_meeting_changed hook failed for slot %s", slot.pk)
