"""Live progress: N/M 発行済み and failures on 日程設定 and the dashboard, from a small JSON endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from scheduling.models import MeetingState, Slot
from tests.plugins.scheduling import Fault
from tests.scheduling.factories import SelectionMeetingFactory, ZoomEventFactory
from tests.scheduling.helpers import make_slot, tomorrow_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(django_capture_on_commit_callbacks):
    def make(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return make_slot(*args, **kwargs)

    return make


URL = "scheduling:issuance_progress"


def test_the_numbers(as_recruiter, world, fake_zoom, zoom_event, issue, django_assert_max_num_queries):
    for index in range(3):
        issue(zoom_event, tomorrow_at(9) + timedelta(hours=index))
    fake_zoom.fail["create"] = [Fault.status(400, code=300, message="Invalid field")]
    issue(zoom_event, tomorrow_at(15))
    issue(zoom_event, tomorrow_at(16), published=False)  # no meeting wanted
    Slot.objects.filter(starts_at=tomorrow_at(11)).update(meeting_state=MeetingState.PENDING)
    as_recruiter.get(reverse(URL))

    with django_assert_max_num_queries(4):
        data = as_recruiter.get(reverse(URL)).json()

    assert data == {"total": 4, "issued": 2, "pending": 1, "failed": 1}
    meeting = as_recruiter.get(reverse(URL), {"meeting": zoom_event.selection_meeting_id}).json()
    assert meeting == data
    other = SelectionMeetingFactory(company=world.acme.company)
    assert as_recruiter.get(reverse(URL), {"meeting": other.pk}).json()["total"] == 0


def test_the_pages_render_the_numbers_and_the_poll_url(as_recruiter, world, fake_zoom, zoom_event, issue):
    issue(zoom_event)
    schedule = as_recruiter.get(reverse("scheduling:schedule", args=[zoom_event.selection_meeting_id]))
    dashboard = as_recruiter.get(reverse("dashboard"))

    for response in (schedule, dashboard):
        html = response.content.decode()
        assert 'data-progress="issued">1<' in html and 'data-progress="total">1<' in html
        assert "data-progress-poll=" in html and "js/scheduling.js" in html
    assert schedule.context["progress"] == {"total": 1, "issued": 1, "pending": 0, "failed": 0}


def test_roles_and_tenants(as_interviewer, as_recruiter, world, fake_zoom):
    assert as_interviewer.get(reverse(URL)).status_code == 403
    theirs = ZoomEventFactory(company=world.other.company, selection_meeting__company=world.other.company)
    Slot.objects.create(
        company=world.other.company,
        event=theirs,
        starts_at=tomorrow_at(9),
        ends_at=tomorrow_at(10),
        meeting_wanted=True,
        meeting_state=MeetingState.ISSUED,
    )
    assert as_recruiter.get(reverse(URL)).json()["total"] == 0
    assert as_recruiter.get(reverse(URL), {"meeting": theirs.selection_meeting_id}).status_code == 404
    assert as_recruiter.get(reverse(URL), {"meeting": "x"}).status_code == 404
