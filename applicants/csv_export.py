"""Writing applicants as CSV that Japanese Excel opens correctly, streamed in chunks (and as .xlsx).

UTF-8 with a BOM by default (Excel needs the BOM to read UTF-8), or Shift_JIS (cp932) on request.
Cells that a spreadsheet would run as a formula are prefixed with a quote (CSV injection).
"""

from __future__ import annotations

import codecs
import csv
import functools
import itertools
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone, translation

from applicants import xlsx
from applicants.csv_import import COLUMN_BY_KEY, TEMPLATE_KEYS
from applicants.models import PROFILE_FIELDS, Applicant, Track

UTF8 = "utf8"
SJIS = "sjis"
ENCODINGS = {UTF8: "utf-8", SJIS: "cp932"}
CHUNK_ROWS = 500
MAX_REPORTED = 100
# A cell starting with one of these is a formula to Excel / LibreOffice (OWASP "CSV Injection").
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters that Unicode and cp932 map differently (the classic JIS "wave dash" family): write the cp932
# look-alike instead of a "?".
_CP932_LOOKALIKES = str.maketrans(
    {
        "\u301c": "\uff5e",  # 〜 WAVE DASH → ～
        "\u2212": "\uff0d",  # − MINUS SIGN → －
        "\u2014": "\u2015",  # — EM DASH → ―
        "\u2016": "\u2225",  # ‖ → ∥
        "\u00a2": "\uffe0",  # ¢
        "\u00a3": "\uffe1",  # £
        "\u00ac": "\uffe2",  # ¬
    }
)


def guard_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def headers() -> list[str]:
    """Japanese whatever the UI language: the file goes back into Japanese Excel and into the import."""
    return ["応募者ID", *(COLUMN_BY_KEY[key].header for key in TEMPLATE_KEYS), "登録日時", "更新日時"]


# The columns an export reads: values, not model instances (a row of 300,000 built five instances, its
# related rows and a tag manager, which cost most of the export's time).
_EXPORT_FIELDS = (
    "pk",
    *PROFILE_FIELDS,
    "source__name",
    "position__name",
    "stage__name",
    "applied_on",
    "memo",
    "created_at",
    "updated_at",
)
_CHUNK = 2000


def applicant_values(record: dict[str, Any], tz: zoneinfo.ZoneInfo) -> list[Any]:
    """The export's cells as values for one ``_records`` row: numbers, dates and local (naive)
    date-times where they are such."""
    values: dict[str, Any] = {
        **record,
        "track": _track_labels()[record["track"]],
        "source": record["source__name"] or "",
        "position": record["position__name"] or "",
        "stage": record["stage__name"],
        "tags": ", ".join(record["tags"]),
    }
    cells = [record["pk"], *(values[key] for key in TEMPLATE_KEYS)]
    return [*cells, _naive_local(record["created_at"], tz), _naive_local(record["updated_at"], tz)]


@functools.cache
def _track_labels() -> dict[str, str]:
    """Japanese whatever the UI language, like the headers (the same file from the request and the job)."""
    with translation.override("ja"):
        return {str(value): str(label) for value, label in Track.choices}


