"""Reads for booking pages (staff and applicant), each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from accounts.models import Company, User
from accounts.prepared import PreparedQuery
from applicants.models import Applicant
from booking import rules
from booking.models import Booking, BookingInvitation, BookingLog, BookingStatus, WaitlistEntry, WaitStatus
from booking.registry import interviewer_slots
from scheduling.models import Event, Slot
from scheduling.selectors import hosted_events_q

MAX_SLOTS = 500


@dataclass
class SlotOption:
    """A slot as the applicant sees it: seats left, 満席, not open yet, or waited for."""

    slot: Slot
    seats_left: int
    opens_at: datetime | None = None  # set while the booking window has not opened
    waiting: bool = False

    @property
    def full(self) -> bool:
        return self.seats_left <= 0

    @property
    def bookable(self) -> bool:
        return self.opens_at is None and not self.full


WEEKDAYS = (
    pgettext_lazy("weekday", "月"),
    pgettext_lazy("weekday", "火"),
    pgettext_lazy("weekday", "水"),
    pgettext_lazy("weekday", "木"),
    pgettext_lazy("weekday", "金"),
    pgettext_lazy("weekday", "土"),
    pgettext_lazy("weekday", "日"),
)


@dataclass
class SlotDay:
    """One date on the applicant's page (in the company's zone): the slots still to choose, and the full
    ones, which the page folds away."""

    day: date
    options: list[SlotOption] = field(default_factory=list)
    full: list[SlotOption] = field(default_factory=list)

    @property
    def label(self) -> str:
        """12月1日（火）, or Tue, 12/1 in English."""
        return gettext("%(month)s月%(day)s日（%(weekday)s）") % {
            "month": self.day.month,
            "day": self.day.day,
            "weekday": WEEKDAYS[self.day.weekday()],
        }

    @property
    def waiting(self) -> bool:
        """The applicant waits for one of the full slots (the fold opens, so they see it)."""
        return any(option.waiting for option in self.full)


def slot_days(options: list[SlotOption], tz: ZoneInfo) -> list[SlotDay]:
    """``options`` (ordered by start) grouped by their start date in ``tz``: a slot at 00:30 JST belongs to
    that Japanese date, whatever its UTC date."""
    days: list[SlotDay] = []
    for option in options:
        day = timezone.localtime(option.slot.starts_at, tz).date()
        if not days or days[-1].day != day:
            days.append(SlotDay(day=day))
        (days[-1].full if option.full else days[-1].options).append(option)
    return days


@dataclass
class EventSection:
    """One invited event on the applicant's page: their booking, or the slots to choose from."""

    event: Event
    booking: Booking | None = None
    options: list[SlotOption] = field(default_factory=list)
    waits: list[WaitlistEntry] = field(default_factory=list)
    now: datetime | None = None
    tz: ZoneInfo | None = None  # the company's

    @property
    def days(self) -> list[SlotDay]:
        return slot_days(self.options, self.tz or timezone.get_current_timezone())

    @property
    def can_change(self) -> bool:
        return self.booking is not None and (self.now or timezone.now()) < self.booking.slot.cancel_deadline


def _ordered_events(invitation: BookingInvitation) -> list[Event]:
    return list(
        invitation.events.select_related("selection_meeting").order_by(
            "selection_meeting__sort_order", "selection_meeting_id", "sort_order", "pk"
        )
    )


def applicant_slot_options(
    events: list[Event], *, applicant: Applicant, now: datetime, exclude_slot_id: int | None = None
) -> dict[int, list[SlotOption]]:
    """The shown, future slots of ``events`` still taking bookings, by event id (two queries)."""
    waiting = set(
        WaitlistEntry.objects.filter(
            applicant=applicant, event__in=events, status=WaitStatus.WAITING
        ).values_list("slot_id", flat=True)
    )
    slots = (
        Slot.objects.filter(event__in=events, is_published=True, starts_at__gt=now)
        .select_related("company", "event__selection_meeting")
        .order_by("starts_at", "pk")[:MAX_SLOTS]
    )
    options: dict[int, list[SlotOption]] = {event.pk: [] for event in events}
    for slot in slots:
        if slot.pk == exclude_slot_id or now >= slot.booking_closes_at:
            continue
        opens = slot.booking_opens_at
        options[slot.event_id].append(
            SlotOption(
                slot=slot,
                seats_left=max(0, slot.capacity - slot.booked_count),
                opens_at=opens if opens is not None and now < opens else None,
                waiting=slot.pk in waiting,
            )
        )
    return options


