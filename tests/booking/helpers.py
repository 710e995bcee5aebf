"""Helpers for the booking tests: slots days ahead, personal links, bookings made through the services."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from booking import links
from booking import services as booking_services
from booking.models import BookingInvitation, BookingSource
from tests.scheduling.factories import SlotFactory


def days_ahead(days: int, hour: int = 14, *, tz=None) -> datetime:
    """``days`` from today at ``hour``:00 in ``tz`` (the company's zone)."""
    tz = tz or timezone.get_default_timezone()
    local = timezone.localtime(timezone.now(), tz) + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def soon_slot(event, hours: int = 2, **kwargs):
    """A slot starting ``hours`` from now: inside the event's last 24 hours (its booking window closed, its
    cancel deadline passed) but not started, whatever the time of day the test runs."""
    starts = (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)
    return SlotFactory(event=event, starts_at=starts, ends_at=starts + timedelta(hours=1), **kwargs)


def slot_for(event, days: int = 5, hour: int = 14, **kwargs):
    starts = days_ahead(days, hour, tz=event.company.tzinfo)
    return SlotFactory(event=event, starts_at=starts, ends_at=starts + timedelta(hours=1), **kwargs)


def invite(applicant, *events, days: int = 30) -> BookingInvitation:
    invitation = BookingInvitation.objects.create(
        company=applicant.company, applicant=applicant, expires_at=timezone.now() + timedelta(days=days)
    )
    invitation.events.set(events)
    return invitation


def link(invitation: BookingInvitation, suffix: str = "") -> str:
    return links.invitation_path(invitation) + suffix


def staff_book(slot, applicant, actor=None):
    return booking_services.book_slot(
        slot=slot, applicant=applicant, actor=actor, source=BookingSource.STAFF
    ).booking


def applicant_book(slot, applicant, invitation):
    return booking_services.book_slot(
        slot=slot, applicant=applicant, actor=None, source=BookingSource.APPLICANT, invitation=invitation
    ).booking
