"""What higher apps add to booking's rules."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from accounts.hooks import Registry
from accounts.models import User

# ``slots(user)``: a Q on Slot for the slots a 面接官 interviews besides the Zoom host's (e.g. assigned to
# them in interviews). Their active bookings, and so those applicants, become readable to that 面接官.
InterviewerSlots = Callable[[User], Q]
interviewer_slots: Registry[InterviewerSlots] = Registry(
    "booking.registry.interviewer_slots", required_from=["interviews"]
)
