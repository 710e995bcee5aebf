"""The applicant page's 面接評価 panel, the dashboard cards and the overdue list: what they show, to whom, and
in a fixed number of queries however many evaluations there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from applicants.timeline import timeline_for
from interviews.evaluation_panels import applicant_evaluations_panel
from tests.applicants.factories import ApplicantFactory
from tests.factories import UserFactory
from tests.helpers import client_for
from tests.interviews.helpers_evaluations import (
    assign_event,
    book,
    draft,
    hours_ago,
    make_scene,
    make_slot,
    submit,
)

pytestmark = pytest.mark.django_db


def count_queries(function) -> int:
    with CaptureQueriesContext(connection) as queries:
        function()
    return len(queries)


def get_ok(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def more_interviewers(scene, count: int) -> list:
    users = [UserFactory(company=scene.company, role=Role.INTERVIEWER) for _ in range(count)]
    assign_event(scene.event, *users)
    return users


def panel_request(user):
    request = RequestFactory().get("/")
    request.user, request.session = user, {}
    return request


def panel_queries(user, applicant) -> int:
    """The queries of the panel alone (the page reads the timeline for every panel)."""
    request, timeline = panel_request(user), timeline_for(applicant)
    return count_queries(lambda: applicant_evaluations_panel(request, applicant, timeline))


# --- the applicant page's panel -----------------------------------------------------------------------------


def test_the_panel_shows_the_evaluations_side_by_side_with_averages_and_who_is_missing(world, as_recruiter):
    scene = make_scene(world.acme)
    late = more_interviewers(scene, 1)[0]
    submit(scene, scene.first, logic=5, talk=2, recommendation="A", comment="即戦力")
    submit(scene, scene.second, logic=3, talk=4, recommendation="B", comment="素直")

    page = get_ok(as_recruiter, reverse("applicants:detail", args=[scene.applicant.pk])).content.decode()
    panel = page[page.index('id="evaluations"') : page.index('id="timeline"')]

    header = panel[panel.index("<thead>") : panel.index("</thead>")]
    assert header.index(scene.first.display_name) < header.index("面接 次郎") < header.index("平均")
    rows = panel[panel.index("<tbody>") :]
    order = [rows.index(label) for label in ("論理的思考力", "コミュニケーション力", "推奨度", "コメント")]
    assert order == sorted(order)
    assert "4.00" in rows  # 論理的思考力 (5 + 3) / 2
    assert "3.00" in rows  # コミュニケーション力 (2 + 4) / 2
    assert "3.50" in rows  # overall (5 + 2 + 3 + 4) / 4
    assert "A: 1名" in rows and "B: 1名" in rows
    assert "即戦力" in rows and "素直" in rows
    missing = panel[panel.index("未提出") :]
    assert late.display_name in missing and scene.first.display_name not in missing
    assert reverse("interviews:evaluation_detail", args=[scene.applicant.pk, scene.meeting.pk]) in panel


def test_the_panel_offers_the_interviewer_to_evaluate_once_the_interview_started(world):
    scene = make_scene(world.acme)
    upcoming = make_slot(scene.event, starts=hours_ago(-24))
    later = ApplicantFactory(company=world.acme.company)
    book(upcoming, later)
    client = client_for(scene.first)

    page = get_ok(client, reverse("applicants:detail", args=[scene.applicant.pk])).content.decode()
    assert reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk]) in page
    assert "評価を入力" in page
    page = get_ok(client, reverse("applicants:detail", args=[later.pk])).content.decode()
    assert "評価は面接の開始後に入力できます" in page
    assert reverse("interviews:evaluation_edit", args=[later.pk, scene.meeting.pk]) not in page


def test_an_applicant_with_no_booking_has_no_panel_and_costs_no_query(world):
    applicant = ApplicantFactory(company=world.acme.company)
    timeline = timeline_for(applicant)
    request = panel_request(world.acme.recruiter)

    with CaptureQueriesContext(connection) as queries:
        assert applicant_evaluations_panel(request, applicant, timeline) == ""
    assert len(queries) == 0


@pytest.mark.parametrize("role", ["recruiter", "interviewer"])
def test_the_panel_reads_a_fixed_number_of_queries(world, role):
    scene = make_scene(world.acme)
    user = world.acme.recruiter if role == "recruiter" else scene.first
    submit(scene, scene.second)
    small = panel_queries(user, scene.applicant)

    for extra in more_interviewers(scene, 4):
        submit(scene, extra, comment=f"{extra.pk}")
    draft(scene, scene.first)
    second = make_scene(world.acme, name="二次面接")  # another 選考会 the same applicant took
    assign_event(second.event, world.acme.recruiter)
    book(make_slot(second.event, starts=hours_ago(3)), scene.applicant)
    large = panel_queries(user, scene.applicant)

    assert small == large <= 6


# --- the evaluation page ------------------------------------------------------------------------------------


def test_the_evaluation_page_reads_a_fixed_number_of_queries(world, as_admin):
    scene = make_scene(world.acme)
    url = reverse("interviews:evaluation_detail", args=[scene.applicant.pk, scene.meeting.pk])
    submit(scene, scene.first)
    small = count_queries(lambda: get_ok(as_admin, url))

    for extra in more_interviewers(scene, 4):
        submit(scene, extra)
    client_for(scene.first).post(
        reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk]),
        scene.form_data(logic=1, comment="修正"),
    )
    large = count_queries(lambda: get_ok(as_admin, url))

    assert small == large


# --- the dashboard and the overdue list ---------------------------------------------------------------------


def test_an_interviewer_sees_the_evaluations_they_owe_on_the_dashboard(world):
    scene = make_scene(world.acme)
    recent = make_scene(world.acme, ended_hours=2, name="最終面接")
    submit(scene, scene.second)
    client = client_for(scene.first)

    card = get_ok(client, "/").content.decode()
    card = card[card.index("data-evaluations-due") :]

    assert "入力が必要な評価が2件あります。" in card
    assert card.index("一次面接") < card.index("最終面接")  # the longest overdue first
    assert "期限切れ" in card and "まで" in card
    assert reverse("interviews:evaluation_edit", args=[recent.applicant.pk, recent.meeting.pk]) in card
    client.post(
        reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk]), scene.form_data()
    )
    assert "入力が必要な評価が1件あります。" in get_ok(client, "/").content.decode()


def test_recruiters_see_the_companys_overdue_evaluations_with_the_interviewers(world, as_recruiter):
    scene = make_scene(world.acme)
    submit(scene, scene.first)
    make_scene(world.acme, ended_hours=2, name="最終面接")  # started, not overdue yet
    make_scene(world.other)

    card = get_ok(as_recruiter, "/").content.decode()
    card = card[card.index("data-evaluations-overdue") :]

    assert "期限を過ぎた未提出の評価が1件あります。" in card
    assert "面接官: 面接 次郎" in card and "最終面接" not in card.split("</section>")[0]
    page = get_ok(as_recruiter, reverse("interviews:evaluations_overdue")).content.decode()
    assert "面接 次郎" in page and scene.applicant.name in page


def test_an_interviewer_may_not_open_the_companys_overdue_list(world, as_interviewer):
    assert as_interviewer.get(reverse("interviews:evaluations_overdue")).status_code == 403


def test_the_dashboard_and_the_overdue_list_read_a_fixed_number_of_queries(world, as_recruiter):
    make_scene(world.acme)
    url = reverse("interviews:evaluations_overdue")
    get_ok(as_recruiter, "/")  # the company's 面接設定 row is made on the first visit
    small = [count_queries(lambda page=page: get_ok(as_recruiter, page)) for page in ("/", url)]
    interviewer = client_for(world.acme.interviewer)
    small_interviewer = count_queries(lambda: get_ok(interviewer, "/"))

    for index in range(4):
        make_scene(world.acme, name=f"面接{index}")
    get_ok(as_recruiter, "/")  # the assignments voided the overdue count's record: this visit counts again
    large = [count_queries(lambda page=page: get_ok(as_recruiter, page)) for page in ("/", url)]

    assert small == large
    assert small_interviewer == count_queries(lambda: get_ok(interviewer, "/"))


def test_the_overdue_list_pages_through_every_overdue_evaluation(world, as_recruiter, monkeypatch):
    from interviews import evaluation_views

    monkeypatch.setattr(evaluation_views, "OVERDUE_PER_PAGE", 2)
    for index in range(3):
        make_scene(world.acme, ended_hours=30 + index, name=f"面接{index}")  # two interviewers each: 6
    url = reverse("interviews:evaluations_overdue")

    first = get_ok(as_recruiter, url).content.decode()
    last = get_ok(as_recruiter, f"{url}?page=3").content.decode()

    assert "6件" in first and "面接2" in first and "面接0" not in first  # the longest overdue first
    assert "面接0" in last
    assert as_recruiter.get(f"{url}?page=9")["Location"].endswith("?page=3")
