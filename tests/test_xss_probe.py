"""XSS probe: script, tag and quote payloads and template placeholders typed into every free-text field
come out escaped on every page, verbatim in every mail and invite, and guarded in the CSV export.

One company is filled through its own forms (and the Zoom emulator's user names, and the operator's
company name) with a payload in each field, tagged with the field's short name. Then every page that
each role, the applicant's phone and the operator can reach is walked (tests/probes/pages.py follows
links, redirects and GET forms, so new pages are covered without editing this file) and parsed: no
injected element or attribute anywhere, every page answers 200, and each payload shows up (escaped) on
some page, so the walk really rendered it. Mails are text/plain: the same text must arrive as typed,
never HTML-escaped and never substituted again; .ics files keep it inside their properties.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
from dataclasses import dataclass, field
from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Company, Role
from applicants.models import Applicant, Memo, Position, SelectionStage, Source, StatusChange, Tag
from booking import links
from booking.models import Booking, BookingInvitation
from notifications.backends import BACKEND_PATH
from notifications.models import MailboxMessage, MailKind, MailSettings, MailTemplate, SentMail
from notifications.reminders import run_reminder_sources
from notifications.services import system_from_address
from scheduling.models import Event, SelectionMeeting, Slot
from tests.factories import UserFactory
from tests.helpers import client_for
from tests.probes.pages import (
    IMG,
    LINE_BREAK,
    QUOTE,
    SCRIPT,
    Page,
    Walker,
    csv_problems,
    html_problems,
    ics_problems,
    ics_texts,
    payload,
    problems_of,
    scan_html,
    short_payload,
    text_problems,
)
from zoom_integration import services as zoom_services
from zoom_integration.models import ZoomConnection, ZoomUser

pytestmark = pytest.mark.django_db(transaction=True)

HOST_EMAIL = "recruiter@demo.example.com"  # a licensed user of the emulator's account: hosts event A
FILL = payload("Q")  # typed into every text input of every GET form (search boxes, filters)


@dataclass
class Poisoned:
    """What the setup typed, where to look for it, and the pages it rendered along the way."""

    company: Company
    staff_values: dict[str, str] = field(default_factory=dict)  # tag -> text some staff page must show
    applicant_values: dict[str, str] = field(default_factory=dict)  # tag -> text the applicant must see
    links: list[str] = field(default_factory=list)  # the applicants' personal links
    rendered: list[Page] = field(default_factory=list)  # pages answered to the setup's own requests
    applicant: Applicant | None = None

    def keep(self, url: str, response) -> None:
        """Keep a rendered page (a form with errors, a preview) that no link leads to."""
        text = response.content.decode()
        scanned = scan_html(text)
        page = Page(
            url, response.status_code, response["Content-Type"], text, scanned.problems, scanned.texts
        )
        self.rendered.append(page)


def first_line(value: str) -> str:
    return value.splitlines()[0]


def post_ok(client: Client, url: str, data: dict, **extra):
    response = client.post(url, data, **extra)
    if response.status_code != 302:
        context = response.context or {}
        errors = context.get("form").errors if context.get("form") is not None else response.content[:2000]
        pytest.fail(f"POST {url} answered {response.status_code}: {errors}")
    return response


def jst_day(days: int, hour: int):
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone()) + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


# --- the setup, in the order a company would do it ---------------------------------------------------------


def poison_zoom(world, emu, poisoned: Poisoned) -> None:
    """Zoom users named with payloads (one of them is our 面接官), then 認可開始 → Allow → 連携中."""
    users = {user["email"]: user for user in emu.core.state["users"]}
    host = users[HOST_EMAIL]
    host.update(display_name=payload("ZD"), first_name=payload("ZF"), last_name=payload("ZL"))
    interviewer = users["interviewer@demo.example.com"]
    interviewer.update(email=world.acme.interviewer.email, display_name=payload("ZI"))
    admin = client_for(world.acme.admin)
    location = admin.post(reverse("zoom_integration:authorize"))["Location"]
    back = urlsplit(emu.approve(location))
    admin.get(f"{back.path}?{back.query}")
    assert ZoomConnection.objects.get(company=world.acme.company).is_linked
    poisoned.staff_values.update(ZD=payload("ZD"), ZI=payload("ZI"))


def poison_users(world, poisoned: Poisoned) -> None:
    admin = client_for(world.acme.admin)
    post_ok(
        admin,
        reverse("accounts:user_create"),
        {
            "name": payload("UN"),
            "email": "new.recruiter@acme.example.com",
            "role": Role.RECRUITER,
            "send_invitation": "on",
        },
    )
    interviewer = world.acme.interviewer
    post_ok(
        admin,
        reverse("accounts:user_edit", args=[interviewer.pk]),
        {"name": payload("UI"), "role": Role.INTERVIEWER, "is_active": "on"},
    )
    poisoned.staff_values.update(UN=payload("UN"), UI=payload("UI"))


def poison_applicants(world, poisoned: Poisoned) -> Applicant:
    admin, recruiter = client_for(world.acme.admin), client_for(world.acme.recruiter)
    recruiter.get(reverse("applicants:list"))  # the default stages exist from the first visit
    post_ok(admin, reverse("applicants:stage_add"), {"name": short_payload("ST"), "kind": "in_progress"})
    for kind, tag, img in (("positions", "PO", False), ("sources", "SO", True)):
        post_ok(
            recruiter,
            reverse("applicants:choice_add", kwargs={"kind": kind}),
            {"name": short_payload(tag, img=img)},
        )
    company = world.acme.company
    stage = SelectionStage.objects.get(company=company, name=short_payload("ST"))
    memo = payload("AM") + LINE_BREAK + "\n2行目"
    post_ok(
        recruiter,
        reverse("applicants:create"),
        {
            "name": payload("AN"),
            "name_kana": "オハラ' onfocus 'x",
            "email": "o'hara@example.jp",
            "phone": "090-1234-5678",
            "track": "new_graduate",
            "school": payload("AS"),
            "faculty": payload("AF"),
            "graduation_year": "2027",
            "current_employer": payload("AE"),
            "position": Position.objects.get(company=company, name=short_payload("PO")).pk,
            "source": Source.objects.get(company=company, name=short_payload("SO", img=True)).pk,
            "stage": stage.pk,
            "applied_on": timezone.localdate().isoformat(),
            "tags": f"{short_payload('T1')}, {short_payload('T2', img=True)}",
            "memo": memo,
        },
    )
    applicant = Applicant.objects.get(company=company, email="o'hara@example.jp")
    other_stage = SelectionStage.objects.filter(company=company).exclude(pk=stage.pk).first()
    post_ok(
        recruiter,
        reverse("applicants:change_status", args=[applicant.pk]),
        {"stage": other_stage.pk, "comment": payload("SC")},
    )
    post_ok(
        recruiter, reverse("applicants:add_memo", args=[applicant.pk]), {"body": payload("ME") + LINE_BREAK}
    )
    assert StatusChange.objects.filter(comment=payload("SC")).exists()
    assert Memo.objects.filter(applicant=applicant).exists()
    poisoned.staff_values.update(
        {
            "ST": short_payload("ST"),
            "PO": short_payload("PO"),
            "SO": short_payload("SO", img=True),
            "AN": payload("AN"),
            "KANA": "オハラ' onfocus 'x",
            "AS": payload("AS"),
            "AF": payload("AF"),
            "AM": payload("AM"),
            "T1": short_payload("T1"),
            "T2": short_payload("T2", img=True),
            "SC": payload("SC"),
            "ME": payload("ME"),
        }
    )
    poisoned.applicant_values["AN"] = payload("AN")
    return applicant


CSV_HEADERS = ["氏名", "フリガナ", "メールアドレス", "学校名", "学部・学科", "現職", "区分", "応募経路",
               "募集職種", "選考ステータス", "タグ", "備考", "H<script>alert(1)</script>'\""]  # fmt: skip


UPLOAD_NAME = "<img src=x onerror=alert(1)>'<svg onload=alert(3)>.csv"  # no slash: Django keeps the base name


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def upload(client: Client, rows: list[list[str]], poisoned: Poisoned) -> str:
    """Upload a CSV (its file name a payload too) and keep the preview page; returns the preview's URL."""
    file = io.BytesIO(csv_bytes(rows))
    file.name = UPLOAD_NAME
    response = post_ok(client, reverse("applicants:import"), {"file": file})
    preview = response["Location"]
    poisoned.keep(preview, client.get(preview))
    return preview


