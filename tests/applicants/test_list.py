"""The list: search, filters, sorting, pagination, constant queries, and who sees which applicants."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from applicants import selectors
from applicants.models import Track
from applicants.selectors import visible_applicants
from tests.applicants.factories import (
    ApplicantFactory,
    PositionFactory,
    SourceFactory,
    TagFactory,
    stage_named,
)
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
LIST = reverse("applicants:list")


def _names(response) -> list[str]:
    return [applicant.name for applicant in response.context["page"].object_list]


@pytest.fixture
def people(world):
    company = world.acme.company
    return {
        "sato": ApplicantFactory(
            company=company,
            name="佐藤 花子",
            name_kana="サトウ ハナコ",
            email="hanako@example.jp",
            phone="090-1111-2222",
        ),
        "suzuki": ApplicantFactory(
            company=company,
            name="鈴木 一郎",
            name_kana="スズキ イチロウ",
            email="ichiro@example.jp",
            phone="+81 80-3333-4444",
        ),
        "takahashi": ApplicantFactory(
            company=company,
            name="髙橋 花",
            name_kana="タカハシ ハナ",
            email="Hana.T@Example.jp",
            phone="03-5555-6666",
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("佐藤", ["佐藤 花子"]),  # 姓
        ("佐藤花子", ["佐藤 花子"]),  # full name without the space
        ("花子", ["佐藤 花子"]),  # 名
        ("さとう", ["佐藤 花子"]),  # hiragana finds katakana
        ("ｽｽﾞｷ", ["鈴木 一郎"]),  # half-width kana
        ("ハナ", ["佐藤 花子", "髙橋 花"]),  # given-name kana prefix
        ("hana.t@", ["髙橋 花"]),  # email, case-insensitive
        ("ＨＡＮＡＫＯ", ["佐藤 花子"]),  # full-width latin
        ("080-3333", ["鈴木 一郎"]),  # +81 stored, domestic searched
        ("0355556666", ["髙橋 花"]),  # phone without hyphens
        ("木", []),  # prefix search: a character inside the name does not match
    ],
)
def test_search_finds_by_name_kana_email_or_phone(as_recruiter, people, query, expected):
    response = as_recruiter.get(LIST, {"q": query})
    assert sorted(_names(response)) == sorted(expected)


def test_search_never_shows_another_companys_applicant(as_recruiter, people, other_applicant):
    response = as_recruiter.get(LIST, {"q": "他社"})
    assert _names(response) == []
    assert "他社 応募者" not in as_recruiter.get(LIST).content.decode()


def test_filters_by_status_position_source_tag_track_and_date(world, as_recruiter):
    company = world.acme.company
    sales = PositionFactory(company=company, name="営業職")
    mynavi = SourceFactory(company=company, name="マイナビ")
    follow = TagFactory(company=company, name="要フォロー")
    interview = stage_named(company, "一次面接")
    target = ApplicantFactory(
        company=company,
        name="対象 者",
        stage=interview,
        position=sales,
        source=mynavi,
        track=Track.MID_CAREER,
        applied_on=datetime.date(2026, 10, 1),
        tags=[follow],
    )
    ApplicantFactory(company=company, name="別の 人", applied_on=datetime.date(2026, 11, 1))
    chosen = [
        {"stage": interview.pk},
        {"position": sales.pk},
        {"source": mynavi.pk},
        {"tag": follow.pk},
        {"track": "mid_career"},
    ]
    for params in chosen:
        response = as_recruiter.get(LIST, params)
        assert _names(response) == [target.name], params
        ((_name, value),) = params.items()
        assert f'<option value="{value}" selected>' in response.content.decode()  # the filter stays chosen
    dates = {"applied_from": "2026-09-01", "applied_to": "2026-10-15"}
    assert _names(as_recruiter.get(LIST, dates)) == [target.name]
    assert set(_names(as_recruiter.get(LIST, {"stage": "active"}))) == {"対象 者", "別の 人"}
    rejected = stage_named(company, "不合格")
    ApplicantFactory(company=company, name="不合格 の人", stage=rejected)
    assert "不合格 の人" not in _names(as_recruiter.get(LIST, {"stage": "active"}))


def test_filter_values_from_another_company_are_ignored(world, as_recruiter, other_applicant):
    ApplicantFactory(company=world.acme.company, name="自社 の人")
    response = as_recruiter.get(LIST, {"stage": other_applicant.stage_id})
    assert _names(response) == ["自社 の人"]


def test_invalid_filter_values_are_ignored(world, as_recruiter):
    ApplicantFactory(company=world.acme.company, name="誰か 一人")
    response = as_recruiter.get(LIST, {"stage": "x", "tag": "abc", "applied_from": "yesterday", "page": "-3"})
    assert response.status_code == 200
    assert _names(response) == ["誰か 一人"]


def test_sorting_by_applied_date_and_kana(world, as_recruiter):
    company = world.acme.company
    ApplicantFactory(company=company, name="B", name_kana="イ", applied_on=datetime.date(2026, 1, 2))
    ApplicantFactory(company=company, name="A", name_kana="ア", applied_on=datetime.date(2026, 1, 1))
    ApplicantFactory(company=company, name="C", name_kana="ウ", applied_on=datetime.date(2026, 1, 3))
    assert _names(as_recruiter.get(LIST)) == ["C", "B", "A"]
    assert _names(as_recruiter.get(LIST, {"sort": "applied"})) == ["A", "B", "C"]
    assert _names(as_recruiter.get(LIST, {"sort": "kana"})) == ["A", "B", "C"]


def test_pages_know_whether_another_page_follows_and_keep_the_filters(world, as_recruiter, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    for day in range(1, 6):
        ApplicantFactory(company=world.acme.company, name=f"人 {day}", applied_on=datetime.date(2026, 1, day))
    first = as_recruiter.get(LIST, {"q": "人"})
    assert _names(first) == ["人 5", "人 4"]
    assert first.context["page"].has_next
    assert "q=%E4%BA%BA&amp;page=2" in first.content.decode()
    last = as_recruiter.get(LIST, {"q": "人", "page": 3})
    assert _names(last) == ["人 1"]
    assert not last.context["page"].has_next
    assert last.context["page"].has_previous


def test_the_total_is_counted_only_up_to_a_cap(world, as_recruiter, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for _ in range(5):
        ApplicantFactory(company=world.acme.company)
    content = as_recruiter.get(LIST).content.decode()
    assert "該当 3 件以上" in content
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    assert "該当 5 件" in as_recruiter.get(LIST).content.decode()


def test_a_searchs_count_is_each_applicant_it_finds_once(world, as_recruiter, booked_for, monkeypatch):
    """A search is counted as a UNION of its keys' matches (each from its own index): an applicant whose
    姓 and 名, or both kana, match counts once, and the other filters and the reader's scope still apply."""
    company = world.acme.company
    follow = TagFactory(company=company, name="要フォロー")
    both = ApplicantFactory(company=company, name="佐藤 佐和子", name_kana="サトウ サワコ", tags=[follow])
    ApplicantFactory(company=company, name="佐々木 一郎", name_kana="ササキ イチロウ")
    ApplicantFactory(company=company, name="山田 佐織", name_kana="ヤマダ サオリ", tags=[follow])
    ApplicantFactory(company=company, name="鈴木 次郎", name_kana="スズキ ジロウ")
    ApplicantFactory(company=world.other.company, name="佐野 他社", name_kana="サノ タシャ")

    def counted(client, **params):
        page = client.get(LIST, params).context["page"]
        assert page.total == len(page.object_list), params
        return page.total, page.total_is_capped

    assert counted(as_recruiter, q="佐") == (3, False)
    assert counted(as_recruiter, q="佐", tag=follow.pk) == (2, False)
    assert counted(as_recruiter, q="さ", sort="kana") == (3, False)  # サトウ サワコ by both kana: once
    booked_for(world.acme.interviewer, [both.pk])
    assert counted(client_for(world.acme.interviewer), q="佐") == (1, False)
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    page = as_recruiter.get(LIST, {"q": "佐"}).context["page"]
    assert (page.total, page.total_is_capped) == (2, True)


