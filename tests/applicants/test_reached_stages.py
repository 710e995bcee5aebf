"""Applicant.reached_stages (the bit of every stage an applicant has been in) and SelectionStage.bit: kept by
every writer, filled by the migration, and the 63-stage limit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from applicants import services, stage_bits
from applicants.models import MAX_STAGES, Applicant, SelectionStage, StatusChange
from applicants.selectors import company_stages
from tests.applicants.factories import ApplicantFactory, stage_named
from tests.applicants.test_import import _confirm, _csv, _row, _upload

pytestmark = pytest.mark.django_db


def bits_of(company, *names: str) -> int:
    return sum(stage_named(company, name).mask for name in set(names))


def reached(applicant: Applicant) -> int:
    return Applicant.objects.values_list("reached_stages", flat=True).get(pk=applicant.pk)


def test_the_default_stages_take_bits_0_to_10_in_their_order(world):
    stages = company_stages(world.acme.company)
    assert [stage.bit for stage in stages] == list(range(len(services.DEFAULT_STAGES)))
    assert [stage.bit for stage in company_stages(world.other.company)] == [s.bit for s in stages]


def test_create_applicant_has_reached_its_first_stage(world):
    company = world.acme.company
    applicant = services.create_applicant(
        company=company,
        actor=world.acme.recruiter,
        fields={"name": "山田 花子"},
        stage=stage_named(company, "説明会"),
    )
    assert applicant.reached_stages == reached(applicant) == bits_of(company, "説明会")


def test_change_status_adds_each_stage_and_keeps_them_when_moved_back_or_closed(world):
    company, actor = world.acme.company, world.acme.recruiter
    applicant = services.create_applicant(
        company=company, actor=actor, fields={"name": "山田 花子"}, stage=stage_named(company, "エントリー")
    )
    for name in ("二次面接", "書類選考", "不合格"):
        services.change_status(applicant=applicant, stage=stage_named(company, name), actor=actor)
    expected = bits_of(company, "エントリー", "二次面接", "書類選考", "不合格")
    assert reached(applicant) == applicant.reached_stages == expected


def test_a_move_judged_from_a_stage_happens_only_while_the_applicant_is_still_there(world):
    """change_status(if_still_at=…), a booking's 予約時の選考ステータス: one conditional UPDATE."""
    company = world.acme.company
    entry, first, final = (stage_named(company, name) for name in ("エントリー", "一次面接", "最終面接"))
    applicant = ApplicantFactory(company=company, stage=entry)
    Applicant.objects.filter(pk=applicant.pk).update(reached_stages=entry.mask)

    change = services.change_status(applicant=applicant, stage=first, actor=None, if_still_at=entry)

    applicant.refresh_from_db()
    assert applicant.stage == first and reached(applicant) == entry.mask | first.mask
    assert change is not None and (change.from_stage, change.to_stage) == (entry, first)
    assert StatusChange.objects.filter(applicant=applicant).count() == 1
    # Moved meanwhile (the caller still thinks エントリー): nothing changes, no history.
    Applicant.objects.filter(pk=applicant.pk).update(stage=final)
    assert services.change_status(applicant=applicant, stage=first, actor=None, if_still_at=entry) is None
    assert Applicant.objects.get(pk=applicant.pk).stage == final
    assert StatusChange.objects.filter(applicant=applicant).count() == 1


def test_a_move_judged_from_a_stage_leaves_an_anonymized_applicant_and_refuses_another_company(world):
    company = world.acme.company
    entry, first = stage_named(company, "エントリー"), stage_named(company, "一次面接")
    applicant = ApplicantFactory(company=company, stage=entry)
    services.anonymize_applicant(applicant=applicant, actor=world.acme.admin)

    assert services.change_status(applicant=applicant, stage=first, actor=None, if_still_at=entry) is None
    assert Applicant.objects.get(pk=applicant.pk).stage == entry
    assert not StatusChange.objects.filter(applicant=applicant, to_stage=first).exists()
    other = ApplicantFactory(
        company=world.other.company, stage=stage_named(world.other.company, "エントリー")
    )
    with pytest.raises(ValueError):
        services.change_status(applicant=other, stage=first, actor=None, if_still_at=entry)


def test_bulk_change_status_adds_the_stage_in_the_same_update(world):
    company, actor = world.acme.company, world.acme.recruiter
    first = ApplicantFactory(company=company, stage=stage_named(company, "説明会"))
    second = ApplicantFactory(company=company, stage=stage_named(company, "一次面接"))
    already = ApplicantFactory(company=company, stage=stage_named(company, "二次面接"))
    target = stage_named(company, "二次面接")
    moved = services.bulk_change_status(
        company=company, applicant_ids=[first.pk, second.pk, already.pk], stage=target, actor=actor
    )
    assert moved == 2
    assert reached(first) == bits_of(company, "説明会", "二次面接")
    assert reached(second) == bits_of(company, "一次面接", "二次面接")
    assert reached(already) == bits_of(company, "二次面接")


def test_an_import_marks_each_applicants_stage(world, as_recruiter):
    company = world.acme.company
    content = _csv(
        [
            _row(),
            _row("佐藤 次郎", "サトウ ジロウ", "jiro@example.jp", "080-2222-3333", 選考ステータス="一次面接"),
        ]
    )
    _preview, url = _upload(as_recruiter, content)
    _confirm(as_recruiter, url)
    by_email = dict(Applicant.objects.filter(company=company).values_list("email", "reached_stages"))
    assert by_email == {
        "ichiro@example.jp": company_stages(company)[0].mask,
        "jiro@example.jp": bits_of(company, "一次面接"),
    }


