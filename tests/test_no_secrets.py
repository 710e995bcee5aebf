"""No Zoom token, client or webhook secret, authorization code, PKCE verifier, password or host start URL
(ZAK) in any log record, in anything an applicant sees (pages, mails, invites), or on a staff page.

The sensitive flows run in-process against the Zoom emulator: link (authorize, callback, code exchange),
refresh, a 401 answered by one refresh and a retry, webhooks (url_validation, meeting.updated and
meeting.deleted, a forged one, app_deauthorized), meeting issuance and the host's start link, 連携解除
(revoke), a removal in Zoom that surfaces as エラー（再認可が必要）, sign-in with a wrong password until
throttled, password reset and change, a user created with a password, and an applicant who books through
the mailed personal link and is mailed about every change.

The secrets are the real values of the run: caught as the emulator issues them (codes, token pairs,
ZAKs, start URLs), read from the product's requests to it (code_verifier, the Basic credentials), from
settings, and from the database (the stored pair, decrypted). Log records are captured raw from every
logger at DEBUG, SQL included: the redaction filter of e2rpro/logging.py sits on the console handler
only, so these records are what the product wrote, not what the filter would hide.
"""

from __future__ import annotations

import base64
import logging
import re
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection as db_connection
from django.db.models import BinaryField, CharField, JSONField, TextField
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from booking import links
from booking.models import Booking, BookingInvitation
from e2rpro.logging import RedactSecretsFilter
from notifications.models import MailboxMessage, SentMail
from notifications.reminders import run_reminder_sources
from scheduling import services
from scheduling.models import Slot
from scheduling.services import SlotSpec
from tests.applicants.factories import ApplicantFactory
from tests.factories import TEST_PASSWORD, UserFactory
from tests.helpers import client_for
from tests.probes.pages import Walker
from tests.scheduling.factories import SelectionMeetingFactory
from web_meetings.crypto import decrypt_token
from zoom_integration import client as zoom_client
from zoom_integration import services as zoom_services
from zoom_integration.client import ZoomReauthorizationRequired
from zoom_integration.models import ConnectionStatus, ZoomConnection, ZoomUser
from zoom_integration.webhooks import signature_for

pytestmark = pytest.mark.django_db(transaction=True)

START_URL = re.compile(r"zak=|/s/\d+")
HOST_EMAIL = "recruiter@demo.example.com"  # a licensed user of the emulator's account
WRONG_PASSWORD = "Wrong-password-4711"
RESET_PASSWORD = "Reset-password-0815"
CHANGED_PASSWORD = "Changed-password-2342"
INITIAL_PASSWORD = "Initial-password-1234"
# Attributes every LogRecord has; any other is an `extra` the product passed, and is searched too.
PRODUCT_APPS = {"accounts", "applicants", "scheduling", "notifications", "zoom_integration"}
RECORD_ATTRIBUTES = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {
    "message",
    "asctime",
}


@dataclass
class Secrets:
    """Every secret value of the run, with what it is."""

    labels: dict[str, set[str]] = field(default_factory=dict)

    def add(self, label: str, value: str | None) -> None:
        if value and len(value) >= 8:
            self.labels.setdefault(value, set()).add(label)

    @property
    def kinds(self) -> set[str]:
        return set().union(*self.labels.values())

    def found_in(self, text: str) -> list[str]:
        found = {" / ".join(sorted(labels)) for value, labels in self.labels.items() if value in text}
        if START_URL.search(text):
            found.add("a start URL (zak= or /s/<id>)")
        return sorted(found)


@pytest.fixture
def every_log(caplog):
    """Every record of every logger at DEBUG, raw, SQL with its parameters included."""
    caplog.set_level(logging.DEBUG)
    names = list(logging.root.manager.loggerDict)
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    silent = [logging.getLogger(name) for name in names if not logging.getLogger(name).propagate]
    for logger in silent:
        logger.addHandler(caplog.handler)
    db_connection.force_debug_cursor = True  # what DEBUG=True would log
    yield caplog
    db_connection.force_debug_cursor = False
    logging.disable(logging.NOTSET)
    for logger in silent:
        logger.removeHandler(caplog.handler)


def record_text(record: logging.LogRecord) -> str:
    """Everything a handler could write for the record: message, traceback, stack, extra fields."""
    parts = [record.getMessage()]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    parts += [record.exc_text or "", record.stack_info or ""]
    parts += [repr(value) for key, value in vars(record).items() if key not in RECORD_ATTRIBUTES]
    return "\n".join(parts)