def poison_csv_import(world, poisoned: Poisoned) -> None:
    """A file with problems (its values echoed in the errors), then a good one with payloads and formulas."""
    recruiter = client_for(world.acme.recruiter)
    stage = short_payload("ST")
    bad = upload(
        recruiter,
        [[payload("XN"), payload("XK"), "bad-address<script>", "", "", "", "<script>", "", "",
          payload("XS"), "", "", ""]],
        poisoned,
    )  # fmt: skip
    post_ok(recruiter, bad, {"discard": "1"})
    good = upload(
        recruiter,
        [
            [payload("CN"), "", "csv.applicant@example.jp", payload("CS"), payload("CF"),
             payload("CE"), "中途", short_payload("CSO"), short_payload("CPO", img=True), stage,
             short_payload("CT"), payload("CM") + "😀", "x"],
            ["=1+1", "", "formula@example.jp", "+SUM(1)", "-2", "@cmd", "新卒", "=src", "-pos", stage,
             "=tag", '=HYPERLINK("http://evil.example/","x")', ""],
        ],
        poisoned,
    )  # fmt: skip
    post_ok(recruiter, good, {})
    assert Applicant.objects.filter(company=world.acme.company, email="csv.applicant@example.jp").exists()
    assert Tag.objects.filter(name="=tag").exists()
    poisoned.staff_values.update(
        {
            "XS": payload("XS"),  # an unknown 選考ステータス, quoted in the preview's error
            "HEADER": CSV_HEADERS[-1],  # an unknown column, listed as 使わない列
            "FILE": UPLOAD_NAME,
            "CN": payload("CN"),
            "CS": payload("CS"),
            "CE": payload("CE"),
            "CSO": short_payload("CSO"),
            "CPO": short_payload("CPO", img=True),
            "CT": short_payload("CT"),
            "CM": payload("CM"),
        }
    )


