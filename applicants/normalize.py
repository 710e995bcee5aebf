"""Cleaning rules for applicant data, shared by the edit form and the CSV import.

Each ``clean_*`` function returns the value to store or raises ``ValidationError`` with a Japanese
message. The ``*_key`` functions build the normalized search and duplicate keys stored next to the
record: NFKC (full-width ASCII → half-width, half-width kana → full-width), lower case, no spaces,
hiragana folded to katakana — so ``やまだ``, ``ﾔﾏﾀﾞ`` and ``ヤマダ`` find the same person.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

_SPACES = re.compile(r"\s+")
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
# Katakana (with ー ・ ヽ ヾ), spaces and latin letters for names written in roman letters.
_KANA_ALLOWED = re.compile(r"^[\u30a0-\u30ff\u31f0-\u31ff a-zA-Z.\-']+$")
_PHONE_ALLOWED = re.compile(r"^\+?[0-9\-() ]+$")
_POSTAL_CODE = re.compile(r"^〒?\s*([0-9]{3})-?([0-9]{4})$")
_DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
# The dashes people (and IMEs) type between the groups of a phone or postal number: hyphen-minus, ‐ ‑ ‒ – —
# ―, − (minus), ー and ｰ (the katakana long vowel mark, a common IME slip), ﹣ and the full-width －.
_DASHES = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63\uff0d", "-")
)
# 和暦: the first day of each era (https://www.kantei.go.jp/ for 令和; the others from the 元号 laws).
ERAS: dict[str, tuple[int, date]] = {
    "令和": (2019, date(2019, 5, 1)),
    "平成": (1989, date(1989, 1, 8)),
    "昭和": (1926, date(1926, 12, 25)),
    "大正": (1912, date(1912, 7, 30)),
    "明治": (1868, date(1868, 1, 25)),
}
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治"}
_ERA_NAMES = "|".join(ERAS)
# 令和8年4月1日, 令和元年5月1日, R8.4.1, H31.4.30, r8/4/1, 令和8.4.1 (after NFKC and with spaces removed).
_WAREKI_DATE = re.compile(
    rf"^(?:(?P<era>{_ERA_NAMES})|(?P<letter>[RHSTMrhstm]))(?P<year>元|[0-9]{{1,2}})"
    r"(?:年(?P<m1>[0-9]{1,2})月(?P<d1>[0-9]{1,2})日?|[./\-](?P<m2>[0-9]{1,2})[./\-](?P<d2>[0-9]{1,2}))$"
)
# 2027, 2027年, 2027年卒, 2027卒業, 27卒, 27年卒, 令和9年卒, 2027年3月卒業予定.
_GRADUATION = re.compile(
    rf"^(?:(?P<era>{_ERA_NAMES})(?P<era_year>元|[0-9]{{1,2}})年度?"
    rf"|(?P<year>[0-9]{{4}})(?:年度?)?|(?P<short>[0-9]{{2}})(?:年度?)?(?=卒))"
    r"(?:[0-9]{1,2}月)?(?P<grad>卒業?(?:予定|見込み?)?)?$"
)

NAME_MAX_LENGTH = 100
KANA_MAX_LENGTH = 100
PHONE_MAX_LENGTH = 30
TEXT_MAX_LENGTH = 200
MIN_GRADUATION_YEAR = 1950
MAX_GRADUATION_YEAR = 2100


def normalize_text(value: str | None) -> str:
    """NFKC, trimmed, inner whitespace (full-width spaces included) collapsed to one space."""
    if not value:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()


def unify_dashes(value: str) -> str:
    """Every dash variant of a phone or postal number as an ASCII hyphen."""
    return value.translate(_DASHES)


def join_name(family: str | None, given: str | None) -> str:
    """ "姓 名" from split fields: spaces typed inside either part (山 田) are dropped, one space between."""
    parts = (_SPACES.sub("", normalize_text(part)) for part in (family, given))
    return " ".join(part for part in parts if part)


def collapse_spaces(value: str | None) -> str:
    """Trimmed, inner whitespace collapsed; the characters themselves are kept as typed."""
    return _SPACES.sub(" ", value or "").strip()


def to_katakana(value: str) -> str:
    return value.translate(_HIRAGANA_TO_KATAKANA)


def name_key(value: str | None) -> str:
    return normalize_text(value).lower().replace(" ", "")


def given_name_key(value: str | None) -> str:
    """The part after the first space (名 in "姓 名"), so a search by given name finds the person too."""
    parts = normalize_text(value).lower().split(" ", 1)
    return parts[1].replace(" ", "") if len(parts) == 2 else ""


def kana_key(value: str | None) -> str:
    return to_katakana(name_key(value))


def given_kana_key(value: str | None) -> str:
    return to_katakana(given_name_key(value))


def email_key(value: str | None) -> str:
    return normalize_text(value).lower()


def phone_key(value: str | None) -> str:
    """Digits only; an international +81 number becomes the domestic 0… form."""
    text = unify_dashes(normalize_text(value))
    digits = re.sub(r"\D", "", text)
    if text.startswith("+81") and digits.startswith("81"):
        digits = "0" + digits[2:]
    return digits


def search_terms(query: str) -> dict[str, str]:
    """The prefixes a free-text search looks for in each key column."""
    text = name_key(query)
    terms = {"text": text, "kana": to_katakana(text), "email": email_key(query)}
    if _PHONE_ALLOWED.match(normalize_text(query)) and len(phone_key(query)) >= 3:
        terms["phone"] = phone_key(query)
    return terms


def clean_name(value: str | None) -> str:
    name = normalize_text(value)
    if not name:
        raise ValidationError(_("氏名を入力してください。"))
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(_("氏名は%(max)d文字以内で入力してください。") % {"max": NAME_MAX_LENGTH})
    return name


def clean_kana(value: str | None) -> str:
    kana = to_katakana(normalize_text(value))
    if not kana:
        return ""
    if len(kana) > KANA_MAX_LENGTH:
        raise ValidationError(_("フリガナは%(max)d文字以内で入力してください。") % {"max": KANA_MAX_LENGTH})
    if not _KANA_ALLOWED.match(kana):
        raise ValidationError(_("フリガナはカタカナで入力してください。"))
    return kana


def clean_email(value: str | None) -> str:
    email = email_key(value)
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(_("メールアドレスの形式が正しくありません。")) from None
    return email


def clean_phone(value: str | None, *, restore_zero: bool = False) -> str:
    """The number as typed, dashes unified. ``restore_zero`` (imports): a spreadsheet that stored the number
    as a number dropped its leading 0, and 9 or 10 bare digits are a domestic number without it."""
    phone = unify_dashes(normalize_text(value))
    if not phone:
        return ""
    if restore_zero and phone.isdigit() and 9 <= len(phone) <= 10 and not phone.startswith("0"):
        phone = "0" + phone
    digits = phone_key(phone)
    if len(phone) > PHONE_MAX_LENGTH or not _PHONE_ALLOWED.match(phone) or not 10 <= len(digits) <= 15:
        raise ValidationError(_("電話番号の形式が正しくありません（例: 090-1234-5678）。"))
    return phone


def clean_postal_code(value: str | None) -> str:
    """郵便番号 as 123-4567, whatever dash, width or 〒 it was typed with."""
    text = unify_dashes(normalize_text(value))
    if not text:
        return ""
    match = _POSTAL_CODE.match(text)
    if match is None:
        raise ValidationError(_("郵便番号の形式が正しくありません（例: 123-4567）。"))
    return f"{match[1]}-{match[2]}"


def clean_short_text(value: str | None, *, label: str, max_length: int = TEXT_MAX_LENGTH) -> str:
    text = normalize_text(value)
    if len(text) > max_length:
        raise ValidationError(
            _("%(label)sは%(max)d文字以内で入力してください。") % {"label": label, "max": max_length}
        )
    return text


def clean_graduation_year(value: str | int | None) -> int | None:
    """A 4-digit year, or as written in Japanese: 2027年卒, ２０２７年卒, 27卒, 令和9年卒 → 2027."""
    if value is None or value == "":
        return None
    text = _SPACES.sub("", normalize_text(str(value)))
    match = _GRADUATION.match(text)
    year = None
    if match is not None:
        if match["era"]:
            year = _era_year(match["era"], match["era_year"])
        elif match["year"]:
            year = int(match["year"])
        elif match["grad"]:  # two digits only with 卒: "27" alone could be anything
            year = 2000 + int(match["short"])
    if year is None or not MIN_GRADUATION_YEAR <= year <= MAX_GRADUATION_YEAR:
        raise ValidationError(_("卒業年は西暦4桁で入力してください（例: 2027）。"))
    return year


def _era_year(era: str, year: str) -> int:
    return ERAS[era][0] + (1 if year == "元" else int(year)) - 1


def parse_wareki(text: str) -> date | None:
    """A 和暦 date (令和8年4月1日, 令和元年5月1日, R8.4.1, H31.4.30), None when ``text`` is not one.

    A date before its era began (令和1年4月1日) raises ValidationError.
    """
    match = _WAREKI_DATE.match(_SPACES.sub("", normalize_text(text)))
    if match is None:
        return None
    era = match["era"] or _ERA_LETTERS[match["letter"].upper()]
    year = _era_year(era, match["year"])
    try:
        day = date(year, int(match["m1"] or match["m2"]), int(match["d1"] or match["d2"]))
    except ValueError:
        day = None
    if day is None or day < ERAS[era][1] or (match["year"] != "元" and int(match["year"]) == 0):
        raise ValidationError(_("和暦の日付が正しくありません（例: 令和8年4月1日、R8.4.1）。"))
    return day


def parse_date(value: str | None) -> date | None:
    """A date as Japanese spreadsheets and forms write it, or None.

    2026/4/1, 2026-04-01, 2026年4月1日, 20260401, and 和暦: 令和8年4月1日, R8.4.1, H31.4.30, 令和元年5月1日.
    """
    text = normalize_text(value)
    if not text:
        return None
    wareki = parse_wareki(text)
    if wareki is not None:
        return wareki
    text = text.split(" ")[0]  # "2026/04/01 10:30" from Excel keeps its date part
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("日付の形式が正しくありません（例: 2026/04/01）。"))


def split_tags(value: str | None) -> list[str]:
    """Tags separated by commas (半角・全角), 読点 or semicolons; blanks and repeats dropped."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,、;]", normalize_text(value)):
        tag = part.strip()[:50]
        if tag:
            seen.setdefault(tag, None)
    return list(seen)