# --- the secrets, as the emulator hands them out ---------------------------------------------------------


def catch_emulator_secrets(emu, secrets: Secrets, monkeypatch) -> None:
    core = emu.core
    issue_code, issue_pair, new_zak, meeting_view = (
        core._issue_code,
        core._issue_token_pair,
        core._new_zak,
        core.meeting_view,
    )

    def caught_code(*args, **kwargs):
        code = issue_code(*args, **kwargs)
        secrets.add("authorization code", code)
        return code

    def caught_pair(*args, **kwargs):
        pair = issue_pair(*args, **kwargs)
        secrets.add("access token", pair["access_token"])
        secrets.add("refresh token", pair["refresh_token"])
        return pair

    def caught_zak(*args, **kwargs):
        zak = new_zak(*args, **kwargs)
        secrets.add("ZAK", zak)
        return zak

    def caught_view(*args, **kwargs):
        view = meeting_view(*args, **kwargs)
        secrets.add("start URL", view.get("start_url"))
        return view

    monkeypatch.setattr(core, "_issue_code", caught_code)
    monkeypatch.setattr(core, "_issue_token_pair", caught_pair)
    monkeypatch.setattr(core, "_new_zak", caught_zak)
    monkeypatch.setattr(core, "meeting_view", caught_view)


def catch_request_secrets(emu, secrets: Secrets) -> None:
    """What the product sent to Zoom: PKCE verifiers, codes, refresh and revoked tokens, bearer tokens."""
    for request in emu.requests:
        if request.method == "POST" and request.path.startswith("/oauth/"):
            form = request.form()
            for name in ("code", "code_verifier", "refresh_token", "token"):
                secrets.add(f"{name} sent to Zoom", form.get(name))
        authorization = request.headers.get("Authorization") or request.headers.get("authorization") or ""
        secrets.add("Authorization credentials", authorization.partition(" ")[2])


def catch_stored_secrets(secrets: Secrets) -> None:
    for connection in ZoomConnection.objects.all():
        for name in ("access_token_encrypted", "refresh_token_encrypted"):
            stored = getattr(connection, name)
            if stored:
                secrets.add(f"stored {name} (decrypted)", decrypt_token(stored))


def catch_setting_secrets(emu, secrets: Secrets) -> None:
    secrets.add("client secret", emu.client_secret)
    secrets.add("webhook secret token", emu.webhook_secret_token)
    basic = base64.b64encode(f"{emu.client_id}:{emu.client_secret}".encode()).decode()
    secrets.add("client credentials (Basic)", basic)
    secrets.add("SECRET_KEY", settings.SECRET_KEY)
    for key in settings.TOKEN_ENCRYPTION_KEYS:
        secrets.add("TOKEN_ENCRYPTION_KEYS", key)
    for label, value in (
        ("a user's password", TEST_PASSWORD),
        ("a wrong password typed at sign-in", WRONG_PASSWORD),
        ("the password set by reset", RESET_PASSWORD),
        ("the changed password", CHANGED_PASSWORD),
        ("an initial password set by an admin", INITIAL_PASSWORD),
    ):
        secrets.add(label, value)


# --- the flows -----------------------------------------------------------------------------------------


def link(admin: Client, emu) -> None:
    """認可開始 → Zoom sign-in → Allow → callback (code exchange, /users/me, user sync)."""
    location = admin.post(reverse("zoom_integration:authorize"))["Location"]
    back = urlsplit(emu.approve(location))
    response = admin.get(f"{back.path}?{back.query}")
    assert response.status_code == 302, response.content[:500]


def expire_soon(company) -> ZoomConnection:
    connection = ZoomConnection.objects.get(company=company)
    connection.expires_at = timezone.now() + timedelta(minutes=1)
    connection.save(update_fields=["expires_at"])
    return connection