@dataclass
class Schedule:
    zoom_slots: list[Slot]
    host_slot: Slot
    office_slots: list[Slot]
    events: list[Event]


def event_data(name: str, *, zoom_host: str = "", place: str = "", notes: str = "", reminder: str = ""):
    return {
        "name": name,
        "web_meeting": "zoom" if zoom_host else "none",
        "zoom_host": zoom_host,
        "duration_minutes": "60",
        "default_capacity": "1",
        "booking_opens_hours_before": "",
        "booking_closes_hours_before": "24",
        "cancel_deadline_hours_before": "24",
        "reminder_hours_before": reminder,
        "booking_stage": "",
        "place": place,
        "notes": notes,
        "waiting_room": "on",
        "use_passcode": "on",
    }


def new_slot(client: Client, event: Event, days: int, hour: int, *, capacity: int, note: str) -> Slot:
    start = jst_day(days, hour)
    post_ok(
        client,
        reverse("scheduling:slot_create", args=[event.pk]),
        {
            "date": start.date().isoformat(),
            "start_time": f"{hour:02d}:00",
            "end_time": f"{hour + 1:02d}:00",
            "capacity": str(capacity),
            "visibility": "show",
            "note": note,
        },
    )
    return Slot.objects.filter(event=event).order_by("-pk").first()