@pytest.mark.parametrize("rows", [3, 60])
@pytest.mark.parametrize("params", [{}, {"q": "山田"}, {"stage": "active", "sort": "kana"}, {"page": "2"}])
def test_a_list_page_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries, rows, params):
    company = world.acme.company
    tags = [TagFactory(company=company, name=name) for name in ("A", "B")]
    position = PositionFactory(company=company)
    for index in range(rows):
        ApplicantFactory(company=company, position=position, tags=tags[: index % 3])
    client = client_for(world.acme.recruiter)
    client.get(LIST)  # warm the session
    # session, user, company, 4 company lists, ids, rows, tag links, capped count
    with django_assert_max_num_queries(11):
        response = client.get(LIST, params)
    assert response.status_code == 200


def test_nobody_outside_a_company_sees_applicants(world, acme_applicant):
    from django.contrib.auth.models import AnonymousUser

    from tests.factories import UserFactory

    operator = UserFactory(company=None, is_staff=True, is_superuser=True)
    world.acme.recruiter.is_active = False
    for user in (AnonymousUser(), operator, world.acme.recruiter):
        assert list(visible_applicants(user)) == []


def test_interviewers_see_nobody_without_bookings_in_their_slots(world, acme_applicant):
    assert list(visible_applicants(world.acme.interviewer)) == []
    response = client_for(world.acme.interviewer).get(LIST)
    assert _names(response) == []
    assert "担当する日程に予約した応募者" in response.content.decode()


