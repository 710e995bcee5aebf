"""評価シート: recruiters and admins define a 選考会's items (5段階 with a label per point, 選択肢, 自由記述;
required or not; order; help text); changing them after evaluations exist keeps those evaluations whole."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from interviews.models import EvaluationItem, EvaluationSheet, ItemKind
from tests.helpers import client_for
from tests.interviews.helpers_evaluations import make_scene, submit
from tests.scheduling.factories import SelectionMeetingFactory

pytestmark = pytest.mark.django_db


def sheet_url(meeting) -> str:
    return reverse("interviews:evaluation_sheet", args=[meeting.pk])


def item_data(label: str, kind: str = ItemKind.SCALE, **extra) -> dict[str, str]:
    data = {"label": label, "kind": kind, "help_text": "", "required": "on", "choices": ""}
    data |= {f"scale_{point}": "" for point in range(1, 6)}
    return data | extra


def labels(meeting) -> list[str]:
    items = EvaluationItem.objects.filter(sheet__selection_meeting=meeting, removed_at__isnull=True)
    return list(items.order_by("position").values_list("label", flat=True))


def test_the_meeting_list_and_the_schedule_page_link_to_the_sheet(world, as_recruiter):
    meeting = SelectionMeetingFactory(company=world.acme.company, name="一次面接")

    for page in (reverse("scheduling:meeting_list"), reverse("scheduling:schedule", args=[meeting.pk])):
        assert sheet_url(meeting) in as_recruiter.get(page).content.decode()


def test_a_recruiter_adds_a_scale_item_with_a_label_per_point(world, as_recruiter):
    meeting = SelectionMeetingFactory(company=world.acme.company, name="一次面接")
    words = ["不十分", "やや不十分", "普通", "良い", "優秀"]
    points = {f"scale_{point}": label for point, label in enumerate(words, 1)}

    response = as_recruiter.post(
        reverse("interviews:evaluation_item_create", args=[meeting.pk]),
        item_data("論理的思考力", help_text="結論から話せるか", **points),
        follow=True,
    )

    item = EvaluationItem.objects.get(sheet__selection_meeting=meeting)
    assert (item.kind, item.required, item.help_text) == (ItemKind.SCALE, True, "結論から話せるか")
    assert item.scale_labels == ["不十分", "やや不十分", "普通", "良い", "優秀"]
    page = response.content.decode()
    assert "評価項目「論理的思考力」を追加しました。" in page
    assert "1=不十分" in page and "5=優秀" in page
    entry = AuditEntry.objects.get(action="interview.sheet_updated")
    assert entry.details == {"change": "item_added", "item": "論理的思考力"}


def test_a_choice_item_needs_two_choices_one_per_line(world, as_recruiter):
    meeting = SelectionMeetingFactory(company=world.acme.company)
    url = reverse("interviews:evaluation_item_create", args=[meeting.pk])

    refused = as_recruiter.post(url, item_data("志望度", ItemKind.CHOICE, choices="高い"))
    assert refused.status_code == 200
    assert "選択肢を2〜20個、1行に1つずつ入力してください。" in refused.content.decode()
    assert not EvaluationItem.objects.exists()

    choices = "高い\n 普通 \n\n低い\n高い"
    as_recruiter.post(url, item_data("志望度", ItemKind.CHOICE, choices=choices, required=""))
    item = EvaluationItem.objects.get()
    assert (item.choices, item.required, item.scale_labels) == (["高い", "普通", "低い"], False, [])


def test_items_move_up_and_down(world, as_recruiter):
    scene = make_scene(world.acme)
    move = reverse("interviews:evaluation_item_move", args=[scene.motive.pk])

    as_recruiter.post(move, {"direction": "up"})
    assert labels(scene.meeting) == ["論理的思考力", "志望度", "コミュニケーション力", "特記事項"]
    as_recruiter.post(move, {"direction": "up"})
    as_recruiter.post(move, {"direction": "up"})  # already first: nothing moves
    assert labels(scene.meeting) == ["志望度", "論理的思考力", "コミュニケーション力", "特記事項"]
    as_recruiter.post(move, {"direction": "down"})
    assert labels(scene.meeting) == ["論理的思考力", "志望度", "コミュニケーション力", "特記事項"]
    # The form shows them in that order too.
    page = client_for(scene.first).get(
        reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk])
    )
    text = page.content.decode()
    assert text.index("論理的思考力") < text.index("志望度") < text.index("コミュニケーション力")


def test_an_answered_item_keeps_its_kind(world, as_recruiter):
    scene = make_scene(world.acme)
    submit(scene, scene.second)
    url = reverse("interviews:evaluation_item_edit", args=[scene.logic.pk])

    response = as_recruiter.post(url, item_data("論理性", ItemKind.TEXT))

    assert "この項目には回答済みの評価があるため、形式は変更できません。" in response.content.decode()
    scene.logic.refresh_from_db()
    assert (scene.logic.label, scene.logic.kind) == ("論理的思考力", ItemKind.SCALE)
    # Its wording and help may change.
    as_recruiter.post(url, item_data("論理性", ItemKind.SCALE, help_text="筋道", scale_1="弱い"))
    scene.logic.refresh_from_db()
    logic = scene.logic
    assert (logic.label, logic.help_text, logic.scale_labels[0]) == ("論理性", "筋道", "弱い")


def test_a_removed_item_leaves_the_form_and_its_answers_stay_readable(world, as_recruiter):
    scene = make_scene(world.acme)
    submit(scene, scene.second, logic=5, comment="論理明快")

    as_recruiter.post(reverse("interviews:evaluation_item_delete", args=[scene.logic.pk]))

    scene.logic.refresh_from_db()
    assert scene.logic.removed_at is not None
    assert "論理的思考力" not in labels(scene.meeting)
    form = client_for(scene.first).get(
        reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk])
    )
    assert "論理的思考力" not in form.content.decode()
    detail = reverse("interviews:evaluation_detail", args=[scene.applicant.pk, scene.meeting.pk])
    page = as_recruiter.get(detail)
    text = page.content.decode()
    assert "論理的思考力" in text and "削除された項目" in text
    # The answer stays with the evaluation, and a correction by its author keeps it.
    client_for(scene.second).post(
        reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk]),
        scene.form_data(talk=5, comment="論理明快"),
    )
    assert scene.second.evaluations.get().answers[str(scene.logic.pk)] == 5


def test_an_empty_sheet_starts_from_the_standard_items(world, as_recruiter):
    meeting = SelectionMeetingFactory(company=world.acme.company)

    as_recruiter.post(reverse("interviews:evaluation_sheet_standard", args=[meeting.pk]))
    as_recruiter.post(reverse("interviews:evaluation_sheet_standard", args=[meeting.pk]))  # not twice

    assert labels(meeting) == ["コミュニケーション力", "論理的思考力", "主体性", "志望度"]
    assert EvaluationItem.objects.first().scale_labels[-1] == "非常に優れている"


def test_the_instructions_are_saved_and_shown_on_the_form(world, as_admin):
    scene = make_scene(world.acme)

    as_admin.post(sheet_url(scene.meeting), {"instructions": "結論ファーストで話せるかを重視"})

    sheet = EvaluationSheet.objects.get(selection_meeting=scene.meeting)
    assert sheet.instructions == "結論ファーストで話せるかを重視"
    form = client_for(scene.first).get(
        reverse("interviews:evaluation_edit", args=[scene.applicant.pk, scene.meeting.pk])
    )
    assert "結論ファーストで話せるかを重視" in form.content.decode()


def test_interviewers_may_not_open_or_change_a_sheet(world, as_interviewer):
    scene = make_scene(world.acme)

    assert as_interviewer.get(sheet_url(scene.meeting)).status_code == 403
    delete = reverse("interviews:evaluation_item_delete", args=[scene.logic.pk])
    assert as_interviewer.post(delete).status_code == 403
    assert (
        as_interviewer.post(
            reverse("interviews:evaluation_item_create", args=[scene.meeting.pk]), item_data("X")
        ).status_code
        == 403
    )
    assert labels(scene.meeting) == ["論理的思考力", "コミュニケーション力", "志望度", "特記事項"]


def test_another_companys_sheet_and_items_answer_404_and_nothing_changes(world):
    theirs = make_scene(world.other)
    admin = client_for(world.acme.admin)

    assert admin.get(sheet_url(theirs.meeting)).status_code == 404
    assert admin.post(sheet_url(theirs.meeting), {"instructions": "x"}).status_code == 404
    create = reverse("interviews:evaluation_item_create", args=[theirs.meeting.pk])
    assert admin.post(create, item_data("X")).status_code == 404
    for name, data in (
        ("interviews:evaluation_item_edit", item_data("X")),
        ("interviews:evaluation_item_delete", {}),
        ("interviews:evaluation_item_move", {"direction": "down"}),
    ):
        assert admin.post(reverse(name, args=[theirs.logic.pk]), data).status_code == 404
    assert labels(theirs.meeting) == ["論理的思考力", "コミュニケーション力", "志望度", "特記事項"]
    assert not AuditEntry.objects.filter(action="interview.sheet_updated").exists()
    assert EvaluationSheet.objects.get(pk=theirs.logic.sheet_id).instructions == ""
