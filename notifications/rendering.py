"""Mail template language: a fixed set of {placeholders}, checked when saved, substituted verbatim.

Templates are user input, so they are never given to ``str.format`` or the Django template engine (both
reach attributes). One regular expression finds ``{name}`` tokens; each is replaced by a value from a
fixed table, and values are inserted as they are (never scanned again). ``{{`` and ``}}`` write a literal
brace; any other lone brace is refused when the template is saved. Mail is text/plain: nothing is
HTML-escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from notifications.models import SENT_MAIL_KINDS, AdhocKind, MailKind
from notifications.text import replace_line_breaks

# {{ / }} literal braces, {name} a placeholder (one line), a lone brace is malformed.
TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}|[{}]")
WEEKDAYS = "月火水木金土日"
# A Zoom start URL (https://zoom.us/s/<meeting id>?zak=<host token>) lets its holder start the meeting as
# host; it never goes into a mail (Zoom API reference: GET /meetings/{meetingId}, start_url).
START_URL_PATTERN = re.compile(r"zak=|/s/\d{6,}", re.IGNORECASE)


def contains_start_url(text: str) -> bool:
    return bool(START_URL_PATTERN.search(text))


@dataclass(frozen=True)
class MailContext:
    """What a mail is about. Every field is optional; unused ones are simply empty in the text.

    Datetimes must be timezone-aware; they are shown in the company's time zone.
    """

    applicant_name: str = ""
    selection_meeting_name: str = ""
    event_name: str = ""
    start: datetime | None = None
    end: datetime | None = None
    previous_start: datetime | None = None  # 予約変更 / URL変更: the time before the change
    previous_end: datetime | None = None
    is_web_interview: bool = (
        False  # a web-meeting event: {参加方法} says the URL follows when none is issued yet
    )
    join_url: str = ""  # the meeting's join URL, never a host's start URL (queue_mail refuses start URLs)
    web_meeting_service: str = "Zoom"  # the service's name: Zoom, Microsoft Teams
    passcode: str = ""
    venue: str = ""
    booking_url: str = ""  # the applicant's personal page (select, confirm, change, cancel)
    cancel_deadline: datetime | None = None
    contact: str = ""  # overrides the company's 問い合わせ先 setting for this mail
    host_name: str = ""  # 面接官への通知 only
    slot_url: str = ""  # 面接官への通知 only: the staff page of the slot
    notice: str = ""  # 面接官への通知 only: what happened, e.g. 「予約が入りました」
    evaluation_url: str = ""  # 評価入力のお願い only: the interviewer's evaluation page
    next_step: str = ""  # 合格通知 only: what comes next, e.g. the next 選考会's name


@dataclass(frozen=True)
class Placeholder:
    name: str
    description: str | Promise


PLACEHOLDERS: dict[str, Placeholder] = {
    p.name: p
    for p in [
        Placeholder("応募者名", _("応募者の氏名")),
        Placeholder("会社名", _("会社名")),
        Placeholder("選考会名", _("選考会の名前（例: 一次面接）")),
        Placeholder("イベント名", _("イベントの名前")),
        Placeholder("日時", _("予約した日程の日時（会社のタイムゾーン）")),
        Placeholder("変更前日時", _("変更前の日時（予約変更・URL変更）")),
        Placeholder("参加方法", _("Web面接のURLとパスコード、または会場（まだURLがなければその旨）")),
        Placeholder("Web面接サービス", _("Web面接のサービス名（Zoom、Microsoft Teams、Google Meet）")),
        Placeholder("ZoomURL", _("Web面接（Zoom・Microsoft Teams・Google Meet）の参加URL")),
        Placeholder("パスコード", _("Zoomミーティングのパスコード（Microsoft Teams・Google Meetでは空）")),
        Placeholder("会場", _("会場・持ち物などの案内")),
        Placeholder("予約確認URL", _("応募者専用の予約ページのURL（日程選択・確認・変更・キャンセル）")),
        Placeholder("キャンセル期限", _("変更・キャンセルができる期限")),
        Placeholder("問い合わせ先", _("メール送信設定の問い合わせ先")),
        Placeholder("面接官名", _("通知を受け取る面接官の氏名")),
        Placeholder("日程ページURL", _("管理画面の日程ページのURL")),
        Placeholder("通知内容", _("面接官に知らせる出来事（例: 予約が入りました）")),
        Placeholder("評価入力URL", _("面接官が評価を入力するページのURL")),
        Placeholder("次の選考", _("合格後の次の選考（例: 二次面接）。未定なら空欄")),
    ]
}

_APPLICANT = frozenset({"応募者名", "会社名", "選考会名", "イベント名", "予約確認URL", "問い合わせ先"})
_BOOKING = _APPLICANT | {
    "日時",
    "参加方法",
    "Web面接サービス",
    "ZoomURL",
    "パスコード",
    "会場",
    "キャンセル期限",
}
ALLOWED: dict[str, frozenset[str]] = {
    MailKind.SCHEDULE_INVITATION: _APPLICANT,
    MailKind.BOOKING_CONFIRMED: _BOOKING,
    MailKind.REMINDER: _BOOKING,
    MailKind.BOOKING_CHANGED: _BOOKING | {"変更前日時"},
    # A cancelled applicant is not sent the meeting URL any more.
    MailKind.BOOKING_CANCELLED: _APPLICANT | {"日時", "会場"},
    MailKind.URL_ISSUED: _BOOKING,
    MailKind.URL_CHANGED: _BOOKING | {"変更前日時"},
    # Hosts learn who and when, and find the rest on the slot page (never the applicant's other data).
    MailKind.HOST_NOTICE: frozenset(
        {"面接官名", "通知内容", "応募者名", "会社名", "選考会名", "イベント名", "日時", "変更前日時", "会場"}
        | {"日程ページURL"}
    ),
    MailKind.EVALUATION_REMINDER: frozenset(
        {"面接官名", "応募者名", "会社名", "選考会名", "イベント名", "日時", "評価入力URL"}
    ),
    MailKind.RESULT_PASS: frozenset({"応募者名", "会社名", "選考会名", "次の選考", "問い合わせ先"}),
    MailKind.RESULT_FAIL: frozenset({"応募者名", "会社名", "選考会名", "問い合わせ先"}),
    # Written for the occasion: only what every applicant has.
    AdhocKind.PERSONAL: frozenset({"応募者名", "会社名", "問い合わせ先"}),
    AdhocKind.BULK: frozenset({"応募者名", "会社名", "問い合わせ先"}),
}
_KIND_LABELS = dict(SENT_MAIL_KINDS)


def kind_label(kind: str) -> str:
    """The name of a template kind or a written kind (個別メール, 一斉メール)."""
    return str(_KIND_LABELS.get(kind, kind))


def placeholders_for(kind: str) -> list[Placeholder]:
    """The placeholders a template of ``kind`` may use, in the order of the reference table."""
    return [p for name, p in PLACEHOLDERS.items() if name in ALLOWED[kind]]


def _snippet(text: str, position: int) -> str:
    return text[max(0, position - 8) : position + 9].replace("\n", " ")


def template_errors(text: str, kind: str) -> list[str]:
    """Everything wrong with ``text`` as a template of ``kind``: unknown or unusable names, lone braces."""
    errors: list[str] = []
    for match in TOKEN.finditer(text):
        token, name = match.group(0), match.group(1)
        if token in ("{{", "}}"):
            continue
        if name is None:
            errors.append(
                gettext("波括弧が対応していません: 「%(snippet)s」（波括弧そのものは {{ と }} で書きます）")
                % {"snippet": _snippet(text, match.start())}
            )
        elif name not in PLACEHOLDERS:
            errors.append(gettext("不明な差し込み項目です: {%(name)s}") % {"name": name[:40]})
        elif name not in ALLOWED[kind]:
            errors.append(
                gettext("{%(name)s} は「%(kind)s」のメールでは使えません。")
                % {"name": name, "kind": kind_label(kind)}
            )
    if contains_start_url(text):
        errors.append(
            gettext("Zoomの開始用URL（ホスト用のリンク）はメールに入れられません。参加URLを使ってください。")
        )
    return list(dict.fromkeys(errors))


def validate_template_text(text: str, kind: str) -> None:
    """Raise ValidationError naming every problem in ``text``."""
    errors = template_errors(text, kind)
    if errors:
        raise ValidationError(errors)


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace each {name} in ``values`` by its value, verbatim. Unknown names stay as written."""

    def replace_token(match: re.Match) -> str:
        token, name = match.group(0), match.group(1)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        if name is not None and name in values:
            return values[name]
        return token

    return TOKEN.sub(replace_token, text)


