"""独立評価 (the blind rule): an interviewer sees no other evaluation of the applicant in that 選考会, nor any
average, tally or text that reveals one, until their own is submitted; recruiters and admins see all; a draft
is seen by its author only. Checked on every page a user can reach, not only on the evaluation pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

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
from tests.probes.pages import Walker
from tests.scheduling.factories import EventFactory, SelectionMeetingFactory

pytestmark = pytest.mark.django_db

SECRET = "SECRET-二次面接で深掘りしたい"
DRAFT_SECRET = "DRAFT-まだ迷っている"


def applicant_page(scene) -> str:
    return reverse("applicants:detail", args=[scene.applicant.pk])


def detail_page(scene) -> str:
    return reverse("interviews:evaluation_detail", args=[scene.applicant.pk, scene.meeting.pk])


def texts_of(client, *urls) -> str:
    pages = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    return "\n".join(pages)


def test_before_submitting_an_interviewer_sees_no_other_evaluation_anywhere_on_the_pages(world):
    scene = make_scene(world.acme)
    submit(scene, scene.second, logic=5, talk=5, recommendation="A", comment=SECRET)
    client = client_for(scene.first)

    page = texts_of(client, applicant_page(scene), detail_page(scene))

    assert SECRET not in page
    assert "A: ぜひ採用したい" not in page  # the other's 推奨度
    assert "data-overall-average" not in page and "名</td>" not in page  # no average, no tally
    assert "5.00" not in page
    assert "独立評価のため、あなたの評価を提出するまで他の評価者の評価は表示されません。" in page


def test_after_submitting_the_interviewer_sees_every_submitted_evaluation(world):
    scene = make_scene(world.acme)
    submit(scene, scene.second, logic=5, talk=5, recommendation="A", comment=SECRET)
    client = client_for(scene.first)

    client.post(
        reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk]),
        scene.form_data(logic=3, talk=4, recommendation="B"),
    )
    page = texts_of(client, applicant_page(scene), detail_page(scene))

    assert SECRET in page and "A: ぜひ採用したい" in page
    assert "独立評価のため" not in page
    # 論理的思考力 (5 + 3) / 2, コミュニケーション力 (5 + 4) / 2, overall (5 + 5 + 3 + 4) / 4
    assert "4.00" in page and "4.50" in page and "4.25" in page


def test_recruiters_and_admins_see_all_submitted_evaluations_without_evaluating(world):
    scene = make_scene(world.acme)
    submit(scene, scene.second, recommendation="A", comment=SECRET)

    for user in (world.acme.recruiter, world.acme.admin):
        page = texts_of(client_for(user), applicant_page(scene), detail_page(scene))
        assert SECRET in page and "A: ぜひ採用したい" in page


def test_a_draft_is_seen_by_nobody_but_its_author(world):
    scene = make_scene(world.acme)
    draft(scene, scene.first, comment=DRAFT_SECRET)
    submit(scene, scene.second, comment=SECRET)

    for user in (scene.second, world.acme.recruiter, world.acme.admin):
        page = texts_of(client_for(user), applicant_page(scene), detail_page(scene))
        assert DRAFT_SECRET not in page, user
    assert DRAFT_SECRET in texts_of(client_for(scene.first), detail_page(scene))


def test_the_rule_holds_per_meeting_an_interviewer_of_a_later_meeting_sees_no_earlier_evaluation(world):
    scene = make_scene(world.acme)
    submit(scene, scene.second, comment=SECRET)
    second_round = SelectionMeetingFactory(company=world.acme.company, name="二次面接")
    later = EventFactory(selection_meeting=second_round)
    book(make_slot(later, starts=hours_ago(2)), scene.applicant)
    colleague = world.acme.recruiter.__class__.objects.create_user(
        "colleague@acme.example.com", company=world.acme.company, role="interviewer", name="二次 面接官"
    )
    assign_event(later, colleague)
    client = client_for(colleague)

    page = texts_of(client, applicant_page(scene))

    assert "二次面接" in page and SECRET not in page
    assert client.get(detail_page(scene)).status_code == 404


def test_the_timeline_says_who_submitted_but_not_what(world):
    scene = make_scene(world.acme)
    submit(scene, scene.second, recommendation="A", comment=SECRET)

    page = texts_of(client_for(scene.first), applicant_page(scene))

    assert "評価を提出: 一次面接" in page and "面接 次郎" in page
    assert SECRET not in page


def test_no_page_the_blind_interviewer_can_reach_reveals_the_other_evaluation(world):
    """The walk follows every link from the dashboard (applicant pages, evaluation pages, the calendar feed
    and whatever pages are added later)."""
    scene = make_scene(world.acme)
    submit(scene, scene.second, recommendation="A", comment=SECRET)
    draft(scene, world.acme.recruiter, comment=DRAFT_SECRET)
    walker = Walker(client_for(scene.first), per_route=20)

    pages = walker.walk("/", applicant_page(scene))

    reached = {page.url for page in pages}
    assert applicant_page(scene) in reached and detail_page(scene) in reached
    leaks = [page.url for page in pages if SECRET in page.text or DRAFT_SECRET in page.text]
    assert leaks == []
    assert [failure for failure in walker.failures if failure.startswith("/interviews/")] == []
