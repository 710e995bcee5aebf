"""Repair slots' seat counters from their active bookings (after a restore or a manual SQL change)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from booking.seats import recount_booked_seats


class Command(BaseCommand):
    help = "Recount every slot's booked seats from its active bookings; prints how many were wrong."

    def handle(self, *args: Any, **options: Any) -> None:
        fixed = recount_booked_seats()
        self.stdout.write(f"{fixed} slot(s) had a wrong seat count and were corrected.")
