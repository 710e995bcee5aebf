"""Corrections: a submitted evaluation is corrected by its author only; each correction is a new version,
and the evaluation page shows the history (who, when, what changed)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from interviews import evaluations
from interviews.models import Evaluation, EvaluationRevision
from tests.helpers import client_for
from tests.interviews.helpers_evaluations import make_scene, submit

pytestmark = pytest.mark.django_db


def edit_url(scene) -> str:
    return reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk])


def detail_url(scene) -> str:
    return reverse("interviews:evaluation_detail", args=[scene.applicant.pk, scene.meeting.pk])


def test_a_correction_is_a_new_version_and_the_page_shows_what_changed(world):
    scene = make_scene(world.acme)
    client = client_for(scene.first)
    client.post(edit_url(scene), scene.form_data(logic=3, recommendation="C", comment="やや不安"))

    form = client.get(edit_url(scene)).content.decode()
    assert "提出済みの評価（第1版）を修正します。" in form and 'value="draft"' not in form
    data = scene.form_data(logic=4, recommendation="B", comment="再考して評価を上げる")
    response = client.post(edit_url(scene), data, follow=True)

    page = response.content.decode()
    assert "評価を修正しました（修正履歴に残ります）。" in page
    evaluation = Evaluation.objects.get()
    assert evaluation.version == 2 and evaluation.answers[str(scene.logic.pk)] == 4
    assert list(EvaluationRevision.objects.order_by("version").values_list("version", "comment")) == [
        (1, "やや不安"),
        (2, "再考して評価を上げる"),
    ]
    assert "第2版" in page and "第1版" in page
    history = page[page.index("提出・修正履歴") :]
    assert "論理的思考力: <del>3 普通</del> → <ins>4 良い</ins>" in history
    assert "推奨度: <del>C: 懸念がある</del> → <ins>B: 採用してよい</ins>" in history
    assert "コメント: <del>やや不安</del> → <ins>再考して評価を上げる</ins>" in history
    assert "コミュニケーション力: <del>" not in history  # unchanged items are not listed
    entry = AuditEntry.objects.get(action="interview.evaluation_corrected")
    assert entry.details["version"] == 2
    assert entry.details["changed"] == ["論理的思考力", "推奨度", "コメント"]


def test_a_correction_without_a_change_writes_no_version(world):
    scene = make_scene(world.acme)
    client = client_for(scene.first)
    client.post(edit_url(scene), scene.form_data())

    response = client.post(edit_url(scene), scene.form_data(), follow=True)

    assert "変更はありません。" in response.content.decode()
    assert EvaluationRevision.objects.count() == 1
    assert not AuditEntry.objects.filter(action="interview.evaluation_corrected").exists()


def test_a_correction_must_still_be_complete_and_cannot_go_back_to_draft(world):
    scene = make_scene(world.acme)
    client = client_for(scene.first)
    client.post(edit_url(scene), scene.form_data())

    incomplete = client.post(edit_url(scene), scene.form_data(recommendation=""))
    back_to_draft = client.post(edit_url(scene), scene.form_data("draft", comment="x"))

    assert "提出するには推奨度を選んでください。" in incomplete.content.decode()
    assert "提出済みの評価は下書きに戻せません。" in back_to_draft.content.decode()
    evaluation = Evaluation.objects.get()
    assert (evaluation.version, evaluation.recommendation, evaluation.comment) == (1, "B", "")


def test_nobody_else_corrects_an_evaluation_an_admin_writes_their_own(world, as_admin):
    scene = make_scene(world.acme)
    theirs = submit(scene, scene.second, recommendation="D", comment="面接 次郎の判断")

    as_admin.post(edit_url(scene), scene.form_data(recommendation="A", comment="管理者の評価"))

    theirs.refresh_from_db()
    assert (theirs.recommendation, theirs.comment, theirs.version) == ("D", "面接 次郎の判断", 1)
    mine = Evaluation.objects.get(evaluator=world.acme.admin)
    assert mine.recommendation == "A"
    # The other interviewer's own form edits their own evaluation only.
    form = client_for(scene.first).get(edit_url(scene)).content.decode()
    assert "面接 次郎の判断" not in form and "提出済みの評価" not in form


def test_a_double_submit_makes_one_version(world):
    scene = make_scene(world.acme)
    for _ in range(2):
        evaluations.save_evaluation(
            applicant=scene.applicant,
            meeting=scene.meeting,
            evaluator=scene.first,
            slot=scene.slot,
            answers=scene.answers(),
            recommendation="B",
            comment="同じ内容",
            submit=True,
        )

    assert EvaluationRevision.objects.count() == 1
    assert Evaluation.objects.get().version == 1


def test_each_submission_and_correction_is_on_the_timeline_without_its_content(world, as_recruiter):
    scene = make_scene(world.acme)
    client = client_for(scene.first)
    client.post(edit_url(scene), scene.form_data(comment="初回"))
    client.post(edit_url(scene), scene.form_data(comment="修正後のコメント"))

    page = as_recruiter.get(reverse("applicants:detail", args=[scene.applicant.pk])).content.decode()
    timeline = page[page.index('id="timeline"') :]

    assert "評価を提出: 一次面接" in timeline and "評価を修正: 一次面接（第2版）" in timeline
    assert "初回" not in timeline and "修正後のコメント" not in timeline
    assert detail_url(scene) in timeline  # staff follow the link to the evaluation page
