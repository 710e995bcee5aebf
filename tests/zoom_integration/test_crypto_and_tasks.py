"""Tokens at rest (Fernet, key rotation), the periodic tasks, and the production settings guard."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import AuditEntry
from web_meetings.crypto import TokenDecryptionError, decrypt_token, encrypt_token
from zoom_integration import tasks
from zoom_integration.models import ConnectionStatus, WebhookEvent, ZoomConnection, ZoomUser

from .factories import ZoomConnectionFactory, ZoomUserFactory
from .helpers import add_users, zoom_user

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[2]


def test_tokens_are_encrypted_and_read_back():
    stored = encrypt_token("at-secret-value")
    assert "at-secret-value" not in stored
    assert decrypt_token(stored) == "at-secret-value"
    assert encrypt_token("") == decrypt_token("") == ""


def test_key_rotation_decrypts_with_an_old_key_and_the_command_reencrypts_with_the_newest(
    settings, connection
):
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
    assert decrypt_token(connection.access_token_encrypted) == "at-initial"  # still readable

    out = StringIO()
    call_command("rotate_token_keys", stdout=out)

    assert "1 connection" in out.getvalue()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key]  # the old key can go now
    stored = ZoomConnection.objects.get(pk=connection.pk)
    assert decrypt_token(stored.access_token_encrypted) == "at-initial"
    assert decrypt_token(stored.refresh_token_encrypted) == "rt-initial"


def test_a_token_no_configured_key_opens_is_reported_not_silently_dropped(settings, connection):
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(TokenDecryptionError):
        decrypt_token(connection.access_token_encrypted)
    with pytest.raises(CommandError, match="Could not decrypt"):
        call_command("rotate_token_keys", stdout=StringIO())


def _settings_import(**env) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SECRET_KEY": "x" * 50, **env}
    return subprocess.run(
        [sys.executable, "-c", "import e2rpro.settings"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_with_a_zoom_client_id_but_no_encryption_key():
    result = _settings_import(ZOOM_CLIENT_ID="abc")
    assert result.returncode != 0 and "TOKEN_ENCRYPTION_KEYS must be set" in result.stderr
    assert _settings_import(ZOOM_CLIENT_ID="abc", TOKEN_ENCRYPTION_KEYS="not-a-key").returncode != 0
    good = _settings_import(ZOOM_CLIENT_ID="abc", TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    assert good.returncode == 0, good.stderr


def test_the_periodic_resync_updates_linked_companies_only(world, zoom_http):
    linked = ZoomConnectionFactory(company=world.acme.company)
    ZoomConnectionFactory(company=world.other.company, status=ConnectionStatus.RELEASED)
    ZoomUserFactory(company=world.acme.company, zoom_user_id="left-the-account")
    add_users(zoom_http, active=[zoom_user(1)], pending=[zoom_user(2, status="pending")])

    assert tasks.resync_all_zoom_users.delay().get() == 1

    users = {u.zoom_user_id: u for u in ZoomUser.objects.filter(company=world.acme.company)}
    assert set(users) == {"zuser001", "zuser002", "left-the-account"}
    assert users["left-the-account"].in_account is False
    assert users["zuser002"].zoom_status == "pending" and not users["zuser002"].can_host
    assert users["zuser001"].can_host
    assert ZoomConnection.objects.get(pk=linked.pk).users_synced_at is not None
    assert not ZoomUser.objects.filter(company=world.other.company).exists()
    # a system sync that changed something is in the audit log, without an actor
    assert AuditEntry.objects.get(action="zoom.users_synced").actor is None


def test_a_periodic_resync_that_changes_nothing_writes_no_audit_entry(connection, zoom_http):
    add_users(zoom_http)
    tasks.sync_connection_users.delay(connection.pk)
    assert not AuditEntry.objects.filter(action="zoom.users_synced").exists()


def test_the_resync_task_stops_quietly_when_the_link_needs_reauthorization(connection, zoom_http):
    from .helpers import API

    zoom_http.get(f"{API}/users", status=400, json={"code": 4711, "message": "does not contain scopes"})
    tasks.sync_connection_users.delay(connection.pk)
    assert ZoomConnection.objects.get(pk=connection.pk).status == ConnectionStatus.ERROR


def test_the_resync_task_is_a_no_op_for_a_released_link(connection, zoom_http):
    connection.status = ConnectionStatus.RELEASED
    connection.save()
    tasks.sync_connection_users.delay(connection.pk)
    assert len(zoom_http.calls) == 0


def test_the_reauthorization_mail_is_not_sent_once_the_link_works_again(connection, world):
    assert tasks.mail_reauthorization_required.delay(connection.pk).get() == 0
    connection.status = ConnectionStatus.ERROR
    connection.last_error = "invalid_grant"
    connection.save()

    assert tasks.mail_reauthorization_required.delay(connection.pk).get() == 1
    assert mail.outbox[0].to == [world.acme.admin.email]  # not the recruiter: only admins can re-authorize
    assert "invalid_grant" in mail.outbox[0].body


def test_old_handled_webhook_events_are_purged(db):
    old = WebhookEvent.objects.create(
        body_sha256="a" * 64, event="x", payload={}, processed_at=timezone.now() - timedelta(days=31)
    )
    recent = WebhookEvent.objects.create(
        body_sha256="b" * 64, event="x", payload={}, processed_at=timezone.now()
    )
    pending = WebhookEvent.objects.create(body_sha256="c" * 64, event="x", payload={})
    assert tasks.purge_old_webhook_events.delay().get() == 1
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not WebhookEvent.objects.filter(pk=old.pk).exists()
