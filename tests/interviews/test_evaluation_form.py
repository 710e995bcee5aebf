"""Evaluating: the interviewers of a slot evaluate its applicants once it has started; drafts, submission
with the required items, who else may evaluate, and who may not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Role
from applicants import services as applicant_services
from interviews import tasks
from interviews.models import Evaluation, EvaluationRevision
from notifications.models import MailKind, SentMail
from scheduling.models import Slot
from tests.applicants.factories import ApplicantFactory
from tests.factories import UserFactory
from tests.helpers import client_for
from tests.interviews.helpers_evaluations import (
    assign_event,
    assign_slot,
    book,
    hours_ago,
    make_scene,
    make_slot,
)
from tests.scheduling.factories import EventFactory, ZoomEventFactory

pytestmark = pytest.mark.django_db


def edit_url(scene) -> str:
    return reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk])


def detail_url(scene) -> str:
    return reverse("interviews:evaluation_detail", args=[scene.applicant.pk, scene.meeting.pk])


def test_the_form_shows_every_item_with_its_points_and_help(world):
    scene = make_scene(world.acme)

    page = client_for(scene.first).get(edit_url(scene)).content.decode()

    for text in ("論理的思考力", "結論から順序立てて話せるか", "非常に優れている"):
        assert text in page
    for text in ("志望度", "高い", "特記事項"):
        assert text in page
    assert "A: ぜひ採用したい" in page and "D: 採用すべきでない" in page
    assert 'name="viewport"' in page and "css/evaluations.css" in page  # the phone layout
    assert 'value="draft"' in page and 'value="submit"' in page


def test_before_the_interview_starts_the_form_says_when_and_a_post_writes_nothing(world):
    scene = make_scene(world.acme)
    Slot.objects.filter(pk=scene.slot.pk).update(starts_at=hours_ago(-48), ends_at=hours_ago(-49))
    client = client_for(scene.first)

    page = client.get(edit_url(scene)).content.decode()
    assert "評価は面接の開始後に入力できます" in page
    assert 'value="submit"' not in page
    response = client.post(edit_url(scene), scene.form_data(), follow=True)
    assert "評価は面接の開始後に入力できます" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_a_draft_is_kept_for_its_author_and_is_no_submission(world):
    scene = make_scene(world.acme)
    client = client_for(scene.first)

    data = scene.form_data("draft", recommendation="", comment="途中まで")
    response = client.post(edit_url(scene), data, follow=True)

    assert "下書きを保存しました。" in response.content.decode()
    evaluation = Evaluation.objects.get()
    assert (evaluation.submitted_at, evaluation.version, evaluation.comment) == (None, 0, "途中まで")
    assert not EvaluationRevision.objects.exists()
    assert "途中まで" in client.get(edit_url(scene)).content.decode()  # it comes back in the form


def test_submitting_without_the_required_items_names_each_one_and_submits_nothing(world):
    scene = make_scene(world.acme)
    data = scene.form_data(recommendation="")
    data.pop(f"item_{scene.logic.pk}")

    response = client_for(scene.first).post(edit_url(scene), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("提出するには入力が必要です。") == 1
    assert "提出するには推奨度を選んでください。" in page
    assert not Evaluation.objects.filter(submitted_at__isnull=False).exists()
    # The optional free text may stay empty.
    data = scene.form_data(note="")
    response = client_for(scene.first).post(edit_url(scene), data, follow=True)
    assert "評価を提出しました。" in response.content.decode()


def test_a_submission_is_version_one_with_an_audit_entry(world):
    scene = make_scene(world.acme)

    data = scene.form_data(logic=5, comment="明快")
    response = client_for(scene.first).post(edit_url(scene), data, follow=True)

    assert response.redirect_chain[-1][0] == detail_url(scene)
    evaluation = Evaluation.objects.get()
    assert evaluation.is_submitted and evaluation.version == 1
    assert evaluation.answers == {str(scene.logic.pk): 5, str(scene.talk.pk): 3, str(scene.motive.pk): "高い"}
    assert (evaluation.recommendation, evaluation.slot_id) == ("B", scene.slot.pk)
    revision = EvaluationRevision.objects.get()
    assert (revision.version, revision.edited_by, revision.comment) == (1, scene.first, "明快")
    entry = AuditEntry.objects.get(action="interview.evaluation_submitted")
    assert entry.actor == scene.first and entry.target_id == str(scene.applicant.pk)
    assert entry.details == {"selection_meeting": "一次面接", "version": 1}


def test_values_outside_the_sheet_are_refused(world):
    scene = make_scene(world.acme)
    client = client_for(scene.first)

    wrong = [{f"item_{scene.logic.pk}": "6"}, {f"item_{scene.motive.pk}": "最高"}, {"recommendation": "S"}]
    for bad in wrong:
        response = client.post(edit_url(scene), scene.form_data() | bad)
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()
    response = client.post(edit_url(scene), scene.form_data("publish"))
    assert "「下書き保存」または「提出する」を押してください。" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_an_interviewer_of_another_slot_may_not_evaluate_this_applicant(world):
    scene = make_scene(world.acme)
    stranger = UserFactory(company=world.acme.company, role=Role.INTERVIEWER)

    client = client_for(stranger)
    assert client.get(edit_url(scene)).status_code == 404
    assert client.post(edit_url(scene), scene.form_data()).status_code == 404
    assert client.get(detail_url(scene)).status_code == 404
    assert not Evaluation.objects.exists()


def test_an_interviewer_evaluates_only_applicants_booked_into_their_slot(world):
    scene = make_scene(world.acme)
    other_slot = make_slot(scene.event, starts=hours_ago(5))
    someone = ApplicantFactory(company=world.acme.company)
    book(other_slot, someone)
    solo = UserFactory(company=world.acme.company, role=Role.INTERVIEWER)
    assign_slot(other_slot, solo)  # the slot's own interviewer replaces the event's
    client = client_for(solo)

    theirs = reverse("interviews:evaluation_edit", args=[someone.pk, scene.meeting.pk])
    assert client.get(theirs).status_code == 200
    assert client.get(edit_url(scene)).status_code == 404
    assert client_for(scene.first).get(theirs).status_code == 404


def test_a_recruiter_may_evaluate_an_applicant_who_was_interviewed(world, as_recruiter):
    scene = make_scene(world.acme)

    response = as_recruiter.post(edit_url(scene), scene.form_data(recommendation="A"), follow=True)

    assert "評価を提出しました。" in response.content.decode()
    assert Evaluation.objects.get().evaluator == world.acme.recruiter


def test_without_a_booking_nobody_evaluates(world, as_admin):
    scene = make_scene(world.acme)
    other = ApplicantFactory(company=world.acme.company)
    url = reverse("interviews:evaluation_edit", args=[other.pk, scene.meeting.pk])

    page = as_admin.get(url).content.decode()
    assert "評価を入力できません" in page
    as_admin.post(url, scene.form_data())
    assert not Evaluation.objects.exists()


def test_an_anonymized_applicant_is_not_evaluated_and_their_texts_are_erased(world, as_admin):
    scene = make_scene(world.acme)
    data = scene.form_data(note="家族の事情を話した", comment="印象良")
    client_for(scene.first).post(edit_url(scene), data)

    applicant_services.anonymize_applicant(applicant=scene.applicant, actor=world.acme.admin)

    evaluation = Evaluation.objects.get()
    assert evaluation.comment == "" and str(scene.note.pk) not in evaluation.answers
    assert evaluation.answers[str(scene.logic.pk)] == 4  # the scores stay for the counts
    assert EvaluationRevision.objects.get().comment == ""
    scene.applicant.refresh_from_db()
    response = client_for(scene.second).post(edit_url(scene), scene.form_data(), follow=True)
    assert "個人情報を削除した応募者は評価できません。" in response.content.decode()
    assert Evaluation.objects.count() == 1


def test_another_companys_applicant_or_meeting_answers_404_and_nothing_is_written(world):
    theirs = make_scene(world.other)
    mine = make_scene(world.acme)
    admin = client_for(world.acme.admin)

    for applicant, meeting in ((theirs.applicant, theirs.meeting), (mine.applicant, theirs.meeting),
                               (theirs.applicant, mine.meeting)):  # fmt: skip
        for name in ("interviews:evaluation_edit", "interviews:evaluation_detail"):
            url = reverse(name, args=[applicant.pk, meeting.pk])
            assert admin.get(url).status_code == 404
            assert admin.post(url, theirs.form_data()).status_code == 404
    assert not Evaluation.objects.exists()


def test_a_slot_long_past_can_still_be_evaluated(world):
    scene = make_scene(world.acme, ended_hours=24 * 40)

    response = client_for(scene.first).post(edit_url(scene), scene.form_data(), follow=True)

    assert "評価を提出しました。" in response.content.decode()
    assert scene.slot.starts_at < hours_ago(0) - timedelta(days=39)


def test_with_two_slots_in_the_meeting_the_one_that_took_place_is_evaluated(world):
    scene = make_scene(world.acme)
    later_event = EventFactory(selection_meeting=scene.meeting, name="最終確認")
    assign_event(later_event, scene.first)
    book(make_slot(later_event, starts=hours_ago(-24)), scene.applicant)  # tomorrow

    response = client_for(scene.first).post(edit_url(scene), scene.form_data(), follow=True)

    assert "評価を提出しました。" in response.content.decode()
    assert Evaluation.objects.get().slot_id == scene.slot.pk


def test_the_zoom_host_of_the_event_may_evaluate_and_is_not_reminded(world):
    scene = make_scene(world.acme)
    host = UserFactory(company=world.acme.company, role=Role.INTERVIEWER, email="host@acme.example.com")
    zoom_event = ZoomEventFactory(
        selection_meeting=scene.meeting, meeting_host_email="Host@acme.example.com", name="Web面接"
    )
    applicant = ApplicantFactory(company=world.acme.company)
    book(make_slot(zoom_event, starts=hours_ago(40)), applicant)
    url = reverse("interviews:evaluation_edit", args=[applicant.pk, scene.meeting.pk])

    response = client_for(host).post(url, scene.form_data(), follow=True)

    assert "評価を提出しました。" in response.content.decode()
    tasks.remind_company_overdue_evaluations(world.acme.company.pk)
    reminded = SentMail.objects.filter(kind=MailKind.EVALUATION_REMINDER).values_list("to_email", flat=True)
    assert "host@acme.example.com" not in reminded


def test_a_post_without_any_field_gets_a_message_and_writes_nothing(world):
    """Found by the hostile-input sweep: an empty POST answered 500."""
    scene = make_scene(world.acme)
    url = reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk])

    response = client_for(scene.first).post(url, {})

    assert response.status_code == 200
    assert "「下書き保存」または「提出する」を押してください。" in response.content.decode()
    assert not Evaluation.objects.exists()
