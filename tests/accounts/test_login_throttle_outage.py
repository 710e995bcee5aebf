"""Signing in while the cache (Redis) is down: the throttle fails open instead of a 500 for everyone.

Found by the Redis-outage fault drill (tests/drills/test_redis_down.py), which proves it on the real stack.
"""

import logging
import socket

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }


def test_staff_can_sign_in_while_the_cache_is_unreachable(world, redis_down, caplog):
    caplog.set_level(logging.WARNING)
    client = Client()

    response = client.post(
        reverse("accounts:login"), {"username": "admin@acme.example.com", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302 and "_auth_user_id" in client.session
    assert "login throttle: the cache is unavailable" in caplog.text


def test_a_wrong_password_is_still_refused_while_the_cache_is_unreachable(world, redis_down):
    credentials = {"username": "admin@acme.example.com", "password": "x"}

    response = Client().post(reverse("accounts:login"), credentials)

    assert response.status_code == 200
    assert "メールアドレスまたはパスワードが正しくありません。" in response.content.decode()
