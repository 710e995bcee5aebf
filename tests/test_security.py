"""Production hardening that does not belong to one app."""

import logging
import os
import secrets
import subprocess
import sys

import pytest

from e2rpro.logging import JsonFormatter, RedactSecretsFilter, redact

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_deploy_check_is_clean_with_production_settings():
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "e2rpro.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "ats.example.co.jp",
        "TOKEN_ENCRYPTION_KEYS": "kJ3l0aZ1o3x5l0m8b3n0y0u0r0k1e2y3s4f5e6r7n8E=",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("refreshing with refresh_token=abc.def-123456", "abc.def-123456"),
        ('{"access_token": "eyJhbGciOiJIUzUxMiJ9.secret"}', "eyJhbGciOiJIUzUxMiJ9.secret"),
        ("Authorization: Bearer eyJzdWIiOiIxMjM0NTY3ODkwIn0", "eyJzdWIiOiIxMjM0NTY3ODkwIn0"),
        ("Authorization: Basic ZTJycHJvLWRlbW8tY2xpZW50OnNlY3JldA==", "ZTJycHJvLWRlbW8tY2xpZW50OnNlY3JldA=="),
        ("start https://zoom.us/s/91033400269?zak=eyJ0eXAiOiJKV1Qi", "zak=eyJ0eXAiOiJKV1Qi"),
        ("login failed password=hunter2hunter2", "hunter2hunter2"),
    ],
)
def test_secrets_are_redacted_from_log_text(text, secret):
    assert secret not in redact(text)


def test_redaction_filter_rewrites_records_of_any_logger(caplog):
    logger = logging.getLogger("some.library")
    logger.addFilter(RedactSecretsFilter())
    try:
        with caplog.at_level(logging.INFO):
            logger.info("token answer %s", {"refresh_token": "rt-very-secret-value"})
    finally:
        logger.filters.clear()
    assert "rt-very-secret-value" not in caplog.text
    assert "[redacted]" in caplog.text


def test_json_log_lines_are_one_object_each():
    import json

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "予約 %s", ("完了",), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "予約 完了"


def test_applicant_link_keys_and_oauth_codes_are_redacted():
    line = 'GET /b/eyJpZCI6MX0:1abc:def/slots/3/?code=oauth-code-123 HTTP/1.1" 200'
    cleaned = redact(line)
    assert "eyJpZCI6MX0" not in cleaned
    assert "oauth-code-123" not in cleaned
    assert "/slots/3/" in cleaned


def test_gunicorn_access_log_goes_through_redaction():
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("gunicorn_conf", os.path.join(BASE_DIR, "gunicorn.conf.py"))
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    logger = conf.RedactingLogger.__new__(conf.RedactingLogger)
    request = SimpleNamespace(
        method="GET", path="/b/eyJpZCI6MX0:secret-key/", query="", version=(1, 1), headers=[]
    )
    response = SimpleNamespace(status="200 OK", headers=[], sent=10, response_length=10)
    environ = {
        "RAW_URI": "/b/eyJpZCI6MX0:secret-key/",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/b/eyJpZCI6MX0:secret-key/",
        "QUERY_STRING": "",
    }
    import datetime as dt

    atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=5))
    assert "secret-key" not in atoms["U"]
    assert "secret-key" not in atoms["r"]


def test_a_claim_lease_shorter_than_the_task_time_limit_refuses_to_start():
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "e2rpro.settings",
        "DEBUG": "1",
        "SCHEDULING_CLAIM_LEASE_SECONDS": "60",
        "SCHEDULING_SYNC_TIME_LIMIT_SECONDS": "120",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SCHEDULING_CLAIM_LEASE_SECONDS must exceed" in result.stderr


def test_password_reset_links_and_tracebacks_are_redacted():
    from e2rpro.logging import RedactingFormatter

    assert "set-password" not in redact("GET /accounts/password/reset/MQ/set-password/ HTTP/1.1")
    try:
        raise ValueError("refused refresh_token=rt-secret-in-exception")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "rt-secret-in-exception" not in RedactingFormatter("%(message)s").format(record)