def poison_schedule(world, poisoned: Poisoned) -> Schedule:
    recruiter = client_for(world.acme.recruiter)
    company = world.acme.company
    post_ok(
        recruiter,
        reverse("scheduling:meeting_create"),
        {"name": payload("SM"), "description": payload("SD") + LINE_BREAK, "sort_order": "0"},
    )
    meeting = SelectionMeeting.objects.get(company=company)
    host = ZoomUser.objects.get(company=company, email=HOST_EMAIL)
    interviewer_host = ZoomUser.objects.get(company=company, email=world.acme.interviewer.email)
    place, notes = payload("PL") + LINE_BREAK, payload("NT") + LINE_BREAK
    for data in (
        event_data(payload("EV"), zoom_host=host.zoom_user_id, notes=notes, reminder="72"),
        event_data(payload("EH"), zoom_host=interviewer_host.zoom_user_id, notes=notes),
        event_data(payload("EO"), place=place, notes=notes),
    ):
        post_ok(recruiter, reverse("scheduling:event_create", args=[meeting.pk]), data)
    zoom_event, host_event, office_event = Event.objects.filter(company=company).order_by("pk")
    schedule = Schedule(
        zoom_slots=[
            new_slot(recruiter, zoom_event, 5, 10, capacity=1, note=payload("SN")),
            new_slot(recruiter, zoom_event, 6, 10, capacity=2, note=payload("SN")),
        ],
        host_slot=new_slot(recruiter, host_event, 5, 14, capacity=2, note=payload("SN")),
        office_slots=[
            new_slot(recruiter, office_event, 7, 10, capacity=1, note=payload("SN")),
            new_slot(recruiter, office_event, 8, 10, capacity=1, note=payload("SN")),
        ],
        events=[zoom_event, host_event, office_event],
    )
    for slot in [*schedule.zoom_slots, schedule.host_slot]:
        slot.refresh_from_db()
        assert slot.join_url, "the emulator issued the slot's meeting"
    values = {
        "SM": payload("SM"),
        "SD": payload("SD"),
        "EV": payload("EV"),
        "EH": payload("EH"),
        "EO": payload("EO"),
        "PL": payload("PL"),
        "NT": payload("NT"),
        "SN": payload("SN"),
    }
    poisoned.staff_values.update(values)
    poisoned.applicant_values.update({k: values[k] for k in ("SM", "EV", "EO", "PL")})
    return schedule


def poison_mail_settings(world, poisoned: Poisoned) -> None:
    recruiter = client_for(world.acme.recruiter)
    recruiter.get(reverse("notifications:template_list"))  # creates the templates from the defaults
    for template in MailTemplate.objects.filter(company=world.acme.company):
        url = reverse("notifications:template_edit", args=[template.pk])
        data = {
            "subject": template.subject + payload("MS"),
            "body": template.body + "\n" + payload("MB") + LINE_BREAK + "\n",
            "action": "save",
        }
        post_ok(recruiter, url, data)
        preview = reverse("notifications:template_preview", args=[template.pk])
        poisoned.keep(preview, recruiter.post(preview, data))
    post_ok(
        recruiter,
        reverse("notifications:mail_settings"),
        {
            "sender_name": payload("SE"),
            "reply_to": "o'hara.reply@example.jp",
            "contact": payload("CO2") + LINE_BREAK,
        },
    )
    assert MailSettings.objects.get(company=world.acme.company).sender_name == payload("SE")
    template = MailTemplate.objects.filter(company=world.acme.company).first()
    post_ok(recruiter, reverse("notifications:template_test_send", args=[template.pk]), {})
    poisoned.staff_values.update(MS=payload("MS"), MB=payload("MB"), SE=payload("SE"), CO2=payload("CO2"))
    poisoned.applicant_values["CO2"] = payload("CO2")


