"""The booking models moved from scheduling to booking without moving data: a database holding bookings
under the old schema migrates to the new one and every row is found through the new models."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import AuditEntry
from applicants.models import Applicant
from booking.models import Booking, BookingInvitation, BookingLog, BookingStatus, WaitlistEntry, WaitStatus
from scheduling.models import Slot

# Applicants before the stages' bits too: the old world's stages and applicants are written without them.
BEFORE_THE_MOVE = [("scheduling", "0002_bookings"), ("booking", None), ("applicants", "0004_report_indexes")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _old_world(apps) -> dict[str, int]:
    """Rows written through the historical (pre-move) models: two slots, bookings, a waitlist, a log."""
    now = timezone.now()
    Company = apps.get_model("accounts", "Company")
    Stage = apps.get_model("applicants", "SelectionStage")
    Applicant = apps.get_model("applicants", "Applicant")
    Meeting = apps.get_model("scheduling", "SelectionMeeting")
    Event = apps.get_model("scheduling", "Event")
    Slot = apps.get_model("scheduling", "Slot")
    Invitation = apps.get_model("scheduling", "BookingInvitation")
    Booking = apps.get_model("scheduling", "Booking")
    Wait = apps.get_model("scheduling", "WaitlistEntry")
    Log = apps.get_model("scheduling", "BookingLog")
    AuditEntry = apps.get_model("accounts", "AuditEntry")

    company = Company.objects.create(name="移行商事", slug="migration")
    stage = Stage.objects.create(company=company, name="応募")
    people = [
        Applicant.objects.create(company=company, name=f"応募者{i}", stage=stage, email=f"a{i}@example.jp")
        for i in range(4)
    ]
    event = Event.objects.create(
        company=company,
        selection_meeting=Meeting.objects.create(company=company, name="一次面接"),
        name="面接",
    )
    start = now + timedelta(days=3)
    full, roomy = (
        Slot.objects.create(
            company=company,
            event=event,
            starts_at=start + timedelta(hours=h),
            ends_at=start + timedelta(hours=h + 1),
            capacity=c,
        )
        for h, c in ((0, 2), (2, 5))
    )
    invitation = Invitation.objects.create(
        company=company, applicant=people[0], expires_at=now + timedelta(days=9)
    )
    invitation.events.add(event)
    booked = [
        Booking.objects.create(
            company=company,
            applicant=people[0],
            event=event,
            slot=full,
            source="applicant",
            invitation=invitation,
        ),
        Booking.objects.create(company=company, applicant=people[1], event=event, slot=full, source="staff"),
        Booking.objects.create(company=company, applicant=people[2], event=event, slot=roomy, source="staff"),
        Booking.objects.create(
            company=company, applicant=people[3], event=event, slot=roomy, source="staff", status="cancelled"
        ),
    ]
    wait = Wait.objects.create(company=company, applicant=people[3], event=event, slot=full)
    log = Log.objects.create(
        company=company, applicant=people[0], booking=booked[0], kind="booked", title="予約"
    )
    AuditEntry.objects.create(
        company=company,
        action="booking.created",
        target_type="scheduling.booking",
        target_id=str(booked[0].pk),
    )
    return {
        "full": full.pk,
        "roomy": roomy.pk,
        "invitation": invitation.pk,
        "event": event.pk,
        "first_booking": booked[0].pk,
        "bookings": len(booked),
        "wait": wait.pk,
        "log": log.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_a_database_with_bookings_migrates_to_the_booking_app_and_keeps_every_row():
    latest = _latest()
    executor = _migrate(BEFORE_THE_MOVE)
    try:
        ids = _old_world(executor.loader.project_state(BEFORE_THE_MOVE[:1]).apps)

        _migrate(latest)

        assert Booking.objects.count() == ids["bookings"]
        first = Booking.objects.select_related("invitation", "slot").get(pk=ids["first_booking"])
        assert first.slot_id == ids["full"] and first.invitation_id == ids["invitation"]
        assert list(
            BookingInvitation.objects.get(pk=ids["invitation"]).events.values_list("pk", flat=True)
        ) == [ids["event"]]
        assert WaitlistEntry.objects.get(pk=ids["wait"]).status == WaitStatus.WAITING
        assert BookingLog.objects.get(pk=ids["log"]).booking_id == ids["first_booking"]
        # The seat counters are filled from the active bookings (the cancelled one does not count).
        counts = dict(Slot.all_objects.values_list("pk", "booked_count"))
        assert counts == {ids["full"]: 2, ids["roomy"]: 1}
        assert Booking.objects.filter(status=BookingStatus.ACTIVE).count() == 3
        # Audit entries name the model by its new app.
        assert AuditEntry.objects.filter(target_type="booking.booking").count() == 1
        # applicants 0005: the stage got bit 0, each applicant has reached it.
        assert set(Applicant.objects.values_list("reached_stages", "stage__bit")) == {(1, 0)}
    finally:
        _migrate(latest)
