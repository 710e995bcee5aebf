"""Japanese input as people type it: dash variants, full-width digits, 卒業年, 和暦, split names."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from applicants import normalize
from applicants.forms import ApplicantForm
from applicants.models import Applicant
from tests.applicants.test_import import _confirm, _csv, _upload

DASHES = ["-", "ー", "‐", "‑", "‒", "−", "–", "—", "―", "－", "ｰ", "﹣"]


@pytest.mark.parametrize("dash", DASHES)
def test_every_dash_in_a_phone_number_is_a_hyphen(dash):
    assert normalize.clean_phone(f"090{dash}1234{dash}5678") == "090-1234-5678"
    assert normalize.phone_key(f"090{dash}1234{dash}5678") == "09012345678"


@pytest.mark.parametrize("dash", DASHES)
def test_every_dash_in_a_postal_code_is_a_hyphen(dash):
    assert normalize.clean_postal_code(f"123{dash}4567") == "123-4567"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("０９０－１２３４－５６７８", "090-1234-5678"),
        ("０９０ー１２３４ー５６７８", "090-1234-5678"),
        ("09012345678", "09012345678"),
        ("（０３）１２３４－５６７８", "(03)1234-5678"),
        ("+81 90-1234-5678", "+81 90-1234-5678"),
        ("", ""),
    ],
)
def test_phone_numbers(value, expected):
    assert normalize.clean_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9012345678", "09012345678"),  # a spreadsheet number that lost its 0
        ("312345678", "0312345678"),
        ("09012345678", "09012345678"),
        ("12345678", "12345678"),  # too short to be a number without its 0: refused below
        ("819012345678", "819012345678"),
    ],
)
def test_imports_restore_the_zero_a_spreadsheet_dropped(value, expected):
    if len(expected) < 10:
        with pytest.raises(ValidationError):
            normalize.clean_phone(value, restore_zero=True)
    else:
        assert normalize.clean_phone(value, restore_zero=True) == expected


def test_forms_do_not_guess_a_missing_zero():
    with pytest.raises(ValidationError):
        normalize.clean_phone("123456789")  # 9 digits typed by hand: refused, not "fixed"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("１２３－４５６７", "123-4567"),
        ("〒123-4567", "123-4567"),
        ("〒 １２３ー４５６７", "123-4567"),
        ("1234567", "123-4567"),
        ("", ""),
    ],
)
def test_postal_codes(value, expected):
    assert normalize.clean_postal_code(value) == expected


@pytest.mark.parametrize("value", ["123-456", "12-34567", "abc-defg", "123-45678"])
def test_postal_codes_that_cannot_be_right(value):
    with pytest.raises(ValidationError):
        normalize.clean_postal_code(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027", 2027),
        (2027, 2027),
        ("２０２７", 2027),
        ("2027年", 2027),
        ("2027年卒", 2027),
        ("２０２７年卒", 2027),
        ("2027卒", 2027),
        ("2027年卒業", 2027),
        ("2027年3月卒業予定", 2027),
        ("2027年度卒", 2027),
        ("27卒", 2027),
        ("２７卒", 2027),
        ("27年卒", 2027),
        ("27卒業見込み", 2027),
        ("令和9年卒", 2027),
        ("令和9年", 2027),
        ("平成31年卒", 2019),
        (" 2027 年 卒 ", 2027),
        ("", None),
        (None, None),
    ],
)
def test_graduation_years(value, expected):
    assert normalize.clean_graduation_year(value) == expected


@pytest.mark.parametrize("value", ["27", "令和9", "二〇二七", "2027年卒x", "1800", "99999", "R9"])
def test_graduation_years_that_cannot_be_right(value):
    with pytest.raises(ValidationError):
        normalize.clean_graduation_year(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("令和8年4月1日", date(2026, 4, 1)),
        ("令和８年４月１日", date(2026, 4, 1)),
        ("令和 8 年 4 月 1 日", date(2026, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("R8.4.1", date(2026, 4, 1)),
        ("r8.4.1", date(2026, 4, 1)),
        ("Ｒ８．４．１", date(2026, 4, 1)),
        ("R8/4/1", date(2026, 4, 1)),
        ("R8-04-01", date(2026, 4, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("S64.1.7", date(1989, 1, 7)),
        ("令和8.4.1", date(2026, 4, 1)),
        ("2026/4/1", date(2026, 4, 1)),
        ("２０２６／４／１", date(2026, 4, 1)),
        ("2026年4月1日", date(2026, 4, 1)),
        ("", None),
    ],
)
def test_dates_in_western_and_japanese_eras(value, expected):
    assert normalize.parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "令和1年4月30日",  # before 令和 began
        "R1.4.30",
        "平成元年1月7日",  # 昭和 still
        "令和0年1月1日",
        "H31.2.30",  # no such day
        "R8.13.1",
        "X8.4.1",
        "令和8年4月",
    ],
)
def test_japanese_era_dates_that_cannot_be_right(value):
    with pytest.raises(ValidationError):
        normalize.parse_date(value)


@pytest.mark.parametrize(
    ("family", "given", "expected"),
    [
        ("山田", "太郎", "山田 太郎"),
        ("山 田", "太 郎", "山田 太郎"),
        ("山　田", "太　郎", "山田 太郎"),  # full-width spaces
        (" 山田 ", "", "山田"),
        ("", "太郎", "太郎"),
        ("ﾔﾏﾀﾞ", "ﾀﾛｳ", "ヤマダ タロウ"),
    ],
)
def test_split_names_drop_the_spaces_typed_inside_them(family, given, expected):
    assert normalize.join_name(family, given) == expected


@pytest.mark.django_db
def test_the_import_reads_split_names_eras_and_graduation_years(world, as_recruiter):
    content = _csv(
        [["山 田", "太　郎", "ヤマ ダ", "タ ロウ", "０９０ー１２３４ー５６７８", "27卒", "令和8年4月1日"]],
        header=["姓", "名", "セイ", "メイ", "電話番号", "卒業年", "応募日"],
    )
    _preview, url = _upload(as_recruiter, content)
    _confirm(as_recruiter, url)
    applicant = Applicant.objects.get()
    assert (applicant.name, applicant.name_kana) == ("山田 太郎", "ヤマダ タロウ")
    assert (applicant.phone, applicant.phone_key) == ("090-1234-5678", "09012345678")
    assert (applicant.graduation_year, applicant.applied_on) == (2027, date(2026, 4, 1))


@pytest.mark.django_db
def test_the_applicant_form_normalises_the_same_way(world):
    from applicants.selectors import company_stages

    stage = company_stages(world.acme.company)[0]
    form = ApplicantForm(
        {
            "name": "山田　太郎",
            "phone": "０９０－１２３４ー５６７８",
            "track": "new_graduate",
            "graduation_year": "２０２７年卒",
            "applied_on": "R8.4.1",
            "stage": stage.pk,
        },
        company=world.acme.company,
    )
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert (data["name"], data["phone"], data["graduation_year"]) == ("山田 太郎", "090-1234-5678", 2027)
    assert data["applied_on"] == date(2026, 4, 1)


@pytest.mark.django_db
def test_the_applicant_form_refuses_an_impossible_era_date(world):
    form = ApplicantForm({"name": "山田 太郎", "applied_on": "R1.4.1"}, company=world.acme.company)
    assert not form.is_valid()
    assert "和暦の日付が正しくありません" in str(form.errors["applied_on"])