def zoom_flows(world, emu) -> Slot:
    company = world.acme.company
    admin, recruiter = client_for(world.acme.admin), client_for(world.acme.recruiter)
    link(admin, emu)
    # issuance: the create answer carries a start_url the product must drop
    host = ZoomUser.objects.get(company=company, email=HOST_EMAIL)
    event = services.create_event(
        selection_meeting=SelectionMeetingFactory(company=company, name="一次面接"),
        actor=world.acme.recruiter,
        settings={
            "name": "Web面接",
            "web_meeting": "zoom",
            "meeting_host_id": host.zoom_user_id,
            "meeting_host_email": host.email,
            "meeting_host_name": host.display_name,
            "reminder_hours_before": 72,
        },
    )
    starts = timezone.now().replace(microsecond=0, second=0) + timedelta(days=5)
    slots = [
        services.create_slot(
            event=event,
            actor=world.acme.recruiter,
            spec=SlotSpec(starts_at=start, ends_at=start + timedelta(hours=1), capacity=2, is_published=True),
        )
        for start in (starts, starts + timedelta(days=1))
    ]
    slot = Slot.objects.get(pk=slots[0].pk)
    assert slot.join_url
    # ホストとして開始: a fresh start URL, straight to the browser
    start = recruiter.get(reverse("scheduling:slot_start", args=[slot.pk]))
    assert start.status_code == 302 and "zak=" in start["Location"]
    # refresh, then a token Zoom expired before we expected: 401 → one refresh → retry
    zoom_client.get_me(expire_soon(company))
    emu.advance(3700)
    assert zoom_client.get_me(ZoomConnection.objects.get(company=company))["id"]
    emu.set_clock(timezone.now())
    # webhooks: url_validation, meeting.updated and meeting.deleted in Zoom, a forged delivery
    assert emu.validate_webhook_url()
    other = Slot.objects.get(pk=slots[1].pk)
    emu.move_meeting_in_zoom(other.meeting_id, other.starts_at + timedelta(hours=3))
    emu.delete_meeting_in_zoom(other.meeting_id)
    body = b'{"event":"meeting.deleted","payload":{"account_id":"x","object":{"id":1}}}'
    stamp = str(int(timezone.now().timestamp()))
    forged = signature_for(secret="not-" + emu.webhook_secret_token, timestamp=stamp, body=body)
    refused = Client().post(
        reverse("zoom_webhook:receive"),
        body,
        content_type="application/json",
        headers={"x-zm-request-timestamp": stamp, "x-zm-signature": forged},
    )
    assert refused.status_code == 401
    # 連携解除 (revoke; app_deauthorized follows), link again
    admin.post(reverse("zoom_integration:unlink"))
    emu.deliver_webhooks()
    link(admin, emu)
    # removed in Zoom, the webhook late: the refresh is refused → エラー（再認可が必要）, admins mailed
    emu.core.remove_app()
    with pytest.raises(ZoomReauthorizationRequired):
        zoom_services.sync_zoom_users(connection=expire_soon(company))
    assert ZoomConnection.objects.get(company=company).status == ConnectionStatus.ERROR
    emu.deliver_webhooks()
    link(admin, emu)
    return Slot.objects.get(pk=slot.pk)


def password_flows(world) -> None:
    admin = world.acme.admin
    login = reverse("accounts:login")
    reset = Client()
    assert reset.post(reverse("accounts:password_reset"), {"email": admin.email}).status_code == 302
    message = MailboxMessage.objects.filter(recipients=admin.email).latest("pk")
    path = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form = reset.get(path, follow=True)
    done = reset.post(
        form.redirect_chain[-1][0], {"new_password1": RESET_PASSWORD, "new_password2": RESET_PASSWORD}
    )
    assert done.status_code == 302
    me = Client()
    assert me.post(login, {"username": admin.email, "password": RESET_PASSWORD}).status_code == 302
    changed = me.post(
        reverse("accounts:password_change"),
        {
            "old_password": RESET_PASSWORD,
            "new_password1": CHANGED_PASSWORD,
            "new_password2": CHANGED_PASSWORD,
        },
    )
    assert changed.status_code == 302
    created = me.post(
        reverse("accounts:user_create"),
        {
            "name": "新人 採用",
            "email": "new@acme.example.com",
            "role": Role.RECRUITER,
            "password": INITIAL_PASSWORD,
        },
    )
    assert created.status_code == 302
    assert Client().login(username="new@acme.example.com", password=INITIAL_PASSWORD)
    browser = Client()
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT + 1):  # until throttled
        refused = browser.post(login, {"username": admin.email, "password": WRONG_PASSWORD})
    assert "ログインの失敗が続いた" in refused.content.decode()


