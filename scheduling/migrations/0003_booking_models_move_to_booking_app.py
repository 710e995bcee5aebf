"""The booking models move to the booking app (booking/migrations/0001 takes them over with the same
tables: nothing in the database changes here), and slots get their seat counter."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_bookings"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="WaitlistEntry"),
                migrations.DeleteModel(name="BookingLog"),
                migrations.DeleteModel(name="Booking"),
                migrations.DeleteModel(name="BookingInvitation"),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="slot",
            name="booked_count",
            field=models.PositiveIntegerField(default=0, verbose_name="予約数"),
        ),
        migrations.AddConstraint(
            model_name="slot",
            constraint=models.CheckConstraint(
                condition=models.Q(("booked_count__lte", models.F("capacity"))),
                name="slot_booked_within_capacity",
            ),
        ),
    ]