def format_datetime(value: datetime | None, tz: ZoneInfo) -> str:
    """2026年12月1日(火) 14:00 in ``tz``."""
    if value is None:
        return ""
    local = timezone.localtime(value, tz)
    return f"{local.year}年{local.month}月{local.day}日({WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def format_when(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    """2026年12月1日(火) 14:00〜15:00, with the zone named when it is not Japan time."""
    if start is None:
        return ""
    text = format_datetime(start, tz)
    if end is not None:
        local_start, local_end = timezone.localtime(start, tz), timezone.localtime(end, tz)
        text += "〜" + (
            f"{local_end:%H:%M}" if local_end.date() == local_start.date() else format_datetime(end, tz)
        )
    if tz.key != "Asia/Tokyo":
        text += f" ({tz.key})"
    return text


def _participation(context: MailContext) -> str:
    if context.join_url:
        lines = [
            gettext("%(service)sミーティングURL: %(url)s")
            % {"service": context.web_meeting_service, "url": context.join_url}
        ]
        if context.passcode:
            lines.append(gettext("パスコード: %(passcode)s") % {"passcode": context.passcode})
        return "\n".join(lines)
    if context.is_web_interview:
        return gettext(
            "Web面接（%(service)s）です。ミーティングURLは発行され次第、メールでお知らせします。"
        ) % {"service": context.web_meeting_service}
    if context.venue:
        return gettext("会場: %(venue)s") % {"venue": context.venue}
    return gettext("詳細は追ってご連絡いたします。")


def placeholder_values(*, company: Company, kind: str, context: MailContext, contact: str) -> dict[str, str]:
    """The text for each placeholder ``kind`` may use."""
    tz = company.tzinfo
    values = {
        "応募者名": context.applicant_name,
        "会社名": company.name,
        "選考会名": context.selection_meeting_name,
        "イベント名": context.event_name,
        "日時": format_when(context.start, context.end, tz),
        "変更前日時": format_when(context.previous_start, context.previous_end, tz),
        "参加方法": _participation(context),
        "ZoomURL": context.join_url,
        "Web面接サービス": context.web_meeting_service,
        "パスコード": context.passcode,
        "会場": context.venue,
        "予約確認URL": context.booking_url,
        "キャンセル期限": format_datetime(context.cancel_deadline, tz),
        "問い合わせ先": context.contact or contact,
        "面接官名": context.host_name,
        "日程ページURL": context.slot_url,
        "通知内容": context.notice,
        "評価入力URL": context.evaluation_url,
        "次の選考": context.next_step,
    }
    return {name: value for name, value in values.items() if name in ALLOWED[kind]}


def render_subject(subject: str, values: Mapping[str, str]) -> str:
    """The subject on one line: a value with a line break must not add a header.

    ``str.split()`` splits at every line break ``replace_line_breaks`` knows (CR, U+2028, NEL, …) too.
    """
    return " ".join(substitute(subject, values).split())


def render_body(body: str, values: Mapping[str, str]) -> str:
    """The body with LF line ends only: a CRLF, a bare CR or a U+2028 in a value becomes one LF."""
    return replace_line_breaks(substitute(body, values), "\n")


def sample_context(company: Company, kind: str, *, now: datetime | None = None) -> MailContext:
    """Made-up data for previews and test mails: a web interview a week from now at 14:00."""
    now = now or timezone.now()
    local = timezone.localtime(now, company.tzinfo)
    start = (local + timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0)
    context = MailContext(
        applicant_name="山田 太郎",
        selection_meeting_name="一次面接",
        event_name="Web面接",
        start=start,
        end=start + timedelta(hours=1),
        is_web_interview=True,
        join_url="https://zoom.us/j/91033400269?pwd=SAMPLE",
        passcode="Fshh7d",
        booking_url=f"{settings.SITE_URL}/b/sample-personal-link/",
        cancel_deadline=start - timedelta(days=1),
    )
    if kind in (MailKind.BOOKING_CHANGED, MailKind.URL_CHANGED):
        context = replace(
            context, previous_start=start - timedelta(days=1), previous_end=start - timedelta(hours=23)
        )
    if kind == MailKind.HOST_NOTICE:
        context = replace(
            context,
            host_name="面接 一郎",
            notice=gettext("予約が入りました"),
            slot_url=f"{settings.SITE_URL}/selection/slots/sample/",
        )
    if kind == MailKind.EVALUATION_REMINDER:
        context = replace(
            context,
            host_name="面接 一郎",
            start=start - timedelta(days=8),
            end=start - timedelta(days=8) + timedelta(hours=1),
            evaluation_url=f"{settings.SITE_URL}/interviews/evaluations/sample/",
        )
    if kind == MailKind.RESULT_PASS:
        context = replace(context, next_step="二次面接")
    return context
