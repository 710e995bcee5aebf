"""Normalization rules, and the demo seed."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from applicants import demo, normalize
from applicants.models import Applicant, StatusChange


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (normalize.kana_key, "やまだ　たろう", "ヤマダタロウ"),
        (normalize.kana_key, "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"),
        (normalize.given_kana_key, "ヤマダ タロウ", "タロウ"),
        (normalize.name_key, "Ｙａｍａｄａ　Taro", "yamadataro"),
        (normalize.given_name_key, "山田太郎", ""),
        (normalize.phone_key, "+81 (90) 1234-5678", "09012345678"),
        (normalize.phone_key, "０３－１２３４－５６７８", "0312345678"),
        (normalize.email_key, " Taro@Example.JP ", "taro@example.jp"),
        (normalize.split_tags, "英語可, 要フォロー、英語可；地方", ["英語可", "要フォロー", "地方"]),
    ],
)
def test_keys_fold_the_ways_japanese_names_and_numbers_are_written(function, value, expected):
    assert function(value) == expected


@pytest.mark.parametrize("value", ["2026/4/1", "2026-04-01", "2026年4月1日", "20260401", "2026/04/01 10:30"])
def test_dates_are_read_as_japanese_spreadsheets_write_them(value):
    assert str(normalize.parse_date(value)) == "2026-04-01"


@pytest.mark.parametrize(
    ("function", "value"),
    [
        (normalize.clean_kana, "山田"),
        (normalize.clean_phone, "abc-defg"),
        (normalize.clean_phone, "090-1234"),
        (normalize.clean_email, "a@b"),
        (normalize.clean_graduation_year, "令和9"),
        (normalize.parse_date, "4/1"),
    ],
)
def test_values_that_cannot_be_right_are_refused(function, value):
    with pytest.raises(ValidationError):
        function(value)


def test_a_search_for_a_phone_number_also_looks_at_phones_but_a_name_does_not():
    assert normalize.search_terms("090-12")["phone"] == "09012"
    assert "phone" not in normalize.search_terms("山田")
    assert "phone" not in normalize.search_terms("09")  # too short to mean a phone number


@pytest.mark.django_db
def test_demo_seed_adds_a_few_hundred_realistic_applicants_once(world):
    out = io.StringIO()
    demo.seed(company=world.acme.company, users={"recruiter": world.acme.recruiter}, stdout=out)
    demo.seed(company=world.acme.company, users={"recruiter": world.acme.recruiter}, stdout=out)
    applicants = Applicant.objects.filter(company=world.acme.company)
    assert applicants.count() == demo.DEMO_COUNT
    sample = applicants.first()
    assert " " in sample.name and sample.name_kana and sample.kana_key
    assert applicants.filter(source__name="マイナビ").exists()
    assert applicants.filter(track="mid_career").exclude(current_employer="").exists()
    assert len(set(applicants.values_list("stage__name", flat=True))) >= 8
    assert StatusChange.objects.filter(applicant__company=world.acme.company).count() >= demo.DEMO_COUNT
    assert "already present" in out.getvalue()
