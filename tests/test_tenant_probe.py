"""Automated tenant probe: every page of another company that carries an id answers 404 (or 403 where the
role may not open that kind of page at all), never its content.

The other company gets the demo data of every app (applicants, selection meetings, slots, bookings, mail
templates, sent mails); its admin walks every page reachable from the dashboard (tests/probes/pages.py), and
each URL with an id is then requested by each user of the first company. New pages are probed without
editing this test.
"""

from __future__ import annotations

import importlib
import io
import re

import pytest
from django.apps import apps

from accounts.models import Role
from tests.helpers import client_for
from tests.probes.pages import Walker

pytestmark = pytest.mark.django_db

ID_IN_PATH = re.compile(r"/\d+(/|$)")


def _seed_every_app(tenant) -> None:
    users = {Role.ADMIN: tenant.admin, Role.RECRUITER: tenant.recruiter, Role.INTERVIEWER: tenant.interviewer}
    for app_config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{app_config.name}.demo")
        except ModuleNotFoundError:
            continue
        module.seed(company=tenant.company, users=users, stdout=io.StringIO())


def _other_company_urls(world) -> list[str]:
    _seed_every_app(world.other)
    walker = Walker(client=client_for(world.other.admin), per_route=3)
    pages = walker.walk("/", "/applicants/", "/selection/", "/selection/slots/", "/notifications/")
    return sorted({page.url for page in pages if page.status == 200 and ID_IN_PATH.search(page.url)})


def test_another_companys_ids_answer_404_on_every_page(world):
    urls = _other_company_urls(world)
    # The walk must really reach the records of every app, or this probe proves nothing.
    for prefix in ("/applicants/", "/selection/", "/notifications/"):
        assert any(url.startswith(prefix) for url in urls), f"no page with an id under {prefix}"
    leaks = []
    for role in (Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER):
        client = client_for(world.acme.user(role))
        for url in urls:
            status = client.get(url).status_code
            allowed = {404} if role == Role.ADMIN else {403, 404}
            if status not in allowed:
                leaks.append(f"{role} GET {url} answered {status}")
    assert leaks == []


def test_posting_to_another_companys_ids_answers_404_and_changes_nothing(world):
    from applicants.models import Applicant
    from booking.models import Booking
    from scheduling.models import Slot

    urls = _other_company_urls(world)
    before = (
        Applicant.objects.filter(anonymized_at__isnull=False).count(),
        Booking.objects.filter(status="active").count(),
        Slot.objects.count(),
    )
    client = client_for(world.acme.admin)
    wrong = [
        f"POST {url} answered {status}"
        for url in urls
        if (status := client.post(url, {"name": "x", "capacity": "1"}).status_code) not in (404, 405)
    ]
    assert wrong == []
    after = (
        Applicant.objects.filter(anonymized_at__isnull=False).count(),
        Booking.objects.filter(status="active").count(),
        Slot.objects.count(),
    )
    assert after == before
