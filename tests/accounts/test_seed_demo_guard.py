"""`manage.py seed_demo` creates users with the published demo password (a superuser among them): it runs
only with DEBUG on, under the test settings, or with --allow-production-demo-data."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from accounts.management.commands.seed_demo import DEMO_PASSWORD, OPERATOR_EMAIL
from accounts.models import Company, User

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@override_settings(DEBUG=False, TESTING=False)
def test_seed_demo_refuses_with_production_settings_and_writes_nothing():
    before = row_counts()
    out = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("seed_demo", stdout=out)

    message = str(refused.value)
    assert (
        "DEBUG" in message and "--allow-production-demo-data" in message and "Nothing was written" in message
    )
    assert row_counts() == before
    assert not User.objects.filter(email=OPERATOR_EMAIL).exists()
    assert not Company.objects.filter(slug="demo").exists()
    assert DEMO_PASSWORD not in out.getvalue()  # no login list printed either


@override_settings(DEBUG=False, TESTING=False)
def test_seed_demo_runs_with_production_settings_when_explicitly_allowed():
    call_command("seed_demo", "--allow-production-demo-data", stdout=io.StringIO())

    operator = User.objects.get(email=OPERATOR_EMAIL)
    assert operator.is_superuser and operator.check_password(DEMO_PASSWORD)
    assert Company.objects.filter(slug="demo").exists()


@pytest.mark.parametrize("flags", [{"DEBUG": True, "TESTING": False}, {"DEBUG": False, "TESTING": True}])
def test_seed_demo_runs_with_debug_or_the_test_settings(flags):
    with override_settings(**flags):
        call_command("seed_demo", stdout=io.StringIO())

    assert User.objects.filter(email=OPERATOR_EMAIL, is_superuser=True).exists()