def test_interviewers_see_the_applicants_booked_into_their_slots(world, acme_applicant, booked_for):
    other_in_acme = ApplicantFactory(company=world.acme.company, name="未予約 の人")
    booked_for(world.acme.interviewer, [acme_applicant.pk])
    interviewer = client_for(world.acme.interviewer)
    assert _names(interviewer.get(LIST)) == ["佐藤 花子"]
    detail = interviewer.get(reverse("applicants:detail", args=[acme_applicant.pk]))
    assert detail.status_code == 200
    assert "変更する" not in detail.content.decode()  # read only: no status form
    assert "メモを追加" not in detail.content.decode()
    assert interviewer.get(reverse("applicants:detail", args=[other_in_acme.pk])).status_code == 404


def test_a_booking_source_cannot_leak_another_companys_applicant(world, other_applicant, booked_for):
    booked_for(world.acme.interviewer, [other_applicant.pk])
    assert list(visible_applicants(world.acme.interviewer)) == []
    url = reverse("applicants:detail", args=[other_applicant.pk])
    assert client_for(world.acme.interviewer).get(url).status_code == 404


def test_interviewers_get_no_bulk_actions_or_export_links(world, acme_applicant, booked_for):
    booked_for(world.acme.interviewer, [acme_applicant.pk])
    content = client_for(world.acme.interviewer).get(LIST).content.decode()
    assert "一括変更" not in content
    assert reverse("applicants:export") not in content
    assert reverse("applicants:import") not in content


def test_recruiters_get_the_list_with_selection_and_export(as_recruiter, acme_applicant):
    content = as_recruiter.get(LIST).content.decode()
    assert f'name="ids" value="{acme_applicant.pk}"' in content
    assert "一括変更" in content
    assert "CSV出力（Excel用）" in content
    assert 'class="table table--stack"' in content


def test_every_value_in_the_rows_is_escaped(world, as_recruiter):
    company = world.acme.company
    tag = TagFactory(company=company, name="<b>tag</b>")
    ApplicantFactory(
        company=company,
        name='<script>alert(1)</script>"',
        name_kana="<i>カナ</i>",
        position=PositionFactory(company=company, name="<u>職種</u>"),
        source=SourceFactory(company=company, name="<s>経路</s>"),
        track=Track.MID_CAREER,
        current_employer="<em>現職</em>",
        tags=[tag],
    )
    content = as_recruiter.get(LIST).content.decode()
    rows = content[content.index("<tbody") :]
    for raw in ("<script>", "<b>tag", "<i>カナ", "<u>職種", "<s>経路", "<em>現職"):
        assert raw not in rows, raw
    assert 'aria-label="&lt;script&gt;alert(1)&lt;/script&gt;&quot;"' in rows  # the attribute stays closed
    escaped = ("&lt;b&gt;tag&lt;/b&gt;", "&lt;i&gt;カナ", "&lt;u&gt;職種", "&lt;s&gt;経路", "&lt;em&gt;現職")
    for value in escaped:
        assert value in rows, value


def test_each_row_links_to_the_applicant_and_shows_every_column(world, as_recruiter):
    company = world.acme.company
    applicant = ApplicantFactory(
        company=company,
        name="行 の人",
        position=PositionFactory(company=company, name="営業職"),
        source=SourceFactory(company=company, name="紹介"),
        school="東北大学",
        faculty="工学部",
        graduation_year=2027,
        applied_on=datetime.date(2026, 4, 1),
    )
    content = as_recruiter.get(LIST).content.decode()
    assert f'<a href="{reverse("applicants:detail", args=[applicant.pk])}">行 の人</a>' in content
    for text in (
        "営業職",
        "紹介",
        "東北大学 工学部 2027年卒",
        "2026/04/01",
        "エントリー",
        'data-label="応募日"',
    ):
        assert text in content