def book_everything(world, emu, poisoned: Poisoned, applicant: Applicant, schedule: Schedule) -> None:
    """Invitations, bookings by the applicants and by staff, a waitlist, a change, a move in Zoom, a
    reissue, a cancellation and reminders: every mail kind, each carrying the payloads."""
    recruiter = client_for(world.acme.recruiter)
    zoom_event, host_event, office_event = schedule.events
    rival = Applicant.objects.get(company=world.acme.company, email="csv.applicant@example.jp")
    for person in (applicant, rival):
        post_ok(
            recruiter,
            reverse("booking_staff:applicant_invite", args=[person.pk]),
            {"events": [zoom_event.pk, office_event.pk], "days": "30", "send_mail": "on"},
        )
    phone, rival_phone = Client(), Client()
    home = links.invitation_path(BookingInvitation.objects.get(applicant=applicant))
    rival_home = links.invitation_path(BookingInvitation.objects.get(applicant=rival))
    poisoned.links += [home, rival_home]
    first, second = schedule.zoom_slots
    post_ok(phone, f"{home}slots/{first.pk}/", {})
    post_ok(rival_phone, f"{rival_home}slots/{first.pk}/wait/", {})  # full: キャンセル待ち
    booking = Booking.objects.get(applicant=applicant, event=zoom_event)
    post_ok(phone, f"{home}bookings/{booking.pk}/change/{second.pk}/", {})  # the rival is promoted
    post_ok(phone, f"{home}slots/{schedule.office_slots[0].pk}/", {})
    office_booking = Booking.objects.get(applicant=applicant, event=office_event)
    post_ok(phone, f"{home}bookings/{office_booking.pk}/cancel/", {})
    post_ok(
        recruiter,
        reverse("booking_staff:applicant_book", args=[applicant.pk]),
        {"slot": schedule.office_slots[1].pk},
    )
    post_ok(
        recruiter,
        reverse("booking_staff:applicant_book", args=[applicant.pk]),
        {"slot": schedule.host_slot.pk},
    )
    # A slot whose meeting Zoom refused: booked without a URL, re-issued later (URL発行).
    emu.configure(faults=[{"group": "create_meeting", "mode": "status", "status": 400}])
    pending = new_slot(recruiter, host_event, 9, 10, capacity=1, note=payload("SN"))
    emu.configure(faults=[])
    assert not pending.join_url
    post_ok(recruiter, reverse("booking_staff:applicant_book", args=[rival.pk]), {"slot": pending.pk})
    post_ok(recruiter, reverse("scheduling:slot_reissue", args=[pending.pk]), {})
    # The recruiter moves the slot (予約変更), Zoom loses the meeting, the recruiter re-issues (URL変更).
    second.refresh_from_db()
    moved = timezone.localtime(second.starts_at) + timedelta(hours=2)
    post_ok(
        recruiter,
        reverse("scheduling:slot_edit", args=[second.pk]),
        {
            "date": moved.date().isoformat(),
            "start_time": moved.strftime("%H:%M"),
            "end_time": (moved + timedelta(hours=1)).strftime("%H:%M"),
            "capacity": "2",
            "visibility": "show",
            "note": payload("SN"),
        },
    )
    second.refresh_from_db()
    emu.delete_meeting_in_zoom(second.meeting_id)
    post_ok(recruiter, reverse("scheduling:slot_reissue", args=[second.pk]), {})
    run_reminder_sources(now=second.starts_at - timedelta(hours=71))
    # Zoom's own words reach pages and mails too: a refused create, and a link that needs reauthorization.
    emu.configure(faults=[{"group": "create_meeting", "mode": "status", "status": 400}])
    refused = new_slot(recruiter, host_event, 10, 10, capacity=1, note=payload("SN"))
    emu.configure(faults=[])
    Slot.objects.filter(pk=refused.pk).update(meeting_error=payload("ZM"))
    connection = ZoomConnection.objects.get(company=world.acme.company)
    zoom_services.mark_reauthorization_required(
        connection=connection, reason=payload("ZE"), cause="unauthorized"
    )
    poisoned.staff_values.update(ZM=payload("ZM"), ZE=payload("ZE"))
    poison_decisions(world, poisoned, applicant, rival)
    poison_evaluations(world, poisoned, host_event)
    kinds = set(SentMail.objects.filter(company=world.acme.company).values_list("kind", flat=True))
    assert kinds == set(MailKind.values), f"mail kinds sent: {sorted(kinds)}"


def poison_decisions(world, poisoned: Poisoned, applicant: Applicant, rival: Applicant) -> None:
    """合否判定 with payload comments; 合格通知 now from the decision, 不合格通知 now from the bulk page."""
    recruiter = client_for(world.acme.recruiter)
    meeting = SelectionMeeting.objects.get(company=world.acme.company)
    for person, result, timing in ((applicant, "pass", "now"), (rival, "fail", "none")):
        post_ok(
            recruiter,
            reverse("interviews:decision_create", args=[person.pk, meeting.pk]),
            {"result": result, "comment": payload("DC") + LINE_BREAK, "stage": "", "timing": timing},
        )
    post_ok(
        recruiter,
        reverse("interviews:meeting_results", args=[meeting.pk]),
        {"ids": [rival.pk], "result": "fail", "timing": "now"},
    )
    poisoned.staff_values["DC"] = payload("DC")


