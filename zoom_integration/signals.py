"""What zoom_integration announces to the apps above it (scheduling connects in its ready()).

``link_usable`` (after commit; ``company``): the company's Zoom link works again (linked or relinked);
work that waited for it may go on.

``meeting_event`` (inside the transaction that handles a stored webhook delivery; ``company``, ``event``:
"meeting.updated" | "meeting.deleted", ``meeting_id``, ``payload``): a meeting of the company's Zoom account
changed in Zoom. A receiver that raises leaves the delivery unprocessed, to be handled again.
"""

from __future__ import annotations

from accounts.hooks import RequiredSignal

link_usable = RequiredSignal("zoom_integration.signals.link_usable", required_from=["scheduling"])
meeting_event = RequiredSignal("zoom_integration.signals.meeting_event", required_from=["scheduling"])
