"""What every web-meeting provider announces to the apps above it (scheduling connects in its ready()).

``link_usable`` (after commit; ``company``, ``provider``: the provider's key): the company's link to that
service works again (linked or relinked); work that waited for it may go on.

``meeting_changed`` (inside the transaction that handles a stored change notification; ``company``,
``provider``, ``meeting_id``: str, ``change``: "updated" | "deleted", ``start``: datetime | None,
``duration_minutes``: int | None, ``changed_at``: when the service made the change, datetime | None): a
meeting on the company's linked account was changed or deleted at the service (Zoom webhook, Graph change
notification, ...). A receiver that raises leaves the notification unprocessed, to be handled again.
"""

from __future__ import annotations

from accounts.hooks import RequiredSignal

link_usable = RequiredSignal("web_meetings.signals.link_usable", required_from=["scheduling"])
meeting_changed = RequiredSignal("web_meetings.signals.meeting_changed", required_from=["scheduling"])