def poison_evaluations(world, poisoned: Poisoned, host_event: Event) -> None:
    """評価シート items and an evaluation typed with payloads, for an applicant booked into a slot of the
    面接官's own event that ended two days ago; the other interviewer of the slot gets 評価入力のお願い."""
    from booking import services as booking_services
    from booking.models import BookingSource
    from interviews import tasks as interview_tasks
    from interviews.models import EvaluationItem, EventInterviewer

    recruiter, company = client_for(world.acme.recruiter), world.acme.company
    meeting = host_event.selection_meeting
    sheet = reverse("interviews:evaluation_sheet", args=[meeting.pk])
    post_ok(recruiter, sheet, {"instructions": payload("EN")})
    scale = {f"scale_{point}": "" for point in range(2, 6)} | {"scale_1": "S" + SCRIPT}
    for data in (
        {"label": payload("EL"), "kind": "scale", "help_text": payload("EP"), "required": "on", **scale},
        {"label": "志望度", "kind": "choice", "choices": f"{payload('CH')}\n普通", "required": "on"},
        {"label": "所感", "kind": "text"},
    ):
        post_ok(recruiter, reverse("interviews:evaluation_item_create", args=[meeting.pk]), data)
    starts = timezone.now() - timedelta(days=2)
    slot = Slot.objects.create(
        company=company, event=host_event, starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=1
    )
    formula = Applicant.objects.get(company=company, email="formula@example.jp")
    booking_services.book_slot(
        slot=slot, applicant=formula, actor=None, source=BookingSource.STAFF, now=starts - timedelta(days=1)
    )
    for user in (world.acme.interviewer, UserFactory(company=company, role=Role.INTERVIEWER)):
        EventInterviewer.objects.create(company=company, event=host_event, user=user)
    scale_item, choice_item, text_item = EvaluationItem.objects.filter(sheet__selection_meeting=meeting)
    answers = {f"item_{scale_item.pk}": "1", f"item_{choice_item.pk}": payload("CH")}
    answers[f"item_{text_item.pk}"] = payload("ET") + LINE_BREAK
    post_ok(
        client_for(world.acme.interviewer),
        reverse("interviews:evaluation_edit", args=[formula.pk, meeting.pk]),
        {**answers, "recommendation": "A", "comment": payload("EC") + LINE_BREAK, "action": "submit"},
    )
    assert interview_tasks.remind_company_overdue_evaluations(company.pk) == 1
    values = {tag: payload(tag) for tag in ("EN", "EL", "EP", "CH", "ET", "EC")}
    poisoned.staff_values.update(values, S1="S" + SCRIPT)


@pytest.fixture
def poisoned(world, zoom_emulator, settings) -> Poisoned:
    settings.EMAIL_BACKEND = BACKEND_PATH  # the ローカルメールボックス pages are walked too
    settings.SCHEDULING_PACING_BACKEND = "database"
    company = world.acme.company
    company.name = payload("CO")  # the operator names the company in the Django admin
    company.save(update_fields=["name"])
    result = Poisoned(
        company=company, staff_values={"CO": payload("CO")}, applicant_values={"CO": payload("CO")}
    )
    poison_zoom(world, zoom_emulator, result)
    poison_users(world, result)
    applicant = poison_applicants(world, result)
    poison_csv_import(world, result)
    schedule = poison_schedule(world, result)
    poison_mail_settings(world, result)
    book_everything(world, zoom_emulator, result, applicant, schedule)
    result.applicant = applicant
    return result


# --- checks -----------------------------------------------------------------------------------------------


def check_text_formats(page: Page) -> list[str]:
    content_type = page.content_type.lower()
    if "text/csv" in content_type:
        return csv_problems(page.text, where=page.url)
    if "text/calendar" in content_type:
        return ics_problems(page.text, where=page.url)
    return []


def walk(client: Client, *starts: str, per_route: int = 40, skip=(), only=("/",)) -> Walker:
    walker = Walker(client, per_route=per_route, fill=FILL, skip=skip, only=only, check=check_text_formats)
    walker.walk(*starts)
    return walker


def unseen(values: dict[str, str], pages: list[Page]) -> list[str]:
    texts = [text for page in pages for text in page.texts]
    return sorted(tag for tag, value in values.items() if not any(first_line(value) in t for t in texts))


