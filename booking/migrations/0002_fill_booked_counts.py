"""Fill each slot's seat counter from its active bookings, and relabel what named the models by their old
app: content types (with their permissions) and audit entries."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

MOVED_MODELS = ["booking", "bookinginvitation", "bookinglog", "waitlistentry"]


def fill_booked_counts(apps, schema_editor):
    Slot = apps.get_model("scheduling", "Slot")
    Booking = apps.get_model("booking", "Booking")
    active = (
        Booking.objects.filter(slot=OuterRef("pk"), status="active")
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Slot.objects.update(booked_count=Coalesce(Subquery(active), Value(0)))


def relabel(apps, schema_editor, *, old: str, new: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    for model in MOVED_MODELS:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
        AuditEntry.objects.filter(target_type=f"{old}.{model}").update(target_type=f"{new}.{model}")


def forwards(apps, schema_editor):
    fill_booked_counts(apps, schema_editor)
    relabel(apps, schema_editor, old="scheduling", new="booking")


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, old="booking", new="scheduling")


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0001_initial"),
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
