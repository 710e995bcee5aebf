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
