"""Line breaks in user text (CR, U+2028, NEL, …) never start a line of their own in an .ics or a header."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace

import icalendar
import pytest
from django.urls import reverse

from notifications import services
from notifications.backends import BACKEND_PATH
from notifications.models import MailboxMessage, MailKind
from notifications.services import queue_mail
from notifications.text import replace_line_breaks
from tests.notifications.test_ics import _event, _invite

# Every character (or pair) some program ends a line at: str.splitlines() knows them all.
SEPARATORS = ["\r", "\n", "\r\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x1c", "\x1d", "\x1e"]
BREAK_CHARACTERS = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_PROPERTY_LINE = re.compile(r"^[A-Z][A-Z0-9-]*[;:]")


def _logical_lines(raw: bytes) -> list[str]:
    """The lines a reader that ends lines at any separator sees, folds joined back."""
    lines: list[str] = []
    for line in raw.decode().splitlines():
        if line.startswith((" ", "\t")) and lines:
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def _assert_no_injected_line(raw: bytes) -> list[str]:
    # Only CRLF ends a line: no other separator is written anywhere in the file.
    assert not BREAK_CHARACTERS.search(raw.decode().replace("\r\n", ""))
    lines = _logical_lines(raw)
    assert all(_PROPERTY_LINE.match(line) for line in lines), lines
    assert not [line for line in lines if line.startswith(("X-INJECTED", "ATTACH"))]
    components = [line for line in lines if line.startswith(("BEGIN:", "END:"))]
    assert components == [
        "BEGIN:VCALENDAR", "BEGIN:VTIMEZONE", "BEGIN:STANDARD", "END:STANDARD", "END:VTIMEZONE",
        "BEGIN:VEVENT", "END:VEVENT", "END:VCALENDAR",
    ]  # fmt: skip
    assert [line.split(";")[0].split(":")[0] for line in lines].count("ORGANIZER") == 1
    assert [line.split(";")[0].split(":")[0] for line in lines].count("ATTENDEE") == 1
    return lines


@pytest.mark.parametrize("sep", SEPARATORS, ids=repr)
def test_replace_line_breaks_replaces_each_break_once(sep):
    assert replace_line_breaks(f"a{sep}b{sep}{sep}c", " ") == "a b  c"
    assert replace_line_breaks(f"a{sep}b", "\n") == "a\nb"
    assert replace_line_breaks("tab\tstays", " ") == "tab\tstays"


@pytest.mark.parametrize("sep", SEPARATORS, ids=repr)
def test_single_line_properties_get_a_space_for_a_line_break(sep):
    raw = _invite(
        summary=f"一次面接{sep}X-INJECTED:1",
        location=f"本社 3階{sep}ATTACH:http://evil.example/",
        attendee_name=f"山田{sep}太郎",
        organizer_name=f"株式会社アクメ{sep}ORGANIZER:mailto:evil@example.com",
    )
    _assert_no_injected_line(raw)
    event = _event(icalendar.Calendar.from_ical(raw))
    assert event["SUMMARY"] == "一次面接 X-INJECTED:1"
    assert event["LOCATION"] == "本社 3階 ATTACH:http://evil.example/"
    assert event["ATTENDEE"].params["CN"] == "山田 太郎"
    assert event["ORGANIZER"].params["CN"] == "株式会社アクメ ORGANIZER:mailto:evil@example.com"
    assert str(event["ATTENDEE"]) == "mailto:taro@example.com"


@pytest.mark.parametrize("sep", SEPARATORS, ids=repr)
def test_the_description_keeps_each_line_break_as_one_newline(sep):
    raw = _invite(description=f"会場: 本社{sep}END:VEVENT{sep}{sep}持ち物: 筆記用具")
    lines = _assert_no_injected_line(raw)
    assert "DESCRIPTION:会場: 本社\\nEND:VEVENT\\n\\n持ち物: 筆記用具" in lines
    event = _event(icalendar.Calendar.from_ical(raw))
    assert event["DESCRIPTION"] == "会場: 本社\nEND:VEVENT\n\n持ち物: 筆記用具"


def test_text_without_line_breaks_is_written_as_before():
    calendar = icalendar.Calendar.from_ical(_invite(location="本社;3F, 会議室\\A"))
    event = _event(calendar)
    assert event["LOCATION"] == "本社;3F, 会議室\\A"
    assert event["SUMMARY"] == "一次面接（株式会社アクメ）"


# Mails: the subject is one header line, the body has LF line ends, the attached invite is clean.


@pytest.mark.django_db
@pytest.mark.parametrize("sep", ["\r", "\r\n", "\u2028", "\x85", "\x1e"], ids=repr)
def test_a_mail_subject_stays_on_one_line_and_the_body_gets_newlines(
    sep, world, booking_context, django_capture_on_commit_callbacks
):
    context = replace(
        booking_context,
        selection_meeting_name=f"一次面接{sep}Bcc: evil@example.com",
        venue=f"本社{sep}3階",
        join_url="",
        passcode="",
        is_web_interview=False,
    )
    with django_capture_on_commit_callbacks(execute=False):
        sent = queue_mail(
            company=world.acme.company,
            kind=MailKind.BOOKING_CONFIRMED,
            to="taro@example.com",
            context=context,
            ics=_invite(location=context.venue, summary=context.selection_meeting_name),
        )
    assert sent.subject == "【株式会社アクメ】一次面接 Bcc: evil@example.com ご予約完了のお知らせ"
    assert "会場: 本社\n3階" in sent.body
    assert not BREAK_CHARACTERS.search(sent.body.replace("\n", ""))
    _assert_no_injected_line(sent.ics.encode())
    message = services._email_message(sent).message()
    parsed = email.message_from_bytes(message.as_bytes(linesep="\r\n"), policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert " ".join(str(parsed["Subject"]).split()) == sent.subject
    assert message.get_all("Subject") is not None and len(message.get_all("Subject")) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("sep", ["%0D", "%0D%0A", "%E2%80%A8", "%C2%85"])
def test_a_mailbox_attachment_name_with_a_line_break_is_served_on_one_line(
    sep, settings, world, as_recruiter
):
    settings.EMAIL_BACKEND = BACKEND_PATH
    raw = (
        "From: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        f"--b\r\nContent-Type: text/calendar; charset=utf-8\r\n"
        f"Content-Disposition: attachment; filename*=utf-8''invite{sep}Set-Cookie%3A%20x.ics\r\n\r\n"
        "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n--b--\r\n"
    )
    message = MailboxMessage.objects.create(
        company=world.acme.company, from_email="a@example.com", recipients="b@example.com", subject="x",
        body="body", raw=raw.encode(),
    )  # fmt: skip
    response = as_recruiter.get(reverse("notifications:mailbox_attachment", args=[message.pk, 0]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="invite Set-Cookie: x.ics"'
    assert "Set-Cookie" not in response.headers