def booking_flows(world, emu, slot: Slot) -> str:
    """日程選択案内 by mail, a booking through the link, a move, a re-issued URL, a reminder."""
    recruiter = client_for(world.acme.recruiter)
    applicant = ApplicantFactory(company=world.acme.company, name="佐藤 花子", email="hanako@example.jp")
    recruiter.post(
        reverse("booking_staff:applicant_invite", args=[applicant.pk]),
        {"events": [slot.event_id], "days": "30", "send_mail": "on"},
    )
    home = links.invitation_path(BookingInvitation.objects.get(applicant=applicant))
    phone = Client()
    assert phone.post(f"{home}slots/{slot.pk}/").status_code == 302
    assert Booking.objects.filter(applicant=applicant).exists()
    # To 10:00 the next day: two hours later crossed midnight for a slot made after 21:00 local time (the
    # form keeps a slot within its day), and the move was refused.
    local = timezone.localtime(slot.starts_at, world.acme.company.tzinfo).replace(hour=10, minute=0)
    local += timedelta(days=1)
    moved = recruiter.post(
        reverse("scheduling:slot_edit", args=[slot.pk]),
        {
            "date": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "end_time": (local + timedelta(hours=1)).strftime("%H:%M"),
            "capacity": "2",
            "visibility": "show",
        },
    )
    assert moved.status_code == 302
    slot.refresh_from_db()
    emu.delete_meeting_in_zoom(slot.meeting_id)  # gone in Zoom: re-issued with a new URL
    recruiter.post(reverse("scheduling:slot_reissue", args=[slot.pk]))
    run_reminder_sources(now=slot.starts_at - timedelta(hours=71))
    recruiter.get(reverse("scheduling:slot_start", args=[slot.pk]))  # the host starts it again
    return home


@dataclass
class Run:
    secrets: Secrets
    logs: list[logging.LogRecord]
    applicant_link: str


@pytest.fixture
def zoom(request):
    """The emulator in-process (default), or over real HTTP (urllib3 logs its request lines then)."""
    transport = getattr(request, "param", "in_process")
    return request.getfixturevalue("zoom_emulator_server" if transport == "over_http" else "zoom_emulator")


@pytest.fixture
def sensitive_run(world, every_log, zoom, settings, monkeypatch) -> Run:
    zoom_emulator = zoom
    settings.EMAIL_BACKEND = "notifications.backends.MailboxBackend"
    settings.SCHEDULING_PACING_BACKEND = "database"
    secrets = Secrets()
    catch_emulator_secrets(zoom_emulator, secrets, monkeypatch)
    slot = zoom_flows(world, zoom_emulator)
    password_flows(world)
    home = booking_flows(world, zoom_emulator, slot)
    catch_request_secrets(zoom_emulator, secrets)
    catch_stored_secrets(secrets)
    catch_setting_secrets(zoom_emulator, secrets)
    labels = secrets.kinds
    for expected in (
        "authorization code",
        "access token",
        "refresh token",
        "ZAK",
        "start URL",
        "code_verifier sent to Zoom",
        "token sent to Zoom",
        "client secret",
        "webhook secret token",
    ):
        assert expected in labels, f"the run never produced a {expected}"
    # The flows are over: the checks that follow walk pages, whose DEBUG lines would only slow them down.
    db_connection.force_debug_cursor = False
    logging.disable(logging.DEBUG)
    return Run(secrets=secrets, logs=list(every_log.records), applicant_link=home)


# --- the checks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("zoom", ["in_process", "over_http"], indirect=True)
def test_no_log_record_carries_a_token_secret_code_password_or_start_url(zoom, sensitive_run):
    logs = sensitive_run.logs
    loggers = {record.name for record in logs}
    # The flows really logged: Zoom calls, webhooks, SQL with its parameters.
    assert {"zoom_integration.client", "zoom_integration.views", "django.db.backends"} <= loggers
    if zoom.base_url:  # over HTTP: the connection pool logged every request line
        assert "urllib3.connectionpool" in loggers
    leaks = [
        f"{record.name} {record.levelname}: {found} in {record.getMessage()[:200]!r}"
        for record in logs
        if (found := sensitive_run.secrets.found_in(record_text(record)))
    ]
    assert leaks == []


