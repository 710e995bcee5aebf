"""Settings for e2rpro, read from environment variables with safe local defaults.

Every variable is documented in README.md ("Configuration").
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("E2RPRO_TESTING", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. "
            "Set DEBUG=1 for local development or provide a long random SECRET_KEY."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute base URL used in mails and OAuth redirects, e.g. https://ats.example.co.jp
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The product's apps, in layer order: each imports only from the ones before it (docs/architecture.md).
    "accounts",
    "applicants",
    "notifications",
    "web_meetings",
    "zoom_integration",
    "teams_integration",
    "google_meet",
    "scheduling",
    "booking",
    "interviews",
    "outreach",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.CompanyTimezoneMiddleware",
]

ROOT_URLCONF = "e2rpro.urls"
WSGI_APPLICATION = "e2rpro.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.shell",
            ],
        },
    },
    {
        # The applicant's pages behind the personal link (booking/templating.py): named in each render.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "booking.templating.environment",
            "context_processors": ["django.contrib.messages.context_processors.messages"],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (or anything dj-database-url knows) via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DATABASE_JIT", False):
    # PostgreSQL's JIT spends about 25 ms compiling each large report query (measured on the scale data set)
    # and the pages run short queries: off unless DATABASE_JIT=1.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock instead of failing at once when the demo's worker thread writes too.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# The hot lookups of accounts.prepared run as statements PostgreSQL prepares once per connection; 0 for a
# pooler that cannot keep them (PgBouncer in transaction mode before 1.21 without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_PREPARED_STATEMENTS:
    # Django turns psycopg's preparing off (no threshold): with one, psycopg prepares what a cursor asks it
    # to (accounts.prepared does); a threshold no count reaches keeps it from preparing anything else.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledEmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (accounts/throttling.py). Per client address and account: LOGIN_FAILURE_LIMIT tries
# within LOGIN_FAILURE_WINDOW_SECONDS, then one try per delay, doubling from LOGIN_DELAY_SECONDS up to
# LOGIN_DELAY_MAX_SECONDS. Per account from any address: LOGIN_ACCOUNT_LOCK_THRESHOLD wrong passwords within
# the window lock the account (ユーザー管理 shows it) for LOGIN_ACCOUNT_LOCK_SECONDS (0: until an admin
# lifts it).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
LOGIN_DELAY_SECONDS = env_int("LOGIN_DELAY_SECONDS", 30)
LOGIN_DELAY_MAX_SECONDS = env_int("LOGIN_DELAY_MAX_SECONDS", 900)
LOGIN_ACCOUNT_LOCK_THRESHOLD = env_int("LOGIN_ACCOUNT_LOCK_THRESHOLD", 30)
LOGIN_ACCOUNT_LOCK_SECONDS = env_int("LOGIN_ACCOUNT_LOCK_SECONDS", 3600)
# How many reverse proxies in front of the site append to X-Forwarded-For (nginx → gunicorn: 1). The client
# address is read that many entries from the right; 0 trusts no header and uses the connection's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Two-step verification (2段階認証, TOTP by django-otp). Operators (Django admin users) always need it unless
# DEBUG (local development) or the test settings; a company's admin can require it for all of its users.
TWO_FACTOR_REQUIRED_FOR_OPERATORS = not (DEBUG or TESTING)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "e2RPRO")
RECOVERY_CODE_COUNT = 10

# Internationalisation: Japanese first, English available.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Tokyo")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Cache: Redis when configured (shared by every process), local memory otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Mail
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "e2RPRO <no-reply@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Mail delivery (notifications): attempts before a mail is 送信失敗, first retry delay (doubling, capped).
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 6)
MAIL_RETRY_BACKOFF_SECONDS = env_int("MAIL_RETRY_BACKOFF_SECONDS", 60)
MAIL_RETRY_BACKOFF_MAX_SECONDS = env_int("MAIL_RETRY_BACKOFF_MAX_SECONDS", 3600)
# A mail "sending" for longer than this is taken to be lost with its worker and may be sent again.
MAIL_STALE_SENDING_SECONDS = 600
# A queued mail whose task has not run this long after it was due is enqueued again by the sweeper.
MAIL_REQUEUE_AFTER_SECONDS = 600
# Mails per second handed to the SMTP relay, across every worker (notifications.pacing); 0 = unpaced.
MAIL_SEND_RATE_PER_SECOND = float(os.environ.get("MAIL_SEND_RATE_PER_SECOND") or 10)
# A send time further ahead than this is not reserved yet; a wait up to the second value is slept.
MAIL_PACING_HORIZON_SECONDS = 600
MAIL_PACING_SLEEP_MAX_SECONDS = 2

# Celery: no broker → tasks run eagerly in-process (zero-setup development).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
# One queue name per installation sharing a Redis (e.g. staging and production, or parallel test stacks).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker keeps its database connection across tasks (Celery's Django fixup would close it after every task,
# so each task paid a new PostgreSQL connection: the client's connect and a server backend). e2rpro/celery.py
# checks it before each task as a web request does (CONN_MAX_AGE, CONN_HEALTH_CHECKS, errors); the fixup
# still closes it after this many tasks of the process. 0: close after every task (Celery's default).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
# A late-acked task that never finishes is redelivered after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TIMEZONE = "UTC"
# Periodic tasks (Celery beat), one entry per app below; each task is safe to run twice.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "accounts-clear-expired-sessions": {
        "task": "accounts.tasks.purge_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
}

# Security (production values unless DEBUG; every one can be overridden).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not (DEBUG or TESTING))
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not (DEBUG or TESTING))
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not (DEBUG or TESTING))
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG or TESTING else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy sent by accounts.middleware (no inline script anywhere).
# Forms post only to this site; the Zoom link page alone adds Zoom's OAuth origin (zoom_integration.views),
# where its 認可開始 form redirects the admin's browser.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
)
MIDDLEWARE.insert(1, "accounts.middleware.ContentSecurityPolicyMiddleware")

# Structured logging to stdout; LOG_FORMAT=json for one JSON object per line.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "e2rpro.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "e2rpro.logging.JsonFormatter"},
    },
    "filters": {"redact_secrets": {"()": "e2rpro.logging.RedactSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if os.environ.get("LOG_FORMAT") == "json" else "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Zoom (Web面接連携サービス). An admin-managed OAuth app registered in the Zoom App Marketplace;
# see README.md "Pointing at real Zoom". Without ZOOM_CLIENT_ID the Zoom pages say Zoom is not configured.
ZOOM_CLIENT_ID = os.environ.get("ZOOM_CLIENT_ID", "")
ZOOM_CLIENT_SECRET = os.environ.get("ZOOM_CLIENT_SECRET", "")
ZOOM_WEBHOOK_SECRET_TOKEN = os.environ.get("ZOOM_WEBHOOK_SECRET_TOKEN", "")
ZOOM_OAUTH_BASE_URL = os.environ.get("ZOOM_OAUTH_BASE_URL", "https://zoom.us").rstrip("/")
ZOOM_API_BASE_URL = os.environ.get("ZOOM_API_BASE_URL", "https://api.zoom.us/v2").rstrip("/")
# Read timeout (seconds) of every HTTP call to Zoom; connecting gets at most 5 seconds.
ZOOM_HTTP_TIMEOUT = float(os.environ.get("ZOOM_HTTP_TIMEOUT") or 15)
# Microsoft Teams (Web面接連携サービス). An Entra ID app registration (multi-tenant) with the application
# permissions User.Read.All, Calendars.ReadWrite and OnlineMeetings.ReadWrite.All, granted by each company's
# admin consent; see README.md "Microsoft Teams". Without MICROSOFT_CLIENT_ID the Teams pages say Teams is
# not configured. Graph change notifications go to <SITE_URL>/teams/notifications/ (and /teams/lifecycle/).
MICROSOFT_CLIENT_ID = os.environ.get("MICROSOFT_CLIENT_ID", "")
MICROSOFT_CLIENT_SECRET = os.environ.get("MICROSOFT_CLIENT_SECRET", "")
MICROSOFT_LOGIN_BASE_URL = os.environ.get(
    "MICROSOFT_LOGIN_BASE_URL", "https://login.microsoftonline.com"
).rstrip("/")
MICROSOFT_GRAPH_BASE_URL = os.environ.get(
    "MICROSOFT_GRAPH_BASE_URL", "https://graph.microsoft.com/v1.0"
).rstrip("/")
# Read timeout (seconds) of every HTTP call to Entra ID and Graph; connecting gets at most 5 seconds.
MICROSOFT_HTTP_TIMEOUT = float(os.environ.get("MICROSOFT_HTTP_TIMEOUT") or 15)
# Google Meet (Web面接連携サービス). A Google Cloud OAuth client ("web application", redirect URI
# <SITE_URL>/web-interview/google/callback/, scope calendar.events); each host connects their own Google
# account (no organisation-wide consent); see README.md "Google Meet". Calendar push notifications go to
# <SITE_URL>/google/notifications/ (Google requires https there).
GOOGLE_CLIENT_ID = os.environ.get("GOOGLE_CLIENT_ID", "")
GOOGLE_CLIENT_SECRET = os.environ.get("GOOGLE_CLIENT_SECRET", "")
GOOGLE_OAUTH_BASE_URL = os.environ.get("GOOGLE_OAUTH_BASE_URL", "https://accounts.google.com").rstrip("/")
GOOGLE_TOKEN_URL = os.environ.get("GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")
GOOGLE_CALENDAR_BASE_URL = os.environ.get(
    "GOOGLE_CALENDAR_BASE_URL", "https://www.googleapis.com/calendar/v3"
).rstrip("/")
# Read timeout (seconds) of every HTTP call to Google; connecting gets at most 5 seconds.
GOOGLE_HTTP_TIMEOUT = float(os.environ.get("GOOGLE_HTTP_TIMEOUT") or 15)
# Fernet keys for the Zoom tokens at rest, comma-separated, newest first: the newest encrypts, any decrypts
# (rotate by prepending a new key, then `manage.py rotate_token_keys`, then drop the old key).
TOKEN_ENCRYPTION_KEYS = env_list("TOKEN_ENCRYPTION_KEYS")
if not TOKEN_ENCRYPTION_KEYS:
    if DEBUG or TESTING:
        import base64
        import hashlib

        # A fixed development key, so a local database stays readable across restarts. Never in production.
        TOKEN_ENCRYPTION_KEYS = [
            base64.urlsafe_b64encode(hashlib.sha256(b"e2rpro-development-token-key").digest()).decode()
        ]
    elif ZOOM_CLIENT_ID or MICROSOFT_CLIENT_ID or GOOGLE_CLIENT_ID:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS must be set when ZOOM_CLIENT_ID, MICROSOFT_CLIENT_ID or GOOGLE_CLIENT_ID "
            "is set. "
            "Generate a key with "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
else:
    from cryptography.fernet import Fernet

    for _key in TOKEN_ENCRYPTION_KEYS:
        try:
            Fernet(_key)
        except ValueError as _exc:
            raise ImproperlyConfigured(
                "TOKEN_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes)."
            ) from _exc
CELERY_BEAT_SCHEDULE["zoom-resync-users"] = {
    "task": "zoom_integration.tasks.resync_all_zoom_users",
    "schedule": crontab(minute=41),  # hourly: Zoomユーザ選択 stays current without the button
}
# A webhook delivery whose handling failed is retried with backoff (1, 2, 4 … 60 minutes) this many times.
ZOOM_WEBHOOK_MAX_ATTEMPTS = env_int("ZOOM_WEBHOOK_MAX_ATTEMPTS", 10)
CELERY_BEAT_SCHEDULE["zoom-retry-unprocessed-webhooks"] = {
    "task": "zoom_integration.tasks.retry_unprocessed_webhook_events",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["zoom-purge-webhook-events"] = {
    "task": "zoom_integration.tasks.purge_old_webhook_events",
    "schedule": crontab(minute=23, hour=4),
}
CELERY_BEAT_SCHEDULE["teams-resync-users"] = {
    "task": "teams_integration.tasks.resync_all_teams_users",
    "schedule": crontab(minute=43),  # hourly, like Zoom's: the host list stays current without the button
}
CELERY_BEAT_SCHEDULE["teams-renew-subscriptions"] = {
    "task": "teams_integration.tasks.renew_due_subscriptions",
    "schedule": crontab(minute="*/30"),  # subscriptions live ~70 hours and are renewed a day before expiry
}
CELERY_BEAT_SCHEDULE["teams-process-notifications"] = {
    "task": "teams_integration.tasks.process_pending_notifications",
    "schedule": 60.0,  # stored notifications whose task was lost or failed
}
CELERY_BEAT_SCHEDULE["google-renew-watch-channels"] = {
    "task": "google_meet.tasks.renew_due_watches",
    "schedule": crontab(minute="*/30"),  # channels live 7 days and are renewed a day before expiry
}
CELERY_BEAT_SCHEDULE["notifications-send-due-reminders"] = {
    "task": "notifications.tasks.send_due_reminders",
    "schedule": crontab(minute="*/5"),  # each reminder goes out once (see notifications/reminders.py)
}
CELERY_BEAT_SCHEDULE["notifications-requeue-stuck-mail"] = {
    "task": "notifications.tasks.requeue_stuck_mail",
    "schedule": crontab(minute="*/5"),
}
# Outreach: bulk jobs from the applicant list whose task was lost are resumed (each item is done once).
CELERY_BEAT_SCHEDULE["outreach-resume-jobs"] = {
    "task": "outreach.tasks.resume_jobs",
    "schedule": 120.0,
}

# Scheduling: Zoom meeting issuance (README "Zoom meeting issuance"). The sweeper re-enqueues pending slots
# whose task was lost (broker or worker down) or whose wait (daily limit, backoff) is over.
CELERY_BEAT_SCHEDULE["scheduling-sweep-pending-meetings"] = {
    "task": "scheduling.tasks.sweep_pending_meetings",
    "schedule": float(env_int("SCHEDULING_SWEEP_EVERY_SECONDS", 60)),
}
# The Zoom account's per-second limits by category (Pro plan; Business and up: light=80,medium=60,heavy=40).
SCHEDULING_ZOOM_RATE_LIMITS = {
    name: float(value)
    for name, value in (
        item.split("=") for item in env_list("ZOOM_RATE_LIMITS", "light=30,medium=20,heavy=10")
    )
}
# Zoom meeting creates + updates per host per UTC day.
SCHEDULING_ZOOM_DAILY_LIMIT = env_int("ZOOM_DAILY_MEETING_LIMIT", 100)
SCHEDULING_PACING_BACKEND = os.environ.get("SCHEDULING_PACING_BACKEND", "auto")  # auto | redis | database
SCHEDULING_PACING_MAX_WAIT = float(os.environ.get("SCHEDULING_PACING_MAX_WAIT", "10"))
# The share of each service's per-second limit that pacing uses (every service: Zoom, Graph, Calendar). The
# send times are spaced exactly (GCRA in Redis); the margin absorbs calls that leave a little late and land
# in the next second, and other apps on the same account. 429s are still retried with backoff.
SCHEDULING_RATE_SAFETY = float(os.environ.get("SCHEDULING_RATE_SAFETY", "0.98"))
if not 0 < SCHEDULING_RATE_SAFETY <= 1:
    raise ImproperlyConfigured("SCHEDULING_RATE_SAFETY must be above 0 and at most 1.")
# Recovery clocks. A worker killed mid-call leaves its claim for SCHEDULING_CLAIM_LEASE_SECONDS; the lease
# must outlast the issuing task's hard time limit, or a slow but alive task could be claimed twice.
SCHEDULING_SYNC_TIME_LIMIT_SECONDS = env_int("SCHEDULING_SYNC_TIME_LIMIT_SECONDS", 150)
SCHEDULING_CLAIM_LEASE_SECONDS = env_int("SCHEDULING_CLAIM_LEASE_SECONDS", 180)
if SCHEDULING_CLAIM_LEASE_SECONDS <= SCHEDULING_SYNC_TIME_LIMIT_SECONDS:
    raise ImproperlyConfigured(
        "SCHEDULING_CLAIM_LEASE_SECONDS must exceed SCHEDULING_SYNC_TIME_LIMIT_SECONDS."
    )
SCHEDULING_SWEEP_STALE_SECONDS = env_int("SCHEDULING_SWEEP_STALE_SECONDS", 300)
SCHEDULING_RETRY_BASE_SECONDS = float(os.environ.get("SCHEDULING_RETRY_BASE_SECONDS", "2"))
SCHEDULING_RETRY_MAX_SECONDS = env_int("SCHEDULING_RETRY_MAX_SECONDS", 300)
SCHEDULING_MAX_TEMPORARY_ATTEMPTS = env_int("SCHEDULING_MAX_TEMPORARY_ATTEMPTS", 10)
SCHEDULING_LINK_RECHECK_SECONDS = env_int("SCHEDULING_LINK_RECHECK_SECONDS", 600)

# Applicants: uploaded CSV files nobody confirmed, and export files, are dropped after a day (personal data).
CELERY_BEAT_SCHEDULE["applicants-purge-expired-imports"] = {
    "task": "applicants.tasks.purge_expired_imports",
    "schedule": crontab(minute=40),
}
# Exports of more applicants than this are written by a background job (applicants/export_jobs.py).
APPLICANT_EXPORT_INLINE_MAX_ROWS = env_int("APPLICANT_EXPORT_INLINE_MAX_ROWS", 10_000)
CELERY_BEAT_SCHEDULE["applicants-resume-exports"] = {
    "task": "applicants.tasks.resume_exports",
    "schedule": 120.0,  # exports whose task was lost (broker or worker down)
}

# Interviews: scheduled 合否連絡 go out at the minute they are due (each once; see interviews/decisions.py).
CELERY_BEAT_SCHEDULE["interviews-send-due-result-notices"] = {
    "task": "interviews.decision_tasks.send_due_result_notices",
    "schedule": crontab(minute="*"),
}

# Interviews: 評価入力のお願い once per overdue evaluation (each mail has a once-only key; see
# interviews/evaluation_reminders.py), checked every 15 minutes.
CELERY_BEAT_SCHEDULE["interviews-remind-overdue-evaluations"] = {
    "task": "interviews.tasks.remind_overdue_evaluations",
    "schedule": crontab(minute="*/15"),
}