def test_anonymization_keeps_the_stages_reached(world):
    company, actor = world.acme.company, world.acme.recruiter
    applicant = services.create_applicant(
        company=company, actor=actor, fields={"name": "山田 花子"}, stage=stage_named(company, "エントリー")
    )
    services.change_status(applicant=applicant, stage=stage_named(company, "内定"), actor=actor)
    services.anonymize_applicant(applicant=applicant, actor=world.acme.admin)
    assert reached(applicant) == bits_of(company, "エントリー", "内定")


# --- bits of new stages and the limit ----------------------------------------------------------------


def test_an_added_stage_takes_the_lowest_free_bit(world):
    company = world.acme.company
    company_stages(company)
    added = services.add_choice(company=company, kind="stages", name="適性検査", actor=world.acme.admin)
    assert added.bit == len(services.DEFAULT_STAGES)


def test_a_deleted_stages_bit_is_reused_only_when_no_applicant_has_it(world):
    company = world.acme.company
    company_stages(company)
    gone = services.add_choice(company=company, kind="stages", name="適性検査", actor=world.acme.admin)
    bit = gone.bit
    gone.delete()  # the admin can: nobody is in it and no history names it (PROTECT)
    again = SelectionStage.objects.create(company=company, name="グループ面接")
    assert again.bit == bit  # provably unused: reused
    again.delete()
    # A row written without history (an operator's UPDATE, an old benchmark) still has the bit: skipped.
    ApplicantFactory(company=company, reached_stages=1 << bit)
    third = services.add_choice(company=company, kind="stages", name="最終確認", actor=world.acme.admin)
    assert third.bit == bit + 1


def test_the_64th_stage_is_refused_with_a_message(world, as_admin):
    company = world.acme.company
    existing = len(company_stages(company))
    for n in range(MAX_STAGES - existing):
        services.add_choice(company=company, kind="stages", name=f"段階{n}", actor=world.acme.admin)
    assert SelectionStage.objects.filter(company=company).count() == MAX_STAGES
    assert sorted(SelectionStage.objects.filter(company=company).values_list("bit", flat=True)) == list(
        range(MAX_STAGES)
    )
    with pytest.raises(ValidationError) as refused:
        services.add_choice(company=company, kind="stages", name="64番目", actor=world.acme.admin)
    assert refused.value.messages == ["選考ステータスはこれ以上追加できません（1社あたり最大63件です）。"]
    response = as_admin.post(
        reverse("applicants:stage_add"), {"name": "64番目", "kind": "in_progress"}, follow=True
    )
    assert "選考ステータスはこれ以上追加できません（1社あたり最大63件です）。" in response.content.decode()
    assert not SelectionStage.objects.filter(company=company, name="64番目").exists()
    # Positions and sources have no bits and no limit.
    services.add_choice(company=company, kind="positions", name="64番目", actor=world.acme.admin)


def test_two_stages_of_a_company_cannot_share_a_bit(world):
    company = world.acme.company
    taken = company_stages(company)[0].bit
    with pytest.raises(IntegrityError), transaction.atomic():
        SelectionStage.objects.create(company=company, name="重複", bit=taken)


# --- the migration's backfill --------------------------------------------------------------------------


def test_plan_bits_gives_each_company_its_lowest_free_bits_in_order():
    rows = [(1, 10, None), (2, 10, 0), (3, 10, None), (4, 20, None), (5, 10, None)]
    assert stage_bits.plan_bits(rows) == {1: 1, 3: 2, 5: 3, 4: 0}
    assert stage_bits.plan_bits([(n, 1, None) for n in range(MAX_STAGES)]) == {
        n: n for n in range(MAX_STAGES)
    }
    with pytest.raises(RuntimeError, match="more than 63"):
        stage_bits.plan_bits([(n, 1, None) for n in range(MAX_STAGES + 1)])


def test_fill_reached_stages_computes_current_stage_and_history(world):
    company, other = world.acme.company, world.other.company
    skipped = ApplicantFactory(company=company, stage=stage_named(company, "二次面接"))
    moved_back = ApplicantFactory(company=company, stage=stage_named(company, "説明会"))
    closed = ApplicantFactory(company=company, stage=stage_named(company, "不合格"))
    no_history = ApplicantFactory(company=other, stage=stage_named(other, "内定"))
    for person, names in (
        (skipped, ["エントリー", "二次面接"]),
        (moved_back, ["エントリー", "一次面接", "説明会"]),
        (closed, ["エントリー", "書類選考", "不合格"]),
    ):
        for name in names:
            StatusChange.objects.create(applicant=person, to_stage=stage_named(company, name))
    Applicant.objects.update(reached_stages=0)
    with transaction.atomic():
        from django.db import connection

        stage_bits.fill_reached_stages(Applicant, StatusChange, SelectionStage, connection)
    assert reached(skipped) == bits_of(company, "エントリー", "二次面接")
    assert reached(moved_back) == bits_of(company, "エントリー", "一次面接", "説明会")
    assert reached(closed) == bits_of(company, "エントリー", "書類選考", "不合格")
    assert reached(no_history) == bits_of(other, "内定")
