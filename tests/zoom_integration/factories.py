"""Factories for the Zoom link's models."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from tests.factories import CompanyFactory
from web_meetings.crypto import encrypt_token
from zoom_integration.models import ConnectionStatus, ZoomConnection, ZoomUser

GRANTED_SCOPES = (
    "meeting:write:meeting:admin meeting:update:meeting:admin meeting:delete:meeting:admin "
    "meeting:read:meeting:admin meeting:read:list_meetings:admin user:read:list_users:admin "
    "user:read:user:admin"
)


class ZoomConnectionFactory(factory.django.DjangoModelFactory):
    """A linked connection whose access token is valid for another hour."""

    class Meta:
        model = ZoomConnection

    company = factory.SubFactory(CompanyFactory)
    status = ConnectionStatus.LINKED
    zoom_account_id = factory.Sequence(lambda n: f"Acct{n:04d}JP")
    zoom_account_label = "株式会社テスト（owner@zoom.example.com）"
    scopes = GRANTED_SCOPES
    access_token_encrypted = factory.LazyFunction(lambda: encrypt_token("at-initial"))
    refresh_token_encrypted = factory.LazyFunction(lambda: encrypt_token("rt-initial"))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    linked_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class ZoomUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ZoomUser

    company = factory.SubFactory(CompanyFactory)
    zoom_user_id = factory.Sequence(lambda n: f"zu{n:06d}")
    email = factory.Sequence(lambda n: f"host{n}@zoom.example.com")
    display_name = factory.Sequence(lambda n: f"ホスト {n}")
    user_type = 2
    zoom_status = "active"
