"""An applicant with a long history: the page shows the newest entries and offers the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applicants.models import Memo
from applicants.views import TIMELINE_LIMIT

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_newest_entries_and_all_of_them_on_request(as_recruiter, acme_applicant):
    start = timezone.now() - timedelta(days=400)
    Memo.objects.bulk_create(
        Memo(applicant=acme_applicant, body=f"メモ{n:03d}", created_at=start + timedelta(days=n))
        for n in range(TIMELINE_LIMIT + 30)
    )
    url = reverse("applicants:detail", args=[acme_applicant.pk])

    page = as_recruiter.get(url)

    content = page.content.decode()
    total = page.context["timeline_total"]
    assert total >= TIMELINE_LIMIT + 30 and len(page.context["timeline"]) == TIMELINE_LIMIT
    assert f"メモ{TIMELINE_LIMIT + 29:03d}" in content and "メモ000" not in content  # newest first
    assert f"すべて表示（{total}件）" in content and "?timeline=all" in content

    everything = as_recruiter.get(url, {"timeline": "all"})
    assert len(everything.context["timeline"]) == total and "メモ000" in everything.content.decode()
