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
_DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")

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
    text = normalize_text(value)
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


def clean_phone(value: str | None) -> str:
    phone = normalize_text(value)
    if not phone:
        return ""
    digits = phone_key(phone)
    if len(phone) > PHONE_MAX_LENGTH or not _PHONE_ALLOWED.match(phone) or not 10 <= len(digits) <= 15:
        raise ValidationError(_("電話番号の形式が正しくありません（例: 090-1234-5678）。"))
    return phone


def clean_short_text(value: str | None, *, label: str, max_length: int = TEXT_MAX_LENGTH) -> str:
    text = normalize_text(value)
    if len(text) > max_length:
        raise ValidationError(
            _("%(label)sは%(max)d文字以内で入力してください。") % {"label": label, "max": max_length}
        )
    return text


def clean_graduation_year(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    text = normalize_text(str(value)).removesuffix("年").removesuffix("卒")
    if not text.isdigit() or not MIN_GRADUATION_YEAR <= int(text) <= MAX_GRADUATION_YEAR:
        raise ValidationError(_("卒業年は西暦4桁で入力してください（例: 2027）。"))
    return int(text)


def parse_date(value: str | None) -> date | None:
    """A date as Japanese spreadsheets write it (2026/4/1, 2026-04-01, 2026年4月1日), or None."""
    text = normalize_text(value)
    if not text:
        return None
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
