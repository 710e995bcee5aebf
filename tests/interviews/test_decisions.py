"""合否判定: recorded per 選考会 with history, 合格 moves the 選考ステータス through applicants' service, the
applicant page's panel, the timeline and 操作ログ; only 採用担当 and 管理者 decide."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry
from applicants import services as applicant_services
from applicants.models import StatusChange
from applicants.timeline import timeline_for
from booking import services as booking_services
from booking.models import Booking
from interviews import decision_panels, decisions
from interviews.models import Decision, DecisionResult
from tests.applicants.factories import ApplicantFactory, stage_named
from tests.helpers import client_for
from tests.interviews.helpers_decisions import (
    decide,
    decision_url,
    detail_url,
    make_scene,
    messages_of,
)
from tests.scheduling.factories import SelectionMeetingFactory

pytestmark = pytest.mark.django_db


def staff_request(rf, world):
    request = rf.get("/")
    request.user, request.session = world.acme.recruiter, {}
    return request


@pytest.fixture
def scene(world):
    return make_scene(world.acme)


@pytest.fixture
def hanako(scene):
    return scene.booked("佐藤 花子")


def post_decision(client, applicant, meeting, **data):
    payload = {"result": "pass", "comment": "", "stage": "", "timing": "none", **data}
    return client.post(decision_url(applicant, meeting), payload)


def test_the_form_offers_the_next_stage_in_order_for_a_pass(world, scene, hanako):
    assert hanako.stage.name == "一次面接"  # the booking moved her there

    page = client_for(world.acme.recruiter).get(decision_url(hanako, scene.meeting))

    assert page.status_code == 200
    assert page.context["form"]["stage"].initial == stage_named(scene.company, "二次面接")
    html = page.content.decode()
    assert "合否判定: 佐藤 花子 さん（一次面接）" in html
    assert "翌営業日 10:00" in html


def test_a_pass_moves_the_applicant_to_the_chosen_stage_with_history_and_audit(world, scene, hanako):
    second = stage_named(scene.company, "二次面接")

    response = post_decision(
        client_for(world.acme.recruiter), hanako, scene.meeting, stage=second.pk, comment="論理的で明快"
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(hanako) + "#decisions"
    decision = Decision.objects.get(applicant=hanako)
    assert (decision.result, decision.comment, decision.moved_to_stage) == ("pass", "論理的で明快", second)
    assert decision.decided_by == world.acme.recruiter
    hanako.refresh_from_db()
    assert hanako.stage == second
    change = StatusChange.objects.filter(applicant=hanako).first()
    assert (change.from_stage.name, change.to_stage, change.changed_by) == (
        "一次面接",
        second,
        world.acme.recruiter,
    )
    assert change.comment == "合否判定（一次面接）: 合格"
    actions = list(AuditEntry.objects.filter(target_id=str(hanako.pk)).values_list("action", flat=True))
    assert "interview.decided" in actions and "applicant.status_changed" in actions
    entry = AuditEntry.objects.get(action="interview.decided")
    assert entry.details["result"] == "pass" and entry.details["stage"] == "二次面接"
    followed = client_for(world.acme.recruiter).get(detail_url(hanako))
    assert "選考ステータスを「二次面接」に変更しました。" not in followed.content.decode()  # shown once


def test_the_messages_say_what_happened(world, scene, hanako):
    client = client_for(world.acme.recruiter)
    second = stage_named(scene.company, "二次面接")

    response = client.post(
        decision_url(hanako, scene.meeting),
        {"result": "pass", "stage": second.pk, "timing": "none"},
        follow=True,
    )

    assert "一次面接: 「合格」と判定しました。" in messages_of(response)
    assert "選考ステータスを「二次面接」に変更しました。" in messages_of(response)


def test_fail_and_hold_leave_the_stage_alone(world, scene, hanako):
    client = client_for(world.acme.recruiter)
    second = stage_named(scene.company, "二次面接")
    for result in ("hold", "fail"):
        assert post_decision(client, hanako, scene.meeting, result=result, stage=second.pk).status_code == 302

    hanako.refresh_from_db()
    assert hanako.stage.name == "一次面接"
    assert not StatusChange.objects.filter(applicant=hanako, to_stage=second).exists()


def test_decisions_are_kept_as_history_and_the_newest_is_current(world, scene, hanako):
    decide(scene, hanako, "hold", comment="他候補と比較")
    decide(scene, hanako, "fail", comment="最終判断")

    panel = client_for(world.acme.recruiter).get(detail_url(hanako)).content.decode()

    assert Decision.objects.filter(applicant=hanako).count() == 2
    current, earlier = panel.index("最終判断"), panel.index("他候補と比較")
    assert current < panel.index("判定の履歴（1件）") < earlier
    assert "不合格" in panel[panel.index('id="decisions"') : current]


def test_each_decision_is_on_the_timeline_without_its_comment(scene, hanako):
    decide(scene, hanako, "hold", comment="社内メモ")
    decide(scene, hanako, "pass", move_to_stage=stage_named(scene.company, "二次面接"))

    items = [item for item in timeline_for(hanako) if item.kind == "decision"]

    assert [item.title for item in items] == ["合否判定: 一次面接 — 合格", "合否判定: 一次面接 — 保留"]
    assert items[0].body == "選考ステータスを「二次面接」に変更"
    assert items[0].actor == scene.recruiter.display_name
    assert items[0].url == decision_url(hanako, scene.meeting)
    assert all("社内メモ" not in item.body for item in items)


def test_the_audit_log_names_the_decision(world, scene, hanako):
    decide(scene, hanako, "fail")

    page = client_for(world.acme.admin).get(reverse("accounts:audit_log"))

    assert "合否を判定" in page.content.decode()


def test_hold_never_sends_a_result_notice(world, scene, hanako):
    response = post_decision(
        client_for(world.acme.recruiter), hanako, scene.meeting, result="hold", timing="now"
    )

    assert response.status_code == 200
    assert "保留の判定では合否連絡を送れません。" in response.content.decode()
    assert not Decision.objects.exists()


def test_a_cancelled_booking_still_lets_the_meeting_be_decided(world, scene, hanako):
    booking = Booking.objects.get(applicant=hanako)
    booking_services.cancel_booking(booking=booking, actor=world.acme.recruiter)

    assert (
        post_decision(client_for(world.acme.recruiter), hanako, scene.meeting, result="fail").status_code
        == 302
    )


def test_a_meeting_the_applicant_never_took_part_in_answers_404(world, scene, hanako):
    elsewhere = SelectionMeetingFactory(company=scene.company, name="最終面接")
    client = client_for(world.acme.recruiter)

    assert client.get(decision_url(hanako, elsewhere)).status_code == 404
    assert post_decision(client, hanako, elsewhere).status_code == 404
    with pytest.raises(ValidationError):
        decide(scene, hanako, "pass", meeting=elsewhere)
    assert not Decision.objects.exists()


def test_an_anonymized_applicant_cannot_be_decided(world, scene, hanako):
    applicant_services.anonymize_applicant(applicant=hanako, actor=world.acme.admin)

    response = post_decision(client_for(world.acme.recruiter), hanako, scene.meeting)

    assert response.status_code == 302
    assert not Decision.objects.exists()
    with pytest.raises(ValidationError):
        decide(scene, hanako, "pass")


def test_an_inactive_stage_is_refused_and_nothing_is_written(world, scene, hanako):
    second = stage_named(scene.company, "二次面接")
    second.is_active = False
    second.save()

    response = post_decision(client_for(world.acme.recruiter), hanako, scene.meeting, stage=second.pk)

    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Decision.objects.exists()
    assert not AuditEntry.objects.filter(action="interview.decided").exists()


@pytest.mark.parametrize("role", ["admin", "recruiter"])
def test_staff_see_the_panel_with_the_decide_button(world, scene, hanako, role):
    html = client_for(world.acme.user(role)).get(detail_url(hanako)).content.decode()

    assert 'id="decisions"' in html
    assert decision_url(hanako, scene.meeting) in html


def test_an_interviewer_gets_403_and_sees_no_decision_ui(world, scene, hanako):
    decide(scene, hanako, "pass", comment="評価は高い")
    client = client_for(world.acme.interviewer)

    page = client.get(detail_url(hanako))
    assert page.status_code == 200  # they interview her slot, so they read her page
    html = page.content.decode()
    assert 'id="decisions"' not in html
    for path in ("/interviews/applicants/", "/interviews/decisions/", "/interviews/result-notices/"):
        assert path not in html  # no decision link, form or button
    assert "評価は高い" not in html
    assert client.get(decision_url(hanako, scene.meeting)).status_code == 403
    assert post_decision(client, hanako, scene.meeting, result="fail").status_code == 403
    assert Decision.objects.count() == 1


def test_another_companys_applicant_or_meeting_answers_404_and_writes_nothing(world, scene, hanako):
    other = make_scene(world.other)
    theirs = other.booked("他社 応募者")
    client = client_for(world.acme.admin)

    for applicant, meeting in ((theirs, other.meeting), (hanako, other.meeting), (theirs, scene.meeting)):
        assert client.get(decision_url(applicant, meeting)).status_code == 404
        assert post_decision(client, applicant, meeting).status_code == 404
    assert not Decision.objects.exists()


def test_the_service_refuses_objects_of_another_company(world, scene, hanako):
    other = make_scene(world.other)
    with pytest.raises(ValueError):
        decide(scene, hanako, "pass", meeting=other.meeting)
    with pytest.raises(ValueError):
        decide(scene, hanako, "pass", move_to_stage=stage_named(world.other.company, "二次面接"))


def test_an_applicant_without_bookings_or_decisions_costs_the_panel_no_query(rf, world):
    applicant = ApplicantFactory(company=world.acme.company)
    request = staff_request(rf, world)

    with CaptureQueriesContext(connection) as queries:
        html = decision_panels.applicant_decisions_panel(request, applicant, [])

    assert len(queries) == 0
    assert "予約した選考会がないため、まだ判定できません。" in html


def test_the_panel_reads_any_number_of_meetings_in_three_queries(rf, world, scene, hanako):
    request = staff_request(rf, world)
    timeline = timeline_for(hanako)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            decision_panels.applicant_decisions_panel(request, hanako, timeline)
        return len(queries)

    decide(scene, hanako, "pass")
    few = count()
    for name in ("二次面接", "最終面接", "役員面接"):
        meeting = SelectionMeetingFactory(company=scene.company, name=name)
        Decision.objects.create(
            company=scene.company, applicant=hanako, selection_meeting=meeting, result=DecisionResult.HOLD
        )
        Decision.objects.create(
            company=scene.company, applicant=hanako, selection_meeting=meeting, result=DecisionResult.PASS
        )
    assert count() == few == 3


def test_deciding_again_adds_a_row_and_records_who_decided(world, scene, hanako):
    first = decide(scene, hanako, "pass", comment="一回目")
    second = decide(scene, hanako, "pass", comment="二回目")

    assert list(Decision.objects.filter(applicant=hanako).order_by("pk")) == [first, second]
    result = decisions.record_decision(
        applicant=hanako, selection_meeting=scene.meeting, result="fail", actor=world.acme.admin
    )
    assert result.decision.decided_by == world.acme.admin
