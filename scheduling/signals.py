"""What scheduling announces to the apps above it (booking connects in BookingConfig.ready()).

``slot_changed`` (after commit, ``slot_id``, ``change``: SlotChange, ``details``: dict of strings): what a
booked applicant was told about the slot changed: its time (moved), its first Zoom meeting (issued), a new
meeting replacing an earlier one (reissued), or the meeting was deleted in Zoom (deleted_in_zoom). Issued and
reissued are not sent when the issuance's own write proved the slot had no booking (``nobody_booked``).

``slot_seats_added`` (inside the transaction, the slot row locked, ``slot``): the slot's capacity went up
or it was shown again; the seats may go to applicants waiting for them.

``slot_deleted`` (inside the transaction, the slot row locked, ``slot``): the slot is gone for applicants.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum

from django.db import transaction

from accounts.audit import audit_entry, record_audits
from accounts.hooks import RequiredSignal
from accounts.models import AuditEntry
from scheduling.models import Slot


class SlotChange(StrEnum):
    MOVED = "moved"
    ISSUED = "issued"
    REISSUED = "reissued"
    DELETED_IN_ZOOM = "deleted_in_zoom"


slot_changed = RequiredSignal("scheduling.signals.slot_changed", required_from=["booking"])
slot_seats_added = RequiredSignal("scheduling.signals.slot_seats_added", required_from=["booking"])
slot_deleted = RequiredSignal("scheduling.signals.slot_deleted", required_from=["booking"])


def announce_slot_change(
    slot: Slot,
    *,
    change: SlotChange,
    details: dict[str, str] | None = None,
    audit_with: Sequence[AuditEntry] = (),
    nobody_booked: bool = False,
) -> None:
    """Record the change in the audit log (with ``audit_with``, the caller's own entries, in one INSERT) and
    announce it once the current transaction commits.

    ``nobody_booked``: the caller's own write of the change proved the slot had no active booking (its
    UPDATE had ``booked_count=0`` in its WHERE; booking changes that count only under the row's lock, so a
    booking made later waits for that write and sees the change). A change of the meeting URL (issued,
    reissued) is then told to nobody, so it is not announced: no booking-notice task to run for nothing.

    Never raises: it runs in web requests and in the issuance task, whose work is already saved.
    """
    details = {key: str(value) for key, value in (details or {}).items()}
    entry = audit_entry(
        action="slot.meeting_changed",
        company=slot.company,
        target=slot,
        details={"reason": change.value, **details},
    )
    record_audits([*audit_with, entry])
    if nobody_booked and change in (SlotChange.ISSUED, SlotChange.REISSUED):
        return
    change_id = uuid.uuid4().hex
    transaction.on_commit(lambda: _send_slot_changed(slot.pk, change, change_id, details))


def _send_slot_changed(slot_id: int, change: SlotChange, change_id: str, details: dict[str, str]) -> None:
    slot_changed.send_logged(Slot, slot_id=slot_id, change=change, change_id=change_id, details=details)