def test_the_console_handler_redacts_whatever_a_library_might_log():
    """Defence in depth: the configured handler carries the filter (tested on its own in test_security)."""
    handlers = [handler for handler in logging.getLogger().handlers if handler.filters]
    assert any(isinstance(f, RedactSecretsFilter) for handler in handlers for f in handler.filters)


def applicant_outputs(run: Run) -> list[tuple[str, str]]:
    walker = Walker(Client(), per_route=40)
    walker.walk(run.applicant_link)
    assert walker.failures == [] and len(walker.pages) >= 3
    outputs = [(f"page {page.url}", page.text) for page in walker.pages]
    outputs += [
        (f"link problem page {path}", Client().get(path).content.decode())
        for path in (run.applicant_link[:-4] + "xxx/", "/b/nothing/")
    ]
    for mail in SentMail.objects.exclude(to_email__endswith="acme.example.com"):
        outputs.append((f"mail {mail.get_kind_display()}", f"{mail.subject}\n{mail.body}\n{mail.ics}"))
    for message in MailboxMessage.objects.filter(recipients="hanako@example.jp"):
        outputs.append((f"delivered mail {message.subject}", message.subject + message.body))
    return outputs


def test_applicant_pages_mails_and_invites_carry_no_secret_or_start_url(sensitive_run):
    outputs = applicant_outputs(sensitive_run)
    kinds = set(SentMail.objects.filter(to_email="hanako@example.jp").values_list("kind", flat=True))
    assert {"schedule_invitation", "booking_confirmed", "booking_changed", "url_changed", "reminder"} <= kinds
    join_url = Slot.objects.filter(bookings__isnull=False).get().join_url
    assert any(join_url in text for _where, text in outputs)  # the pages and mails are the real ones
    leaks = [
        f"{where}: {found}" for where, text in outputs if (found := sensitive_run.secrets.found_in(text))
    ]
    assert leaks == []


def test_staff_and_operator_pages_render_no_token_or_secret(world, sensitive_run):
    secrets = sensitive_run.secrets
    for connection in ZoomConnection.objects.all():  # not even encrypted
        secrets.add("encrypted token", connection.access_token_encrypted)
        secrets.add("encrypted token", connection.refresh_token_encrypted)
    operator = UserFactory(company=None, email="operator@example.com", is_staff=True, is_superuser=True)
    walkers = [
        Walker(client_for(User.objects.get(pk=world.acme.user(role).pk)), per_route=40, skip=("/admin/",))
        for role in (Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER)  # fresh: the admin changed the password
    ] + [Walker(client_for(operator), per_route=3, only=("/admin/",), skip=("/admin/logout/",))]
    for walker in walkers:
        walker.walk(walker.only[0] if walker.only != ("/",) else "/")
    pages = [page for walker in walkers for page in walker.pages]
    visited = {urlsplit(page.url).path for page in pages}
    assert reverse("zoom_integration:zoom") in visited and reverse("accounts:audit_log") in visited
    assert "/admin/zoom_integration/zoomconnection/" in visited
    started = [url for walker in walkers for url in walker.external if "zak=" in url]
    assert started, "ホストとして開始 redirected the host to Zoom (a Location header, never a page)"
    leaks = [f"{page.url}: {found}" for page in pages if (found := secrets.found_in(page.text))]
    assert leaks == []
    audit = [
        f"audit {entry.action}: {found}"
        for entry in world.acme.company.audit_entries.all()
        if (found := secrets.found_in(f"{entry.target_label} {entry.details}"))
    ]
    assert audit == []
    assert not User.objects.filter(password__in=[TEST_PASSWORD, INITIAL_PASSWORD, CHANGED_PASSWORD]).exists()


def as_text(value) -> str:
    return bytes(value).decode(errors="replace") if isinstance(value, memoryview | bytes) else str(value)


def test_the_database_keeps_no_secret_in_clear_and_no_start_url(sensitive_run):
    """Tokens are stored encrypted, passwords hashed, start URLs never: every text of every row is read."""
    leaks = []
    for model in apps.get_models():
        if model._meta.app_label not in PRODUCT_APPS:
            continue
        text_fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, CharField | TextField | JSONField | BinaryField)
        ]
        for row in model._base_manager.values_list(*text_fields):
            text = "\n".join(as_text(value) for value in row)
            if found := sensitive_run.secrets.found_in(text):
                leaks.append(f"{model._meta.label}: {found}")
    assert leaks == []