def invitation_sections(invitation: BookingInvitation, *, now: datetime | None = None) -> list[EventSection]:
    """The applicant's page: each invited event with their booking or its slots (five queries)."""
    now = now or timezone.now()
    applicant = invitation.applicant
    events = _ordered_events(invitation)
    bookings = {
        booking.event_id: booking
        for booking in Booking.objects.filter(
            applicant=applicant, event__in=events, status=BookingStatus.ACTIVE
        ).select_related("slot__company", "slot__event__selection_meeting")
    }
    waits: dict[int, list[WaitlistEntry]] = {}
    for entry in WaitlistEntry.objects.filter(
        applicant=applicant, event__in=events, status=WaitStatus.WAITING
    ).select_related("slot__company"):
        waits.setdefault(entry.event_id, []).append(entry)
    open_events = [event for event in events if event.pk not in bookings]
    options = applicant_slot_options(open_events, applicant=applicant, now=now) if open_events else {}
    return [
        EventSection(
            event=event,
            booking=bookings.get(event.pk),
            options=options.get(event.pk, []),
            waits=waits.get(event.pk, []),
            now=now,
            tz=invitation.company.tzinfo,
        )
        for event in events
    ]


def _link_read_annotations(applicant_id: OuterRef) -> dict[str, Subquery | Exists]:
    """What a link's slot read says about its applicant (``rules.LinkRead``), as annotations of the slot."""
    applicant_booking = Booking.objects.filter(
        applicant_id=applicant_id, event_id=OuterRef("event_id"), status=BookingStatus.ACTIVE
    ).values("pk")[:1]
    applicant_clash = (
        Booking.objects.filter(
            applicant_id=applicant_id,
            status=BookingStatus.ACTIVE,
            slot__starts_at__lt=OuterRef("ends_at"),
            slot__ends_at__gt=OuterRef("starts_at"),
        )
        .exclude(event_id=OuterRef("event_id"))
        .values("pk")[:1]
    )
    applicant_waiting = WaitlistEntry.objects.filter(
        applicant_id=applicant_id, event_id=OuterRef("event_id"), status=WaitStatus.WAITING
    )
    return {
        "link_applicant_booking_id": Subquery(applicant_booking),
        "link_applicant_clash_id": Subquery(applicant_clash),
        "link_applicant_waiting": Exists(applicant_waiting),
    }


def _slot_with_link_query(slot_id: int, invitation_id: int) -> QuerySet[Slot]:
    """``links.resolve``'s read and the slot's in one statement: the slot (a live slot of one of the
    invitation's events) joined to the invitation with what the link's pages need of them. Filtered before
    anything else refers to ``link``, so everything uses the filter's inner join (one row)."""
    return (
        Slot.objects.annotate(
            link=FilteredRelation("event__invitations", condition=Q(event__invitations__pk=invitation_id))
        )
        .filter(pk=slot_id, link__isnull=False, company_id=F("link__company_id"))
        .select_related(  # type: ignore[misc]  # the plugin does not know the FilteredRelation "link"
            "event__selection_meeting",
            "event__booking_stage",
            "link__company__mail_settings",
            "link__applicant__stage",
        )
        .annotate(**_link_read_annotations(OuterRef("link__applicant_id")))
    )


# Every slot page through a link (予約内容の確認, 予約を確定する, キャンセル待ち, 変更内容の確認) reads so.
_SLOT_WITH_LINK: PreparedQuery[Slot] = PreparedQuery(_slot_with_link_query, slot_id=-1, invitation_id=-2)


