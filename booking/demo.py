"""Demo data for booking: a few applicants booked, and a personal link for the demo applicant.

Runs after scheduling's demo (apps seed in INSTALLED_APPS order), whose 選考会 it books into. Idempotent:
an applicant who has a booking is not booked again, and an unrevoked link is reused.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Company, Role, User
from applicants.models import Applicant, SelectionStage
from applicants.selectors import company_stages
from applicants.services import create_applicant, ensure_company_defaults
from booking import invitations, links, services
from booking.models import BookingInvitation, BookingSource
from notifications.demo import DEMO_CONTACT
from notifications.models import MailSettings
from scheduling.models import Event, SelectionMeeting, Slot

DEMO_APPLICANT_DOMAIN = "demo-applicant.example.jp"
LINK_APPLICANT = ("高橋 さくら", "タカハシ サクラ", "sakura.takahashi")
BOOKED_APPLICANTS = [
    ("中村 健太", "ナカムラ ケンタ", "kenta.nakamura", "本社説明会"),
    ("小林 美咲", "コバヤシ ミサキ", "misaki.kobayashi", "対面面接"),
    ("加藤 翔太", "カトウ ショウタ", "shota.kato", "本社説明会"),
]


def _demo_applicant(company: Company, actor: User, name: str, kana: str, local: str) -> Applicant:
    email = f"{local}@{DEMO_APPLICANT_DOMAIN}"
    found = Applicant.objects.filter(company=company, email=email).first()
    if found is not None:
        return found
    return create_applicant(
        company=company,
        actor=actor,
        fields={"name": name, "name_kana": kana, "email": email, "school": "デモ大学", "faculty": "経済学部"},
        stage=company_stages(company)[0],
    )


def _set_booking_stage(event: Event, stage_name: str) -> None:
    if event.booking_stage_id is None:
        event.booking_stage = SelectionStage.objects.filter(company=event.company, name=stage_name).first()
        event.save(update_fields=["booking_stage"])


def seed(*, company: Company, users: dict[str, User], stdout: Any) -> None:
    """予約: three applicants booked (対面面接's first slot full, to show 満席 and キャンセル待ち), and
    高橋 さくら invited to 一次面接 with a mailed personal link (the demo's applicant walk)."""
    actor = users.get(Role.RECRUITER) or users[Role.ADMIN]
    briefing = SelectionMeeting.objects.get(company=company, name="会社説明会")
    first = SelectionMeeting.objects.get(company=company, name="一次面接")
    ensure_company_defaults(company=company)
    # The mails below read the sender settings: give them the demo contact before they are made empty.
    MailSettings.objects.get_or_create(
        company=company, defaults={"reply_to": "recruit@demo.example.com", "contact": DEMO_CONTACT}
    )
    for event in Event.objects.filter(selection_meeting=briefing):
        _set_booking_stage(event, "説明会")
    for event in Event.objects.filter(selection_meeting=first):
        _set_booking_stage(event, "一次面接")
    events = {event.name: event for event in Event.objects.filter(company=company)}
    booked = 0
    for name, kana, local, event_name in BOOKED_APPLICANTS:
        applicant = _demo_applicant(company, actor, name, kana, local)
        slot = Slot.objects.filter(event=events[event_name]).order_by("starts_at").first()
        if slot is None or applicant.bookings.exists():
            continue
        services.book_slot(slot=slot, applicant=applicant, actor=actor, source=BookingSource.STAFF)
        booked += 1
    applicant = _demo_applicant(company, actor, *LINK_APPLICANT)
    wanted = list(Event.objects.filter(selection_meeting=first).order_by("sort_order", "pk"))
    invitation = BookingInvitation.objects.filter(applicant=applicant, revoked_at__isnull=True).first()
    if invitation is None:
        invitation, _mail = invitations.create_invitation(
            applicant=applicant, events=wanted, actor=actor, days=60
        )
    else:
        invitation.events.add(*wanted)  # a Zoom event added after linking joins the link
    stdout.write(
        f"  booking: 予約 +{booked}; 日程選択案内 for {applicant.name} (mailed; also on her applicant page):"
    )
    stdout.write(f"    {links.invitation_url(invitation)}")
