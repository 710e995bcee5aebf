"""What applicants announces to the apps above it.

``applicant_anonymizing`` (inside the transaction that deletes an applicant's personal data, before it is
erased; ``applicant``, ``actor``): the apps holding personal data about the applicant (mails, bookings)
erase or cancel theirs in the same transaction.
"""

from __future__ import annotations

from accounts.hooks import RequiredSignal

applicant_anonymizing = RequiredSignal(
    "applicants.signals.applicant_anonymizing", required_from=["notifications", "booking"]
)
