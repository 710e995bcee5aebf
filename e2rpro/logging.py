"""Logging helpers: one JSON object per line (LOG_FORMAT=json) and redaction of secrets in every record."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# Never in a log line: OAuth tokens, Zoom start URLs (zak), passwords, Basic/Bearer headers.
_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)((?:access|refresh|id)_token|code_verifier|(?<![\w-])code|client_secret|password|zak|pwd)(['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]+"
    ),
    re.compile(r"https?://[^\s]*/s/\d+[^\s'\"]*"),
    # An applicant's personal booking link: the path segment after /b/ is the key to their bookings.
    re.compile(r"/b/[^/\s'\"?]+"),
    # A password-reset link: uid and token.
    re.compile(r"/password/reset/[^/\s'\"?]+/[^/\s'\"?]+"),
]


def redact(text: str) -> str:
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)} [redacted]", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    text = _SECRET_PATTERNS[2].sub("[redacted start_url]", text)
    text = _SECRET_PATTERNS[3].sub("/b/[redacted]", text)
    return _SECRET_PATTERNS[4].sub("/password/reset/[redacted]", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message with secrets replaced, whatever logger produced it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingFormatter(logging.Formatter):
    """The plain format, with tracebacks (which may quote arguments) passed through redact() as well."""

    def formatException(self, ei) -> str:
        return redact(super().formatException(ei))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
