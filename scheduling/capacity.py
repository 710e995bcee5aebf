"""How many seats of a slot are taken: the one place that counts a slot's active bookings."""

from __future__ import annotations

from django.db.models import Count, Expression, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def booked_count_annotation() -> Expression:
    """Active bookings per slot, as an annotation on a Slot queryset (one correlated subquery)."""
    from scheduling.models import Booking, BookingStatus

    active = (
        Booking.objects.filter(slot=OuterRef("pk"), status=BookingStatus.ACTIVE)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(active, output_field=IntegerField()), Value(0))