def slot_with_link(invitation_id: int, slot_id: int) -> tuple[BookingInvitation, Slot] | None:
    """The invitation ``invitation_id`` and its slot ``slot_id`` (a live slot of one of its events) in one
    query, the invitation as ``links.resolve`` reads it; None when the invitation is unknown or the slot is
    not one of its events' (the caller then resolves the link alone to tell which). The invitation is not
    checked: the caller checks it (``links.check``) before using either."""
    found = _SLOT_WITH_LINK.first(slot_id=slot_id, invitation_id=invitation_id)
    if found is None:
        return None
    invitation: BookingInvitation = found.link  # type: ignore[attr-defined]  # the FilteredRelation
    found.company = invitation.company
    if invitation.applicant.company_id == invitation.company_id:
        invitation.applicant.company = invitation.company  # the same row, read once (a booking's audit)
    rules.remember_link_read(
        found,
        rules.LinkRead(
            invitation_id=invitation.pk,
            applicant_id=invitation.applicant_id,
            booking_id=found.link_applicant_booking_id,  # type: ignore[attr-defined]  # the annotations
            clash_id=found.link_applicant_clash_id,  # type: ignore[attr-defined]
            waiting=found.link_applicant_waiting,  # type: ignore[attr-defined]
        ),
    )
    return invitation, found


def applicant_booking(invitation: BookingInvitation, booking_id: int) -> Booking | None:
    """One of the link's applicant's bookings in the invited events, or None (another's is not found)."""
    return (
        Booking.objects.select_related(
            "slot__company", "slot__event__selection_meeting", "company", "applicant"
        )
        .filter(pk=booking_id, applicant_id=invitation.applicant_id, event__invitations=invitation)
        .first()
    )


def applicant_wait(invitation: BookingInvitation, entry_id: int) -> WaitlistEntry | None:
    return WaitlistEntry.objects.filter(
        pk=entry_id, applicant_id=invitation.applicant_id, event__invitations=invitation
    ).first()


# --- staff -----------------------------------------------------------------------------------------------


def visible_bookings(user: User) -> QuerySet[Booking]:
    """Bookings the user may read: every booking of the company (cancelled ones too) for 管理者/採用担当; for
    a 面接官 only the ACTIVE bookings of slots whose events they host. Every staff read of bookings goes
    through here (booking page, slot page, applicant page, the 面接官's applicant scope)."""
    if user.company_id is None:
        return Booking.objects.none()
    bookings = Booking.objects.filter(company_id=user.company_id)
    if user.is_recruiter_or_admin:
        return bookings
    if not user.is_interviewer:
        return Booking.objects.none()
    return bookings.filter(interviewer_slot_q(user, "slot__"), status=BookingStatus.ACTIVE)


def interviewer_slot_q(user: User, prefix: str = "") -> Q:
    """The slots a 面接官 interviews: those of events they host in Zoom, and those the apps above add
    (``booking.registry.interviewer_slots``), as a Q on Slot (``prefix`` to reach Slot from another model)."""
    condition = hosted_events_q(user, f"{prefix}event__") if user.email else Q(pk__in=[])
    for slots in interviewer_slots.functions():
        # Applied to each row (a booking's slot and event ids): no subquery over the company's slots,
        # which the planner hashed whole (20,000 in the scale data set's big company, 9 ms a query).
        condition |= slots(user, prefix)
    return condition


def visible_waits(user: User) -> QuerySet[WaitlistEntry]:
    """Waitlist entries the user may read: the company's for 管理者/採用担当; none for a 面接官 (someone
    waiting is not booked into their slot, so the 面接官 may not read that applicant)."""
    if user.company_id is None or not user.is_recruiter_or_admin:
        return WaitlistEntry.objects.none()
    return WaitlistEntry.objects.filter(company_id=user.company_id)


def slot_bookings(slot: Slot, user: User) -> list[Booking]:
    """The slot's bookings the user may read, active first, with their applicants (one query)."""
    return list(
        visible_bookings(user)
        .filter(slot=slot)
        .select_related("applicant")
        .order_by("status", "created_at", "pk")
    )


def slot_attendance_bookings(slot: Slot, user: User) -> list[Booking]:
    """The slot's active bookings whose 出欠 the user may record (a 面接官: those of slots they interview)."""
    return list(
        visible_bookings(user)
        .filter(slot=slot, status=BookingStatus.ACTIVE)
        .select_related("applicant")
        .order_by("created_at", "pk")
    )


