"""What higher apps add to scheduling's pages."""

from __future__ import annotations

from collections.abc import Callable

from accounts.hooks import Registry
from accounts.permissions import AuthenticatedHttpRequest
from scheduling.models import Slot

# ``panel(request, slot)``: a rendered section of the slot page (e.g. its bookings), or "" for none.
SlotPanel = Callable[[AuthenticatedHttpRequest, Slot], str]
slot_panels: Registry[SlotPanel] = Registry("scheduling.registry.slot_panels", required_from=["booking"])
