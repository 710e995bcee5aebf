"""Settings for the test suite: the production settings with fast, in-process defaults."""

import os

os.environ.setdefault("E2RPRO_TESTING", "1")

from e2rpro.settings import *  # noqa: F403
from e2rpro.settings import CELERY_BROKER_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Unit tests run tasks in-process; end-to-end tests start a real worker with their own settings.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
TEST_CELERY_BROKER_URL = CELERY_BROKER_URL
SITE_URL = "http://testserver"
SECURE_SSL_REDIRECT = False