def interviews_slot(user: User, slot: Slot) -> bool:
    """Whether a 面接官 interviews ``slot`` (hosts its event in Zoom, or the apps above assign them)."""
    return (
        user.company_id == slot.company_id
        and Slot.all_objects.filter(interviewer_slot_q(user), pk=slot.pk).exists()
    )


def slot_waitlist(slot: Slot, user: User) -> list[WaitlistEntry]:
    """The slot's waiting entries the user may read, first come first (one query; none for a 面接官)."""
    return list(
        visible_waits(user)
        .filter(slot=slot, status=WaitStatus.WAITING)
        .select_related("applicant")
        .order_by("created_at", "pk")
    )


def applicant_bookings(applicant: Applicant, user: User) -> list[Booking]:
    return list(
        visible_bookings(user)
        .filter(applicant=applicant)
        .select_related("slot__company", "slot__event__selection_meeting")
        .order_by("-slot__starts_at", "-pk")[:100]
    )


def applicant_waits(applicant: Applicant, user: User) -> list[WaitlistEntry]:
    """The applicant's waiting entries the user may read (one query; none for a 面接官)."""
    return list(
        visible_waits(user)
        .filter(applicant=applicant, status=WaitStatus.WAITING)
        .select_related("slot__company", "slot__event__selection_meeting")
        .order_by("slot__starts_at", "pk")
    )


def applicant_invitations(applicant: Applicant, *, limit: int = 5) -> list[BookingInvitation]:
    """The newest personal links with their events (two queries)."""
    return list(
        BookingInvitation.objects.filter(applicant=applicant)
        .prefetch_related("events__selection_meeting")
        .order_by("-created_at", "-pk")[:limit]
    )


def staff_slot_choices(
    company: Company, *, event: Event | None = None, exclude_slot_id: int | None = None
) -> list[Slot]:
    """Future slots (shown or not) with their bookings counted, for 代行予約 and 予約変更 (one query)."""
    slots = (
        Slot.objects.filter(company=company, starts_at__gt=timezone.now())
        .select_related("company", "event__selection_meeting")
        .order_by(
            "event__selection_meeting__sort_order",
            "event__selection_meeting_id",
            "event__sort_order",
            "event_id",
            "starts_at",
            "pk",
        )
    )
    if event is not None:
        slots = slots.filter(event=event)
    if exclude_slot_id is not None:
        slots = slots.exclude(pk=exclude_slot_id)
    return list(slots[:MAX_SLOTS])


@dataclass(frozen=True)
class EventSlots:
    """One event's future slots on the 代行予約 page, with the applicant's active booking in it if any."""

    event: Event
    slots: list[Slot]
    booking: Booking | None


def staff_slot_groups(company: Company, applicant: Applicant) -> list[EventSlots]:
    """Every future slot by event, each event with the applicant's active booking in it (two queries)."""
    booked = {
        booking.event_id: booking
        for booking in Booking.objects.filter(applicant=applicant, status=BookingStatus.ACTIVE)
    }
    groups: list[EventSlots] = []
    for slot in staff_slot_choices(company):  # ordered by event
        if not groups or groups[-1].event != slot.event:
            groups.append(EventSlots(event=slot.event, slots=[], booking=booked.get(slot.event_id)))
        groups[-1].slots.append(slot)
    return groups


def booking_history(booking: Booking) -> list[BookingLog]:
    return list(BookingLog.objects.filter(booking=booking).order_by("-created_at", "-pk"))


def company_events(company: Company) -> list[Event]:
    """Every event of the company, for the 日程選択案内 form (one query)."""
    return list(
        Event.objects.filter(company=company)
        .select_related("selection_meeting")
        .order_by("selection_meeting__sort_order", "selection_meeting_id", "sort_order", "pk")
    )


class ApplicantIdRow(TypedDict):
    applicant_id: int


def applicant_ids_for_interviewer(user: User) -> QuerySet[Booking, ApplicantIdRow]:
    """Ids of the applicants a 面接官 may read: those of the bookings they may read (``visible_bookings``:
    active, in slots of events they host)."""
    if not user.is_interviewer:
        return Booking.objects.none().values("applicant_id")
    return visible_bookings(user).values("applicant_id")
