"""The operators' Django admin refuses what Django's admin would answer with a 500 (e2rpro/admin_guard.py):
a selection that names no row, a search term SQLite cannot match, a NUL PostgreSQL cannot compare, and a
number beyond 64 bits that would reach a SQLite query."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from applicants.models import Position
from tests.factories import UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return client_for(
        UserFactory(company=None, email="operator@example.com", is_staff=True, is_superuser=True)
    )


@pytest.mark.parametrize("selected", ["", "abc", "a\x00b", "9" * 30, "-1"])
def test_an_action_on_a_selection_that_names_no_row_is_refused(operator, world, selected):
    position = Position.objects.create(company=world.acme.company, name="営業")
    url = reverse("admin:applicants_position_changelist")
    data = {"action": "delete_selected", "_selected_action": [position.pk, selected], "post": "yes"}

    response = operator.post(url, data)

    assert response.status_code == 302
    assert Position.objects.filter(pk=position.pk).exists()
    assert "選択内容が正しくありません。" in operator.get(url).content.decode()


def test_an_action_on_real_rows_still_runs(operator, world):
    position = Position.objects.create(company=world.acme.company, name="営業")
    url = reverse("admin:applicants_position_changelist")
    operator.post(url, {"action": "delete_selected", "_selected_action": [position.pk], "post": "yes"})
    assert not Position.objects.filter(pk=position.pk).exists()


@pytest.mark.parametrize("term", ["x" * 100_000, "営業\x00"])
def test_a_search_term_too_long_or_with_a_nul_is_cut_and_cleaned(operator, world, term):
    Position.objects.create(company=world.acme.company, name="営業")
    response = operator.get(reverse("admin:applicants_position_changelist"), {"q": term})
    assert response.status_code == 200


def test_a_nul_in_a_filter_is_dropped(operator):
    response = operator.get(reverse("admin:accounts_user_changelist"), {"role__exact": "a\x00b"})
    assert response.status_code in (200, 302)


def test_a_number_beyond_64_bits_in_a_form_is_refused(operator):
    response = operator.post(reverse("admin:auth_group_add"), {"name": "掃引", "permissions": ["9" * 30]})
    assert response.status_code in (200, 302)  # PostgreSQL compares the number and finds no permission
    assert not Group.objects.exists()
