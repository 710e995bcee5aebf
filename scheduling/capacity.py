"""How many seats of a slot are taken. The booking issue fills this in; until then nothing is booked."""

from __future__ import annotations

from django.db.models import Expression, IntegerField, Value


def booked_count_annotation() -> Expression:
    """Active bookings per slot, as an annotation on a Slot queryset.

    Returns 0 until bookings exist. The booking issue replaces the body with a count of the slot's
    active bookings, e.g. ``Coalesce(Subquery(Booking.objects.filter(slot=OuterRef("pk"),
    status__in=ACTIVE).values("slot").annotate(n=Count("pk")).values("n")), 0)``, and every list page,
    the capacity validation and the dashboard follow without further change.
    """
    return Value(0, output_field=IntegerField())
