"""What higher apps add to scheduling's pages and to its web meetings."""

from __future__ import annotations

from collections.abc import Callable

from accounts.hooks import Registry
from accounts.models import User
from accounts.permissions import AuthenticatedHttpRequest
from scheduling.models import Slot

# ``panel(request, slot)``: a rendered section of the slot page (e.g. its bookings), or "" for none.
SlotPanel = Callable[[AuthenticatedHttpRequest, Slot], str]
slot_panels: Registry[SlotPanel] = Registry("scheduling.registry.slot_panels", required_from=["booking"])

# ``reads(user, slot)``: whether a 面接官 who does not host the slot's meeting may still open its page (e.g.
# an interviewer assigned to it); staff always may.
SlotReader = Callable[[User, Slot], bool]
slot_readers: Registry[SlotReader] = Registry(
    "scheduling.registry.slot_readers", required_from=["interviews"]
)

# ``host(slot)``: the user id at the event's web-meeting service (Zoom, Teams) that should host the slot's
# meeting instead of its event's host (e.g. the slot's interviewer), or None to keep the event's. It must
# name a user of the company's linked account who can host. The first function with an answer wins. When an
# answer changes, the app that gives it calls ``scheduling.services.replan_meeting_hosts`` so the future
# meetings move to the new host.
SlotMeetingHost = Callable[[Slot], str | None]
slot_meeting_hosts: Registry[SlotMeetingHost] = Registry(
    "scheduling.registry.slot_meeting_hosts", required_from=["interviews"]
)
