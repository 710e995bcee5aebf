"""Interviews: who interviews which slot (面接官 per event and per slot)."""

from __future__ import annotations


def connect() -> None:
    """Assigned interviewers read the active bookings of their slots (booking's interviewer rule)."""
    from booking.registry import interviewer_slots
    from interviews import selectors

    interviewer_slots.register(selectors.assigned_slots_q)
