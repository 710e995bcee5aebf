"""Notifications' answers to what the apps below it announce (connected in NotificationsConfig.ready())."""

from __future__ import annotations

from typing import Any

from applicants.models import Applicant
from notifications.services import erase_applicant_mails


def on_applicant_anonymizing(*, applicant: Applicant, **_: Any) -> None:
    """The applicant's personal data goes: so do the mails sent to them."""
    erase_applicant_mails(company=applicant.company, applicant_id=applicant.pk)