def test_payloads_in_every_free_text_field_come_out_escaped_on_every_staff_page(world, poisoned):
    walkers = {
        role: walk(client_for(world.acme.user(role)), "/", skip=("/admin/",))
        for role in (Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER)
    }

    pages = [page for walker in walkers.values() for page in walker.pages] + poisoned.rendered
    assert problems_of(pages) == []
    failures = {role: walker.failures for role, walker in walkers.items() if walker.failures}
    assert failures == {}, "\n".join(f"{r}: {f}" for r, fs in failures.items() for f in fs)
    assert [f"{page.url} answered {page.status}" for page in poisoned.rendered if page.status != 200] == []
    assert unseen(poisoned.staff_values, pages) == []
    # The walk reached the pages that matter (a guard against a walker that stops early).
    visited = {urlsplit(page.url).path for page in walkers[Role.ADMIN].pages}
    applicant = poisoned.applicant
    for name, args in (
        ("dashboard", []),
        ("accounts:audit_log", []),
        ("accounts:user_list", []),
        ("applicants:detail", [applicant.pk]),
        ("applicants:edit", [applicant.pk]),
        ("applicants:export", []),
        ("scheduling:slot_list", []),
        ("notifications:mail_list", []),
        ("notifications:mailbox", []),
        ("zoom_integration:zoom", []),
    ):
        assert reverse(name, args=args) in visited, name
    interviewer_paths = {urlsplit(page.url).path for page in walkers[Role.INTERVIEWER].pages}
    assert reverse("applicants:detail", args=[applicant.pk]) in interviewer_paths


def test_an_interviewer_reads_only_the_bookings_of_the_slots_they_host(world, poisoned):
    """The role matrix, on content: the other events' bookings and the applicant's mails stay hidden."""
    walker = walk(client_for(world.acme.interviewer), "/", skip=("/admin/",))
    texts = [text for page in walker.pages for text in page.texts]

    assert any(first_line(payload("EH")) in text for text in texts)  # their own event
    for tag in ("EV", "EO", "MS", "MB", "DC"):  # events hosted by others; mails; 合否判定 comments
        assert not any(first_line(payload(tag)) in text for text in texts), tag


def test_the_applicants_pages_escape_the_payloads_and_answer_200(world, poisoned):
    walkers = [walk(Client(), link) for link in poisoned.links]
    pages = [page for walker in walkers for page in walker.pages]

    assert problems_of(pages) == []
    assert [failure for walker in walkers for failure in walker.failures] == []
    assert unseen(poisoned.applicant_values, pages) == []
    assert len(pages) >= 6  # home, slots, bookings, change, cancel pages of two applicants
    for broken in (poisoned.links[0][:-5] + "xxxx/", "/b/" + "<script>alert(1)</script>/"):
        response = Client().get(broken)
        assert response.status_code in (404, 410)
        assert html_problems(response.content.decode()) == []


def test_the_operators_admin_pages_escape_the_payloads(db, poisoned):
    operator = UserFactory(company=None, email="operator@example.com", is_staff=True, is_superuser=True)
    walker = walk(client_for(operator), "/admin/", per_route=3, skip=("/admin/logout/",), only=("/admin/",))

    assert problems_of(walker.pages) == []
    assert walker.failures == []
    assert len(walker.pages) > 30


