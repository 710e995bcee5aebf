"""Column mapping for files whose headers are not ours, saved as presets (名前 + 応募経路) per company."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from applicants.models import Applicant, ApplicantImport, ImportPreset, Source
from applicants.services import ensure_company_defaults
from tests.applicants.test_import import _confirm, _csv, _upload, jobs
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lists(world):
    ensure_company_defaults(company=world.acme.company)


# A job site's export: none of these headers is ours.
SITE_HEADER = ["会員番号", "お名前", "よみがな", "連絡先メール", "携帯", "エントリー日付"]


def _site_file(*rows) -> bytes:
    return _csv(
        rows
        or [
            ["A001", "山田 太郎", "やまだ たろう", "taro@example.jp", "０９０ー１１１１ー２２２２", "R8.4.1"],
            ["A002", "佐藤 花子", "さとう はなこ", "hanako@example.jp", "080-3333-4444", "2026/4/2"],
        ],
        header=SITE_HEADER,
    )


SITE_MAP = ["", "name", "name_kana", "email", "phone", "applied_on"]


def _mapping(column_map, **extra) -> dict:
    return {**{f"col_{i}": key for i, key in enumerate(column_map)}, **extra}


def _map(client, url, column_map, **extra):
    with jobs():
        response = client.post(url + "mapping/", _mapping(column_map, **extra))
    return response


def test_unknown_headers_offer_the_mapping_and_import_with_it(world, as_recruiter):
    preview, url = _upload(as_recruiter, _site_file())
    plan = preview.context["plan"]
    assert "「氏名」の列が見つかりません" in plan.file_error
    form = preview.context["mapping_form"]
    assert [field.label for field in form.column_fields] == SITE_HEADER
    assert "取り込まない" in preview.content.decode()
    response = _map(as_recruiter, url, SITE_MAP)
    assert response.status_code == 302
    again = as_recruiter.get(url)
    plan = again.context["plan"]
    assert plan.file_error == "" and plan.errors == [] and plan.importable_count == 2
    assert plan.mapped
    _confirm(as_recruiter, url)
    taro = Applicant.objects.get(email="taro@example.jp")
    assert (taro.name_kana, taro.phone, str(taro.applied_on)) == (
        "ヤマダ タロウ",
        "090-1111-2222",
        "2026-04-01",
    )


def test_a_saved_preset_maps_the_next_file_with_the_same_headers_by_itself(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _site_file())
    mynavi = Source.objects.get(company=world.acme.company, name="マイナビ")
    _map(as_recruiter, url, SITE_MAP, preset_name="マイナビ形式", source=mynavi.pk)
    preset = ImportPreset.objects.get()
    assert (preset.company, preset.name, preset.source, preset.column_map) == (
        world.acme.company,
        "マイナビ形式",
        mynavi,
        SITE_MAP,
    )
    assert AuditEntry.objects.filter(action="applicant.import_preset_saved").count() == 1
    assert ApplicantImport.objects.get().preset == preset
    # Next week's file: same headers, new people. One click after the upload.
    rows = [["A003", "鈴木 一郎", "すずき いちろう", "ichiro@example.jp", "", "令和8年5月1日"]]
    preview, url = _upload(as_recruiter, _site_file(*rows))
    plan = preview.context["plan"]
    assert plan.can_import and plan.mapped
    assert preview.context["draft"].preset == preset
    assert "1名を取り込む" in preview.content.decode()
    _confirm(as_recruiter, url)
    ichiro = Applicant.objects.get(email="ichiro@example.jp")
    assert ichiro.source == mynavi  # the preset's 応募経路 for rows that name none
    assert str(ichiro.applied_on) == "2026-05-01"


def test_a_preset_can_be_picked_at_upload_and_a_source_given(world, as_recruiter):
    preset = ImportPreset.objects.create(
        company=world.acme.company,
        name="別形式",
        headers=["違う見出し"],
        column_map=SITE_MAP,
    )
    rikunabi = Source.objects.get(company=world.acme.company, name="リクナビ")
    preview, url = _upload(as_recruiter, _site_file(), preset=preset.pk, source=rikunabi.pk)
    assert preview.context["plan"].can_import
    _confirm(as_recruiter, url)
    assert set(Applicant.objects.values_list("source__name", flat=True)) == {"リクナビ"}


def test_the_mapping_must_name_the_applicant_and_use_each_field_once(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _site_file())
    response = _map(as_recruiter, url, ["", "", "name_kana", "email", "phone", "applied_on"])
    assert response.status_code == 400
    assert "「氏名」（または「姓」）にする列を選んでください。" in response.content.decode()
    response = _map(as_recruiter, url, ["name", "name", "", "", "", ""])
    assert response.status_code == 400
    assert "同じ項目を2つの列に割り当てることはできません。" in response.content.decode()
    response = _map(as_recruiter, url, ["<script>", "name", "", "", "", ""])
    assert response.status_code == 400
    assert ImportPreset.objects.count() == 0


def test_known_headers_with_extra_columns_offer_the_mapping_on_request(world, as_recruiter):
    preview, url = _upload(as_recruiter, _csv([["山田 太郎", "x"]], header=["氏名", "社内コード"]))
    assert "mapping_form" not in preview.context
    assert "列の対応を選ぶ" in preview.content.decode()
    page = as_recruiter.get(url, {"mapping": "1"})
    assert [f.value() for f in page.context["mapping_form"].column_fields] == ["name", ""]
    _map(as_recruiter, url, ["name", "memo"])
    _confirm(as_recruiter, url)
    assert Applicant.objects.get().memo == "x"


def test_presets_belong_to_their_company(world, as_recruiter):
    other_source = Source.objects.create(company=world.other.company, name="他社経路")
    foreign = ImportPreset.objects.create(
        company=world.other.company,
        name="他社の設定",
        headers=["会員番号", "お名前", "よみがな", "連絡先メール", "携帯", "エントリー日付"],
        column_map=SITE_MAP,
        source=other_source,
    )
    # Not applied to our file with the same headers, not offered, not pickable, not deletable.
    preview, url = _upload(as_recruiter, _site_file())
    assert preview.context["plan"].file_error
    assert preview.context["draft"].preset is None
    assert "他社の設定" not in as_recruiter.get(reverse("applicants:import")).content.decode()
    with jobs():
        as_recruiter.post(reverse("applicants:import"), {"file": _upload_file(), "preset": foreign.pk})
    assert ApplicantImport.objects.order_by("created_at").last().preset is None  # ignored
    ImportPreset.objects.create(company=world.acme.company, name="自社の設定", column_map=SITE_MAP)
    response = as_recruiter.post(reverse("applicants:import"), {"file": _upload_file(), "preset": foreign.pk})
    assert response.status_code == 200 and response.context["form"].errors["preset"]
    response = as_recruiter.post(
        reverse("applicants:import"), {"file": _upload_file(), "source": other_source.pk}
    )
    assert response.status_code == 200 and response.context["form"].errors["source"]
    assert "他社の設定" not in as_recruiter.get(reverse("applicants:import_presets")).content.decode()
    delete = reverse("applicants:import_preset_delete", args=[foreign.pk])
    assert as_recruiter.post(delete).status_code == 404
    assert client_for(world.acme.admin).post(delete).status_code == 404
    assert ImportPreset.objects.filter(pk=foreign.pk).exists()
    # A mapping posted with the other company's source is refused.
    response = _map(as_recruiter, url, SITE_MAP, source=other_source.pk)
    assert response.status_code == 400


def _upload_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("a.csv", _site_file())


def test_the_preset_list_shows_and_deletes_the_companys_presets(world, as_admin, as_interviewer):
    preset = ImportPreset.objects.create(company=world.acme.company, name="マイナビ形式", column_map=SITE_MAP)
    page = as_admin.get(reverse("applicants:import_presets"))
    assert "マイナビ形式" in page.content.decode()
    delete = reverse("applicants:import_preset_delete", args=[preset.pk])
    assert as_interviewer.post(delete).status_code == 403
    assert as_admin.get(delete).status_code == 405
    assert as_admin.post(delete).status_code == 302
    assert not ImportPreset.objects.exists()
    assert AuditEntry.objects.filter(action="applicant.import_preset_deleted").count() == 1


def test_saving_a_preset_under_an_existing_name_replaces_its_mapping(world, as_recruiter):
    ImportPreset.objects.create(company=world.acme.company, name="マイナビ形式", column_map=["name"])
    _preview, url = _upload(as_recruiter, _site_file())
    _map(as_recruiter, url, SITE_MAP, preset_name=" マイナビ形式 ")
    preset = ImportPreset.objects.get()
    assert preset.column_map == SITE_MAP
    assert preset.headers == ["会員番号", "お名前", "よみがな", "連絡先メール", "携帯", "エントリー日付"]


def test_a_mapping_after_the_import_is_refused(world, as_recruiter):
    _preview, url = _upload(as_recruiter, _site_file())
    _map(as_recruiter, url, SITE_MAP)
    _confirm(as_recruiter, url)
    response = _map(as_recruiter, url, SITE_MAP)
    assert response.status_code == 302
    assert Applicant.objects.count() == 2
    assert ApplicantImport.objects.get().status == "imported"


def test_picking_the_source_at_upload_brings_its_preset(world, as_recruiter):
    mynavi = Source.objects.get(company=world.acme.company, name="マイナビ")
    preset = ImportPreset.objects.create(
        company=world.acme.company,
        name="マイナビ（旧形式）",
        headers=["old", "headers", "of", "six", "columns", "here"],
        column_map=SITE_MAP,
        source=mynavi,
    )
    preview, url = _upload(as_recruiter, _site_file(), source=mynavi.pk)
    assert preview.context["draft"].preset == preset
    assert preview.context["plan"].can_import
    _confirm(as_recruiter, url)
    assert set(Applicant.objects.values_list("source__name", flat=True)) == {"マイナビ"}


def test_a_file_with_our_headers_is_not_remapped_by_a_sources_preset(world, as_recruiter):
    mynavi = Source.objects.get(company=world.acme.company, name="マイナビ")
    ImportPreset.objects.create(
        company=world.acme.company, name="2列", headers=["a", "b"], column_map=["memo", "name"], source=mynavi
    )
    preview, _url = _upload(
        as_recruiter, _csv([["山田 太郎", "x"]], header=["氏名", "備考"]), source=mynavi.pk
    )
    assert preview.context["plan"].sample[0].name == "山田 太郎"


def test_the_mapping_form_starts_from_a_guess_of_each_header(world, as_recruiter):
    preview, _url = _upload(as_recruiter, _site_file())
    guessed = [field.value() for field in preview.context["mapping_form"].column_fields]
    assert guessed == SITE_MAP  # 会員番号 → 取り込まない, お名前 → 氏名, よみがな → フリガナ, …
    assert preview.context["plan"].file_error  # a guess is never applied without the user
