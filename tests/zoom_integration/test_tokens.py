"""Getting a usable token: refresh only near expiry, under the row lock, rotated pair saved; invalid_grant."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from tests.factories import CompanyFactory
from tests.helpers import client_for
from web_meetings.crypto import decrypt_token
from zoom_integration import client, services
from zoom_integration.client import ZoomNotLinked, ZoomReauthorizationRequired
from zoom_integration.models import ConnectionStatus, ZoomConnection

from .factories import ZoomConnectionFactory
from .helpers import API, OAUTH, form, token_json

pytestmark = pytest.mark.django_db


def _expire_in(connection, delta):
    connection.expires_at = timezone.now() + delta
    connection.save(update_fields=["expires_at"])


def test_a_token_valid_for_more_than_five_minutes_is_used_without_refreshing(zoom_http, connection):
    _expire_in(connection, timedelta(minutes=6))
    assert services.get_access_token(connection) == "at-initial"
    assert len(zoom_http.calls) == 0


def test_a_token_expiring_within_five_minutes_is_refreshed_and_the_rotated_pair_saved(zoom_http, connection):
    _expire_in(connection, timedelta(minutes=4))
    zoom_http.post(f"{OAUTH}/oauth/token", json=token_json("at-2", "rt-2"))

    assert services.get_access_token(connection) == "at-2"

    assert form(zoom_http.calls[0]) == {"grant_type": "refresh_token", "refresh_token": "rt-initial"}
    stored = ZoomConnection.objects.get(pk=connection.pk)
    assert decrypt_token(stored.access_token_encrypted) == "at-2"
    assert decrypt_token(stored.refresh_token_encrypted) == "rt-2"
    assert stored.expires_at > timezone.now() + timedelta(minutes=55)
    assert "at-2" not in stored.access_token_encrypted  # encrypted at rest


def test_the_row_is_read_again_after_the_lock_so_a_refresh_done_meanwhile_is_reused(zoom_http, connection):
    stale = ZoomConnection.objects.get(pk=connection.pk)
    stale.expires_at = timezone.now() + timedelta(minutes=1)  # what this worker saw before another refreshed
    assert services.get_access_token(stale) == "at-initial"
    assert len(zoom_http.calls) == 0


def test_a_rejected_token_is_not_refreshed_again_when_another_worker_already_did(zoom_http, connection):
    assert services.get_access_token(connection, rejected_token="at-older") == "at-initial"
    assert len(zoom_http.calls) == 0


def test_a_refused_refresh_token_puts_the_link_in_error_clears_tokens_audits_and_mails_admins(
    zoom_http, connection, world, django_capture_on_commit_callbacks
):
    _expire_in(connection, timedelta(minutes=1))
    zoom_http.post(
        f"{OAUTH}/oauth/token", status=400, json={"reason": "Invalid Token!", "error": "invalid_grant"}
    )

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZoomReauthorizationRequired):
        services.get_access_token(connection)

    stored = ZoomConnection.objects.get(pk=connection.pk)
    assert stored.status == ConnectionStatus.ERROR
    assert stored.get_status_display() == "エラー（再認可が必要）"
    assert (stored.access_token_encrypted, stored.refresh_token_encrypted, stored.expires_at) == (
        "",
        "",
        None,
    )
    assert "invalid_grant" in stored.last_error
    entry = AuditEntry.objects.get(action="zoom.reauthorization_required")
    assert entry.company == world.acme.company and entry.details["cause"] == "invalid_grant"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.acme.admin.email]
    assert "再認可" in mail.outbox[0].subject
    assert "http://testserver/web-interview/zoom/" in mail.outbox[0].body
    # The caller's instance follows: the next call is refused without any HTTP.
    with pytest.raises(ZoomNotLinked):
        services.get_access_token(connection)
    assert len(zoom_http.calls) == 1


def test_a_second_failure_does_not_mail_the_admins_again(
    zoom_http, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_reauthorization_required(connection=connection, reason="x", cause="unauthorized")
        services.mark_reauthorization_required(connection=connection, reason="y", cause="unauthorized")
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="zoom.reauthorization_required").count() == 1


def test_the_error_banner_is_shown_to_the_company_admins_on_every_page(connection, world):
    services.mark_reauthorization_required(connection=connection, reason="x", cause="invalid_grant")
    banner = "Zoom連携が「エラー（再認可が必要）」の状態です"
    assert banner in client_for(world.acme.admin).get(reverse("dashboard")).content.decode()
    assert banner in client_for(world.acme.admin).get(reverse("accounts:user_list")).content.decode()
    assert banner not in client_for(world.acme.recruiter).get(reverse("dashboard")).content.decode()
    assert banner not in client_for(world.other.admin).get(reverse("dashboard")).content.decode()


def test_no_banner_while_the_link_works(connection, world):
    page = client_for(world.acme.admin).get(reverse("dashboard")).content.decode()
    assert "再認可が必要" not in page


def test_usable_connection_says_why_a_company_cannot_use_zoom(world, connection, settings):
    assert services.usable_connection(world.acme.company) == connection
    with pytest.raises(ZoomNotLinked, match="認可待ち"):
        services.usable_connection(world.other.company)
    with pytest.raises(ZoomNotLinked, match="未利用"):
        services.usable_connection(CompanyFactory(zoom_enabled=False))
    connection.status = ConnectionStatus.RELEASED
    connection.save()
    with pytest.raises(ZoomNotLinked, match="解除"):
        services.usable_connection(world.acme.company)
    connection.status = ConnectionStatus.ERROR
    connection.save()
    with pytest.raises(ZoomNotLinked, match="再認可"):
        services.usable_connection(world.acme.company)
    settings.ZOOM_CLIENT_ID = ""
    with pytest.raises(ZoomNotLinked, match="設定されていません"):
        services.usable_connection(world.acme.company)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_workers_make_exactly_one_refresh_call_and_all_use_the_new_token(zoom_http):
    """Ten threads see an expiring token at once: the row lock lets one refresh; the others reuse its pair."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    company = CompanyFactory()
    connection = ZoomConnectionFactory(company=company, expires_at=timezone.now() + timedelta(minutes=2))
    refresh_calls = []

    def token_endpoint(request):
        refresh_calls.append(form_body(request))
        time.sleep(0.3)  # a slow Zoom widens the race window
        return 200, {}, json_dumps(token_json(f"at-{len(refresh_calls)}", f"rt-{len(refresh_calls)}"))

    zoom_http.add_callback(
        "POST", f"{OAUTH}/oauth/token", callback=token_endpoint, content_type="application/json"
    )
    zoom_http.get(f"{API}/users/me", json={"id": "me", "account_id": connection.zoom_account_id})

    start = threading.Barrier(10)
    used_tokens: list[str] = []
    errors: list[BaseException] = []

    def worker():
        try:
            mine = ZoomConnection.objects.get(pk=connection.pk)
            start.wait()
            client.get_me(mine)
            used_tokens.append(services.get_access_token(mine))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(refresh_calls) == 1
    assert refresh_calls[0]["refresh_token"] == "rt-initial"
    assert used_tokens == ["at-1"] * 10
    bearer = {
        call.request.headers["Authorization"] for call in zoom_http.calls if "/users/me" in call.request.url
    }
    assert bearer == {"Bearer at-1"}
    stored = ZoomConnection.objects.get(pk=connection.pk)
    assert decrypt_token(stored.refresh_token_encrypted) == "rt-1"


def form_body(request) -> dict[str, str]:
    from urllib.parse import parse_qs

    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    return {key: values[0] for key, values in parse_qs(body).items()}


def json_dumps(data: dict) -> str:
    import json

    return json.dumps(data)