def _naive_local(value: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    return timezone.localtime(value, tz).replace(tzinfo=None, second=0, microsecond=0)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y/%m/%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    return value


def applicant_row(record: dict[str, Any], tz: zoneinfo.ZoneInfo) -> list[str]:
    return [guard_cell(_csv_cell(cell)) for cell in applicant_values(record, tz)]


def _records(queryset: QuerySet[Applicant]) -> Iterator[dict[str, Any]]:
    """The applicants' export columns in the queryset's order, each with its sorted tag names (one query
    per 2,000 applicants for the tags)."""
    rows = queryset.values(*_EXPORT_FIELDS).iterator(chunk_size=_CHUNK)
    while chunk := list(itertools.islice(rows, _CHUNK)):
        tags = _tag_names([row["pk"] for row in chunk])
        for row in chunk:
            row["tags"] = sorted(tags.get(row["pk"], ()))
            yield row


def _tag_names(applicant_ids: list[int]) -> dict[int, list[str]]:
    links = Applicant.tags.through.objects.filter(applicant_id__in=applicant_ids)
    names: dict[int, list[str]] = {}
    for applicant_id, name in links.values_list("applicant_id", "tag__name"):
        names.setdefault(applicant_id, []).append(name)
    return names


# Written as text in .xlsx so leading zeros survive: 応募者ID and 電話番号.
XLSX_TEXT_COLUMNS = (0, 1 + TEMPLATE_KEYS.index("phone"))


def export_xlsx(queryset: QuerySet[Applicant], tz: zoneinfo.ZoneInfo) -> IO[bytes]:
    """The applicants as an .xlsx in a temporary file (memory stays flat with the rows); caller closes it."""
    return write_xlsx(export_values(queryset, tz))


def export_values(queryset: QuerySet[Applicant], tz: zoneinfo.ZoneInfo) -> Iterator[list[Any]]:
    """The .xlsx rows (values, not text) of the applicants."""
    for record in _records(queryset):
        yield applicant_values(record, tz)


def write_xlsx(rows: Iterable[list[Any]]) -> IO[bytes]:
    """``rows`` under the headers as an .xlsx in a temporary file; caller closes it."""
    return xlsx.write_file(itertools.chain([headers()], rows), title="応募者", text_columns=XLSX_TEXT_COLUMNS)


def export_rows(queryset: QuerySet[Applicant], tz: zoneinfo.ZoneInfo) -> Iterator[list[str]]:
    for record in _records(queryset):
        yield applicant_row(record, tz)


class _Line:
    """A file-like object whose write() hands back the CSV line (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def stream_csv(rows: Iterable[list[str]], *, encoding: str) -> Iterator[bytes]:
    """The CSV file as byte chunks: header first, CRLF line ends, unencodable characters as "?"."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    codec = ENCODINGS[encoding]
    if encoding == UTF8:
        yield codecs.BOM_UTF8
    yield _encode(writer.writerow(headers()), codec)
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow(row))
        if len(chunk) >= CHUNK_ROWS:
            yield _encode("".join(chunk), codec)
            chunk = []
    if chunk:
        yield _encode("".join(chunk), codec)


def _encode(text: str, codec: str) -> bytes:
    if codec == "cp932":
        return text.translate(_CP932_LOOKALIKES).encode(codec, errors="replace")
    return text.encode(codec)


@dataclass
class Replacement:
    applicant_id: int
    applicant_name: str
    column: str
    characters: str


@dataclass
class Cp932Report:
    """Characters that Shift_JIS cannot hold, found before the file is written."""

    replacements: list[Replacement] = field(default_factory=list)
    total: int = 0

    @property
    def clean(self) -> bool:
        return self.total == 0


def cp932_report(rows: Iterable[list[str]]) -> Cp932Report:
    report = Cp932Report()
    columns = headers()
    for row in rows:
        for index, cell in enumerate(row):
            text = cell.translate(_CP932_LOOKALIKES)
            try:
                text.encode("cp932")
            except UnicodeEncodeError:
                bad = "".join(dict.fromkeys(ch for ch in text if not _encodable(ch)))
                report.total += 1
                if len(report.replacements) < MAX_REPORTED:
                    report.replacements.append(Replacement(int(row[0]), row[1], columns[index], bad))
    return report


def unencodable_cells(row: list[str]) -> int:
    """How many of a CSV row's cells hold a character Shift_JIS cannot (written as "?")."""
    count = 0
    for cell in row:
        if not cell.isascii():
            try:
                cell.translate(_CP932_LOOKALIKES).encode("cp932")
            except UnicodeEncodeError:
                count += 1
    return count


def _encodable(character: str) -> bool:
    try:
        character.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def template_csv(*, encoding: str) -> bytes:
    """An empty import template with one example row."""
    example = {
        "name": "山田 太郎",
        "name_kana": "ヤマダ タロウ",
        "email": "taro.yamada@example.com",
        "phone": "090-1234-5678",
        "track": "新卒",
        "school": "東京大学",
        "faculty": "経済学部",
        "graduation_year": "2027",
        "current_employer": "",
        "source": "マイナビ",
        "position": "営業職",
        "stage": "エントリー",
        "applied_on": timezone.localdate().strftime("%Y/%m/%d"),
        "tags": "",
        "memo": "",
    }
    labels = [COLUMN_BY_KEY[key].header for key in TEMPLATE_KEYS]
    writer = csv.writer(_Line(), lineterminator="\r\n")
    text = writer.writerow(labels) + writer.writerow([example[key] for key in TEMPLATE_KEYS])
    prefix = codecs.BOM_UTF8 if encoding == UTF8 else b""
    return prefix + _encode(text, ENCODINGS[encoding])


def rows_csv(rows: Iterable[list[Any]]) -> bytes:
    """Small files (the rejected rows of an import): UTF-8 with BOM, CRLF, formula-like cells quoted."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    text = "".join(writer.writerow([guard_cell(cell) for cell in row]) for row in rows)
    return codecs.BOM_UTF8 + text.encode("utf-8")
