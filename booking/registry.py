"""What higher apps add to booking's rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from accounts.hooks import Registry
from accounts.models import User
from scheduling.models import Slot

# ``slots(user, prefix)``: a Q on Slot for the slots a 面接官 interviews besides the Zoom host's (e.g.
# assigned to them in interviews), or on a model reaching Slot through ``prefix`` (``"slot__"`` for
# Booking). Their active bookings, and so those applicants, become readable to that 面接官.
InterviewerSlots = Callable[[User, str], Q]
interviewer_slots: Registry[InterviewerSlots] = Registry(
    "booking.registry.interviewer_slots", required_from=["interviews"]
)


@dataclass(frozen=True)
class SlotNoticeRecipient:
    """Someone told about the bookings of a slot besides its Zoom host (e.g. an interviewer assigned to it):
    ``page_url`` is the absolute URL of the page where they read the slot."""

    user: User
    page_url: str


# ``recipients(slot)``: who gets 面接官への通知 about the slot's bookings besides the event's Zoom host, each
# with the booking's calendar invite (REQUEST when booked or moved in, CANCEL when cancelled or moved out).
# Booking mails each address once and only active users of the slot's company.
SlotNoticeRecipients = Callable[[Slot], list[SlotNoticeRecipient]]
slot_notice_recipients: Registry[SlotNoticeRecipients] = Registry(
    "booking.registry.slot_notice_recipients", required_from=["interviews"]
)
