"""Sign-in throttling behind a proxy: per (client address, account), counted before the password check,
growing delays, and an account lock that the company's admin sees and lifts."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import throttling
from accounts.audit import record_audit
from accounts.models import AuditEntry, User
from accounts.network import client_ip
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
LOGIN = "/accounts/login/"


def _sign_in(email: str, password: str, *, forwarded_for: str | None = None, client: Client | None = None):
    client = client or Client()
    headers = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    response = client.post(LOGIN, {"username": email, "password": password}, **headers)
    return response, client


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- the client address -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "203.0.113.9", PROXY),  # no proxy trusted: the header is the client's own claim
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the left entry was written by the client
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.4", "203.0.113.9"),
        (1, "", PROXY),  # reached the site without the proxy
        (1, "not-an-address", PROXY),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_ip_is_read_from_the_right_of_x_forwarded_for(settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_the_audit_log_records_the_client_behind_the_trusted_proxy(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")

    entry = record_audit(action="user.updated", actor=world.acme.admin, request=request)

    assert entry.ip_address == "203.0.113.9"


# --- the proxy lockout (finding 1) ----------------------------------------------------------------------


def test_an_attacker_behind_the_trusted_proxy_spraying_emails_locks_nobody_out(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(25):
        _sign_in(f"nobody{number}@example.com", "wrong", forwarded_for="203.0.113.66")
        _sign_in("admin@acme.example.com", "wrong", forwarded_for="203.0.113.66")

    response, client = _sign_in("admin@acme.example.com", TEST_PASSWORD, forwarded_for="198.51.100.7")

    assert response.status_code == 302 and _signed_in(client)
    _response, operator = _sign_in("recruiter@other.example.com", TEST_PASSWORD, forwarded_for="198.51.100.8")
    assert _signed_in(operator)


def test_an_untrusted_x_forwarded_for_cannot_dodge_the_throttle(world, settings):
    """Without a trusted proxy the header is ignored: a new made-up address per try gains nothing."""
    settings.TRUSTED_PROXY_COUNT = 0
    for number in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in("admin@acme.example.com", "wrong", forwarded_for=f"192.0.2.{number}")

    response, client = _sign_in("admin@acme.example.com", TEST_PASSWORD, forwarded_for="192.0.2.200")

    assert not _signed_in(client)
    assert "秒ほど待ってから再度お試しください" in response.content.decode()


def test_with_a_trusted_proxy_the_throttle_is_per_client_address(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in("admin@acme.example.com", "wrong", forwarded_for="203.0.113.66")

    _response, attacker = _sign_in("admin@acme.example.com", TEST_PASSWORD, forwarded_for="203.0.113.66")
    _response, colleague = _sign_in("admin@acme.example.com", TEST_PASSWORD, forwarded_for="203.0.113.67")

    assert not _signed_in(attacker)
    assert _signed_in(colleague)


def test_the_django_admin_signs_in_through_the_throttled_login(db, settings):
    User.objects.create_superuser(email="operator@example.com", password=TEST_PASSWORD)

    response = Client().get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=/admin/"
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in("operator@example.com", "wrong")
    response, client = _sign_in("operator@example.com", TEST_PASSWORD)
    assert not _signed_in(client)


# --- growing delays -----------------------------------------------------------------------------------------


def test_delays_double_after_the_limit_and_tell_the_user_how_long(world, settings, monkeypatch):
    settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_DELAY_SECONDS, settings.LOGIN_DELAY_MAX_SECONDS = 2, 30, 100
    clock = [1_000_000.0]
    monkeypatch.setattr(throttling, "_now", lambda: clock[0])
    email = "recruiter@acme.example.com"
    for _ in range(2):
        _sign_in(email, "wrong")

    response, client = _sign_in(email, TEST_PASSWORD)
    assert not _signed_in(client) and "30秒ほど待って" in response.content.decode()

    clock[0] += 30  # the first pass opens 30 s after the first try
    _sign_in(email, "wrong")
    clock[0] += 59  # the next one 60 s later
    response, client = _sign_in(email, TEST_PASSWORD)
    assert not _signed_in(client) and "1秒ほど待って" in response.content.decode()

    clock[0] += 1
    _response, client = _sign_in(email, TEST_PASSWORD)
    assert _signed_in(client)
    assert [pytest.approx(throttling.pass_opens_after(n)) for n in (1, 2, 3, 4)] == [30, 90, 190, 290]


def test_concurrent_wrong_passwords_are_counted_before_any_is_checked(world, settings, monkeypatch):
    """Finding 2: 16 tries at once against a limit of 5 check exactly 5 passwords."""
    checked = []
    monkeypatch.setattr(
        throttling, "_record_throttled", lambda email, request: None
    )  # no database in threads
    barrier = threading.Barrier(16)

    def attempt():
        barrier.wait()
        if throttling.admit_attempt("admin@acme.example.com", None) is None:
            checked.append(1)  # here the backend would check the password
            time.sleep(0.02)  # and take a while, so every other try arrives meanwhile

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(checked) == settings.LOGIN_FAILURE_LIMIT


# --- the account lock --------------------------------------------------------------------------------


def _many_addresses_fail(settings, email: str, count: int) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(count):
        _sign_in(email, "wrong", forwarded_for=f"198.51.100.{number + 1}")


def test_wrong_passwords_from_many_addresses_lock_the_account_and_the_log_says_so(world, settings):
    settings.LOGIN_ACCOUNT_LOCK_THRESHOLD = 8
    _many_addresses_fail(settings, "recruiter@acme.example.com", 8)

    recruiter = User.objects.get(email="recruiter@acme.example.com")
    assert recruiter.is_locked
    entry = AuditEntry.objects.get(action="user.locked")
    assert entry.company == world.acme.company and entry.target_id == str(recruiter.pk)
    assert entry.ip_address == "198.51.100.8"

    response, client = _sign_in("recruiter@acme.example.com", TEST_PASSWORD, forwarded_for="203.0.113.1")
    assert not _signed_in(client)
    assert "このアカウントはロックされています" in response.content.decode()


def test_a_locked_account_reveals_nothing_to_a_wrong_password(world, settings):
    settings.LOGIN_ACCOUNT_LOCK_THRESHOLD = 3
    _many_addresses_fail(settings, "recruiter@acme.example.com", 3)

    response, _client = _sign_in("recruiter@acme.example.com", "still-wrong", forwarded_for="203.0.113.1")

    assert "メールアドレスまたはパスワードが正しくありません。" in response.content.decode()


def test_the_admin_sees_the_lock_in_user_management_and_lifts_it(world, settings, as_admin):
    settings.LOGIN_ACCOUNT_LOCK_THRESHOLD = 3
    _many_addresses_fail(settings, "recruiter@acme.example.com", 3)
    recruiter = world.acme.recruiter

    page = as_admin.get(reverse("accounts:user_list")).content.decode()
    assert "ロック中" in page and reverse("accounts:user_unlock", args=[recruiter.pk]) in page

    response = as_admin.post(reverse("accounts:user_unlock", args=[recruiter.pk]), follow=True)

    assert "のロックを解除しました" in response.content.decode()
    recruiter.refresh_from_db()
    assert not recruiter.is_locked
    assert AuditEntry.objects.filter(action="user.unlocked", actor=world.acme.admin).count() == 1
    _response, client = _sign_in("recruiter@acme.example.com", TEST_PASSWORD, forwarded_for="203.0.113.1")
    assert _signed_in(client)


def test_a_lock_ends_by_itself_after_its_time(world, settings):
    settings.LOGIN_ACCOUNT_LOCK_THRESHOLD, settings.LOGIN_ACCOUNT_LOCK_SECONDS = 3, 60
    _many_addresses_fail(settings, "recruiter@acme.example.com", 3)
    User.objects.filter(pk=world.acme.recruiter.pk).update(locked_until="2000-01-01T00:00:00Z")

    _response, client = _sign_in("recruiter@acme.example.com", TEST_PASSWORD, forwarded_for="203.0.113.1")

    assert _signed_in(client)
    assert User.objects.get(pk=world.acme.recruiter.pk).locked_at is None


def test_an_admin_cannot_unlock_another_company_user(world, as_admin):
    other = world.other.recruiter
    User.objects.filter(pk=other.pk).update(locked_at="2030-01-01T00:00:00Z")

    response = as_admin.post(reverse("accounts:user_unlock", args=[other.pk]))

    assert response.status_code == 404
    assert User.objects.get(pk=other.pk).locked_at is not None


def test_unlock_is_admin_only(world, as_recruiter):
    target = world.acme.interviewer
    assert as_recruiter.post(reverse("accounts:user_unlock", args=[target.pk])).status_code == 403


def test_operators_lift_a_lock_in_the_django_admin_with_an_audit_entry(world):
    operator = User.objects.create_superuser(email="operator@example.com", password=TEST_PASSWORD)
    User.objects.filter(pk=world.acme.recruiter.pk).update(locked_at="2030-01-01T00:00:00Z")
    client = Client()
    client.force_login(operator)

    response = client.post(
        "/admin/accounts/user/", {"action": "unlock", "_selected_action": [world.acme.recruiter.pk]}
    )

    assert response.status_code == 302
    assert User.objects.get(pk=world.acme.recruiter.pk).locked_at is None
    assert AuditEntry.objects.filter(action="user.unlocked", actor=operator).exists()
    assert check_password(TEST_PASSWORD, User.objects.get(pk=world.acme.recruiter.pk).password)
