from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from notifications.defaults import DEFAULT_TEMPLATES
from notifications.models import MailKind
from notifications.rendering import (
    MailContext,
    format_when,
    placeholder_values,
    render_body,
    render_subject,
    substitute,
    template_errors,
    validate_template_text,
)
from tests.factories import CompanyFactory

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("kind", list(MailKind))
def test_every_default_template_is_valid_for_its_kind(kind):
    default = DEFAULT_TEMPLATES[kind]
    assert template_errors(default.subject, kind) == []
    assert template_errors(default.body, kind) == []


def test_an_unknown_placeholder_is_refused_by_name():
    with pytest.raises(ValidationError) as caught:
        validate_template_text("{応募者名} 様、{面接日} にお越しください", MailKind.BOOKING_CONFIRMED)
    assert caught.value.messages == ["不明な差し込み項目です: {面接日}"]


def test_an_unclosed_brace_is_refused_with_the_text_around_it():
    errors = template_errors("{応募者名 様", MailKind.BOOKING_CONFIRMED)
    assert len(errors) == 1
    assert "波括弧が対応していません" in errors[0]
    assert "{応募者名 様" in errors[0]


def test_a_stray_closing_brace_and_an_empty_pair_are_refused():
    assert template_errors("閉じ括弧だけ } です", MailKind.REMINDER) != []
    assert template_errors("空の {} です", MailKind.REMINDER) == ["不明な差し込み項目です: {}"]


def test_a_placeholder_spanning_lines_is_malformed_not_a_name():
    errors = template_errors("{応募者\n名}", MailKind.REMINDER)
    assert errors
    assert all("波括弧が対応していません" in error for error in errors)


def test_doubled_braces_are_literal_braces():
    assert template_errors("記号 {{ と }} は文字です", MailKind.REMINDER) == []
    assert substitute("{{応募者名}} は {応募者名}", {"応募者名": "花子"}) == "{応募者名} は 花子"


def test_a_placeholder_meant_for_another_kind_is_refused():
    errors = template_errors("{ZoomURL}", MailKind.BOOKING_CANCELLED)
    assert errors == ["{ZoomURL} は「キャンセル」のメールでは使えません。"]


def test_host_notices_cannot_carry_the_applicants_booking_link_or_join_url():
    assert template_errors("{予約確認URL}", MailKind.HOST_NOTICE) != []
    assert template_errors("{ZoomURL} {パスコード}", MailKind.HOST_NOTICE) != []
    assert template_errors("{応募者名} {日時} {日程ページURL}", MailKind.HOST_NOTICE) == []


def test_a_zoom_start_url_typed_into_a_template_is_refused():
    errors = template_errors("開始: https://zoom.us/s/91033400269?zak=eyJ0", MailKind.REMINDER)
    assert any("開始用URL" in error for error in errors)


def test_values_are_inserted_verbatim_and_never_expanded_again():
    values = {"応募者名": "{会社名} <b>&amp;</b> %(x)s {0.__class__}", "会社名": "株式会社アクメ"}
    assert (
        substitute("{応募者名} / {会社名}", values)
        == "{会社名} <b>&amp;</b> %(x)s {0.__class__} / 株式会社アクメ"
    )


def test_attribute_access_syntax_is_not_a_placeholder():
    errors = template_errors("{応募者名.__class__} {0} {応募者名!r}", MailKind.REMINDER)
    assert errors == [
        "不明な差し込み項目です: {応募者名.__class__}",
        "不明な差し込み項目です: {0}",
        "不明な差し込み項目です: {応募者名!r}",
    ]


def test_a_subject_stays_on_one_line_whatever_the_values():
    subject = render_subject(
        "【{会社名}】{応募者名} 様", {"会社名": "A社", "応募者名": "山田\r\nBcc: x@evil.example"}
    )
    assert "\n" not in subject and "\r" not in subject
    assert subject == "【A社】山田 Bcc: x@evil.example 様"


def test_bodies_use_plain_newlines():
    assert render_body("1行目\r\n{応募者名}", {"応募者名": "花子"}) == "1行目\n花子"


def test_dates_are_written_in_the_company_zone_in_japanese():
    start = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    end = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    assert format_when(start, end, TOKYO) == "2026年12月1日(火) 14:00〜15:00"
    assert format_when(start, None, TOKYO) == "2026年12月1日(火) 14:00"
    assert (
        format_when(start, end, ZoneInfo("America/New_York"))
        == "2026年12月1日(火) 00:00〜01:00 (America/New_York)"
    )


def test_an_event_past_midnight_names_the_end_day():
    start = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 23:30 JST
    end = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert format_when(start, end, TOKYO) == "2026年12月1日(火) 23:30〜2026年12月2日(水) 00:30"


@pytest.mark.django_db
def test_participation_says_the_zoom_url_follows_when_none_is_issued_yet():
    company = CompanyFactory()
    pending = placeholder_values(
        company=company,
        kind=MailKind.BOOKING_CONFIRMED,
        context=MailContext(is_web_interview=True),
        contact="",
    )
    assert "発行され次第" in pending["参加方法"]
    issued = placeholder_values(
        company=company,
        kind=MailKind.BOOKING_CONFIRMED,
        context=MailContext(join_url="https://zoom.us/j/1?pwd=x", passcode="123456"),
        contact="",
    )
    assert issued["参加方法"] == "ZoomミーティングURL: https://zoom.us/j/1?pwd=x\nパスコード: 123456"
    in_person = placeholder_values(
        company=company,
        kind=MailKind.BOOKING_CONFIRMED,
        context=MailContext(venue="本社 3F 会議室"),
        contact="",
    )
    assert in_person["参加方法"] == "会場: 本社 3F 会議室"


@pytest.mark.django_db
def test_only_the_kinds_placeholders_get_values():
    company = CompanyFactory()
    context = MailContext(
        join_url="https://zoom.us/j/1", booking_url="http://testserver/b/x/", host_name="面接 一郎"
    )
    values = placeholder_values(company=company, kind=MailKind.HOST_NOTICE, context=context, contact="")
    assert "ZoomURL" not in values and "予約確認URL" not in values
    assert values["面接官名"] == "面接 一郎"