def test_mails_carry_the_payloads_verbatim_and_their_invites_stay_well_formed(world, poisoned):
    company = poisoned.company
    mails = list(MailboxMessage.objects.all())
    assert len(mails) >= SentMail.objects.count() > 10
    problems: list[str] = []
    system = system_from_address()
    for message in mails:
        where = f"mail {message.subject[:40]!r}"
        problems += text_problems(message.subject + message.body, where=where)
        parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
        if parseaddr(str(parsed["From"]))[1] != system:
            problems.append(f"{where}: From {parsed['From']!r} is not the system address")
        # Decoded word by word (email.policy's address parser adds spaces between encoded words).
        sender = str(make_header(decode_header(email.message_from_bytes(bytes(message.raw))["From"])))
        if message.company_id and sender != f"{payload('SE')} <{system}>":
            problems.append(f"{where}: sender {sender!r} is not the name typed")
        if any(name.lower().startswith("x-injected") for name in parsed):
            problems.append(f"{where}: injected header")
        if "\n" in message.subject:
            problems.append(f"{where}: subject on several lines")
    assert problems == []

    applicant = poisoned.applicant
    confirmed = SentMail.objects.filter(applicant_id=applicant.pk, kind=MailKind.BOOKING_CONFIRMED).first()
    for value in (payload("AN"), payload("CO"), payload("SM")):
        assert value in confirmed.body  # as typed: its own {応募者名} and {{7*7}} are not substituted
    # In the template itself {{ is a brace and {応募者名} the applicant's name (inserted once, as typed).
    assert f"MB{SCRIPT}{IMG}{QUOTE}{{7*7}}{payload('AN')}" in confirmed.body
    assert f"MS{SCRIPT}{IMG}{QUOTE}{{7*7}}{payload('AN')}" in confirmed.subject
    assert SentMail.objects.filter(kind=MailKind.BOOKING_CONFIRMED, body__contains=payload("PL")).exists()
    host_notice = SentMail.objects.filter(kind=MailKind.HOST_NOTICE, applicant_id=applicant.pk).first()
    assert payload("UI") in host_notice.body and payload("AN") in host_notice.body
    invited = MailboxMessage.objects.filter(recipients="new.recruiter@acme.example.com").get()
    assert payload("UN") in invited.body and payload("CO") in invited.subject
    reauthorize = MailboxMessage.objects.filter(body__contains=payload("ZE")).get()
    assert payload("CO") in reauthorize.subject

    invites = [mail for mail in SentMail.objects.filter(company=company) if mail.ics]
    assert len(invites) >= 5
    for mail in invites:
        assert ics_problems(mail.ics, where=f"invite of {mail.get_kind_display()}") == []
        texts = ics_texts(mail.ics)
        assert any(payload("CO") in text for text in texts)
        if mail.applicant_id == applicant.pk:
            assert any(payload("AN") in text for text in texts), "the attendee's name as typed"


def test_the_csv_export_guards_formula_cells_and_keeps_payloads_as_text(world, poisoned):
    recruiter = client_for(world.acme.recruiter)
    for encoding in ("utf8", "sjis"):
        response = recruiter.get(
            reverse("applicants:export"), {"encoding": encoding, "accept_replacements": "1"}
        )
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8-sig" if encoding == "utf8" else "cp932")
        assert csv_problems(text, where=encoding) == []
        rows = list(csv.reader(io.StringIO(text)))
        formula = next(row for row in rows if "formula@example.jp" in row)
        assert "'=1+1" in formula and "'+SUM(1)" in formula and "'@cmd" in formula
        if encoding == "utf8":
            assert any(payload("AN") in cell for row in rows for cell in row)
    # 😀 has no Shift_JIS code: the report page names the applicant (a payload) before any file is written.
    report = recruiter.get(reverse("applicants:export"), {"encoding": "sjis"})
    assert report.status_code == 200 and "text/html" in report["Content-Type"]
    scanned = scan_html(report.content.decode())
    assert scanned.problems == []
    assert payload("CN") in scanned.texts


def test_what_a_url_carries_is_escaped_on_error_and_refusal_pages(world):
    """Reflected input: a query Zoom sends back, a login redirect target, paths that do not exist."""
    admin, anonymous = client_for(world.acme.admin), Client()
    text = payload("R")
    answers = [
        (admin.get(reverse("zoom_integration:callback"), {"error": text, "state": text}), 400),
        (anonymous.get(reverse("accounts:login"), {"next": text}), 200),
        (anonymous.get(reverse("accounts:password_reset"), {"email": text}), 200),
        (admin.get("/applicants/" + text + "/"), 404),
        (admin.get("/" + text), 404),
        (admin.get(reverse("applicants:list"), {"q": text, "page": text, "sort": text, "tag": text}), 200),
        (admin.get(reverse("accounts:audit_log"), {"q": text, "date_from": text, "actor": text}), 200),
    ]
    for response, status in answers:
        assert response.status_code == status
        assert html_problems(response.content.decode()) == [], response.request["PATH_INFO"]
    refusal = scan_html(answers[0][0].content.decode())
    assert any(text[:60] in shown for shown in refusal.texts)  # Zoom's error code, shown as text
