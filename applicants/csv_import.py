"""Reading an applicant file (CSV, or the first sheet of an .xlsx): encoding, headers, every row's problems.

``build_plan`` is pure reading (plus the duplicate lookup); ``import_jobs`` writes the rows of a plan. The
plan is built once by the check job, and its ``PlanSummary`` (what the preview page shows, bounded in size)
is kept on the draft, so showing the preview again reads no file. The import job builds the plan again
inside its transaction, so what gets imported is checked against the data as it is then. Columns are found
by their headers, or by a column mapping (``column_map``: one field key per column) the user chose.

A file beyond the limits (MAX_COLUMNS columns in a row, MAX_HEADER_CHARS characters of header,
MAX_CELL_CHARS characters in a cell) raises ``ImportLimitError``: the check drops it and says why.
The header is measured before the CSV reader sees the file, so a very wide header costs no parsing.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Company
from applicants import normalize, xlsx
from applicants.models import PROFILE_FIELDS, Applicant, Position, SelectionStage, Source, Tag, Track

MAX_ROWS = 50_000
MAX_COLUMNS = 200
MAX_HEADER_CHARS = 64 * 1024
MAX_CELL_CHARS = 10_000  # the longest field (備考) takes 5,000
# The characters one record may take in the file within the limits above: every cell quoted with each
# character a doubled quote, a delimiter after each, the line end. Reading stops at the first record longer
# than that, so one huge row never becomes millions of cells in memory.
MAX_RECORD_CHARS = MAX_COLUMNS * (2 * MAX_CELL_CHARS + 3) + 2
MAX_ERRORS_SHOWN = 1_000
MAX_NAMES_SHOWN = 100  # new 募集職種 / 応募経路 / タグ listed on the preview
MAX_LABEL_SHOWN = 100  # characters of a header or a value quoted back in a message
SAMPLE_ROWS = 20
DB_LOOKUP_CHUNK = 2000


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # shown in the preview's messages, in the user's language
    aliases: tuple[str, ...]  # the first one is the header written on export: always Japanese

    @property
    def header(self) -> str:
        return self.aliases[0]


# Headers are matched after NFKC, lower case and dropping spaces and punctuation, so "E-mail", "Ｅメール" and
# "学部・学科" / "学部学科" all match.
COLUMNS: tuple[Column, ...] = (
    Column("name", gettext_lazy("氏名"), ("氏名", "名前", "応募者名", "氏名漢字", "name", "fullname")),
    Column("family_name", gettext_lazy("姓"), ("姓", "苗字", "familyname", "lastname")),
    Column("given_name", gettext_lazy("名"), ("名", "firstname", "givenname")),
    Column(
        "name_kana",
        gettext_lazy("フリガナ"),
        (
            "フリガナ",
            "ふりがな",
            "カナ",
            "氏名カナ",
            "氏名フリガナ",
            "カナ氏名",
            "kana",
            "furigana",
            "namekana",
        ),
    ),
    Column("family_kana", gettext_lazy("セイ"), ("セイ", "姓カナ", "姓フリガナ")),
    Column("given_kana", gettext_lazy("メイ"), ("メイ", "名カナ", "名フリガナ")),
    Column(
        "email",
        gettext_lazy("メールアドレス"),
        ("メールアドレス", "メール", "eメール", "eメールアドレス", "email", "mail", "emailaddress"),
    ),
    Column(
        "phone",
        gettext_lazy("電話番号"),
        ("電話番号", "電話", "携帯電話", "携帯電話番号", "携帯番号", "tel", "phone", "phonenumber"),
    ),
    Column("track", gettext_lazy("区分"), ("区分", "応募区分", "採用区分", "新卒中途", "track", "type")),
    Column("school", gettext_lazy("学校名"), ("学校名", "学校", "大学", "大学名", "school", "university")),
    Column("faculty", gettext_lazy("学部・学科"), ("学部・学科", "学部", "学科", "faculty", "department")),
    Column(
        "graduation_year",
        gettext_lazy("卒業年"),
        ("卒業年", "卒業年度", "卒業予定年", "卒業予定年度", "graduationyear"),
    ),
    Column(
        "current_employer",
        gettext_lazy("現職"),
        ("現職", "現在の勤務先", "勤務先", "在籍企業", "現所属", "currentemployer", "employer"),
    ),
    Column("source", gettext_lazy("応募経路"), ("応募経路", "経路", "応募媒体", "媒体", "source")),
    Column("position", gettext_lazy("募集職種"), ("募集職種", "職種", "応募職種", "position", "job")),
    Column(
        "stage",
        gettext_lazy("選考ステータス"),
        ("選考ステータス", "ステータス", "選考状況", "status", "stage"),
    ),
    Column(
        "applied_on",
        gettext_lazy("応募日"),
        ("応募日", "エントリー日", "応募日時", "appliedon", "applieddate", "applicationdate"),
    ),
    Column("tags", gettext_lazy("タグ"), ("タグ", "tags", "tag")),
    Column("memo", gettext_lazy("備考"), ("備考", "メモ", "memo", "note", "notes")),
)
# Written by our export, meaningless on import: skipped without a notice.
EXPORT_ONLY_HEADERS = {"応募者id", "id", "登録日時", "更新日時", "createdat", "updatedat"}
# The columns of the downloadable template and of the export, in order.
TEMPLATE_KEYS = (*PROFILE_FIELDS, "source", "position", "stage", "applied_on", "tags", "memo")
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
_LABELS = {column.key: column.label for column in COLUMNS}
TRACK_VALUES = {
    "新卒": Track.NEW_GRADUATE,
    "新卒採用": Track.NEW_GRADUATE,
    "newgraduate": Track.NEW_GRADUATE,
    "中途": Track.MID_CAREER,
    "中途採用": Track.MID_CAREER,
    "キャリア": Track.MID_CAREER,
    "midcareer": Track.MID_CAREER,
}
_HEADER_NOISE = re.compile(r"[\s・_\-/()（）\[\]【】「」:：.*※]")
# A cell our export guarded against formula injection ("'=…") comes back as it was.
_GUARDED_CELL = re.compile(r"^'(?=[=+\-@\t\r])")


def header_key(value: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", value).lower())


_ALIASES = {header_key(alias): column.key for column in COLUMNS for alias in column.aliases}


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, missing 氏名 column, empty, too many rows)."""


class ImportLimitError(ImportFileError):
    """The file is wider or longer-lined than the import reads: refused at upload, nothing kept."""


def _shorten(text: str, limit: int = MAX_LABEL_SHOWN) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class RowIssue:
    line: int
    column: str
    message: str


@dataclass
class ParsedRow:
    line: int
    fields: dict[str, Any]
    stage_name: str = ""
    position_name: str = ""
    source_name: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    encoding: str = ""
    total_rows: int = 0
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowIssue] = field(default_factory=list)
    duplicates: list[RowIssue] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    new_positions: list[str] = field(default_factory=list)
    new_sources: list[str] = field(default_factory=list)
    new_tags: list[str] = field(default_factory=list)
    file_error: str = ""
    headers: list[str] = field(default_factory=list)  # the file's header cells, as read
    mapped: bool = False  # read with a column mapping chosen by the user (or a preset)
    unknown_columns: bool = False  # a header that is none of ours: the preview offers a mapping

    @property
    def duplicate_lines(self) -> set[int]:
        return {issue.line for issue in self.duplicates}

    @property
    def importable_rows(self) -> list[ParsedRow]:
        skipped = self.duplicate_lines
        return [row for row in self.rows if row.line not in skipped]

    @property
    def can_import(self) -> bool:
        return not self.file_error and not self.errors and bool(self.importable_rows)

    @property
    def error_lines(self) -> int:
        return len({issue.line for issue in self.errors})


def decode(content: bytes) -> tuple[str, str]:
    """The text and a label of its encoding: UTF-8 (with or without BOM), Shift_JIS (cp932) or UTF-16."""
    if content.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", "UTF-8（BOM付き）")]
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", "UTF-16")]
    else:
        # Japanese text in cp932 is almost never valid UTF-8, so trying UTF-8 first is a safe detection.
        candidates = [("utf-8", "UTF-8"), ("cp932", "Shift_JIS")]
    for codec, label in candidates:
        try:
            return content.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _(
            "文字コードを判別できませんでした。"
            "UTF-8 または Shift_JIS（Excelの「CSV（コンマ区切り）」）で保存してください。"
        )
    )


def _columns_error(line: int, count: int) -> ImportLimitError:
    return ImportLimitError(
        _("%(line)d行目の列が多すぎます（%(count)s列）。1行に入れられるのは%(max)d列までです。")
        % {"line": line, "count": f"{count:,}", "max": MAX_COLUMNS}
    )


def _cell_error(line: int) -> ImportLimitError:
    return ImportLimitError(
        _("%(line)d行目に長すぎる項目があります。1つの項目（セル）は%(max)s文字までです。")
        % {"line": line, "max": f"{MAX_CELL_CHARS:,}"}
    )


def _check_header(text: str) -> str:
    """The delimiter, after refusing a header line over MAX_HEADER_CHARS or with over MAX_COLUMNS columns.

    Only the first MAX_HEADER_CHARS characters (and the line end) are read, whatever the file's size.
    """
    head = text[: MAX_HEADER_CHARS + 2]
    first_line = head.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    stream = io.StringIO(head, newline="")
    try:
        cells = next(csv.reader(stream, delimiter=delimiter), [])
    except csv.Error:
        cells = []  # reported with its line by the full reading
    if len(head[: stream.tell()].rstrip("\r\n")) > MAX_HEADER_CHARS:
        raise ImportLimitError(
            _("1行目（見出し）が長すぎます。見出しの行は%(max)s文字までです。")
            % {"max": f"{MAX_HEADER_CHARS:,}"}
        )
    if len(cells) > MAX_COLUMNS:
        raise _columns_error(1, len(cells))
    return delimiter


class _RecordTooLongError(Exception):
    pass


class _BoundedLines:
    """The file's lines for csv.reader, refusing a record that takes more than MAX_RECORD_CHARS."""

    def __init__(self, text: str) -> None:
        self.lines = io.StringIO(text, newline="")
        self.used = 0  # characters of the record being read; reset by the reader after each record

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.used += len(line)
        if self.used > MAX_RECORD_CHARS:
            raise _RecordTooLongError
        return line


def _read_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, cells) for every record, the header included."""
    if "\x00" in text:
        raise ImportFileError(_("CSVファイルではないようです（バイナリデータが含まれています）。"))
    lines = _BoundedLines(text)
    reader = csv.reader(lines, delimiter=_check_header(text))
    previous_end = 0
    try:
        for cells in reader:
            line = previous_end + 1
            if len(cells) > MAX_COLUMNS:
                raise _columns_error(line, len(cells))
            if cells and max(map(len, cells)) > MAX_CELL_CHARS:
                raise _cell_error(line)
            yield line, cells
            previous_end, lines.used = reader.line_num, 0
    except _RecordTooLongError:
        raise ImportLimitError(
            _("%(line)d行目が長すぎます。1行は%(columns)d列まで、1つの項目（セル）は%(cell)s文字までです。")
            % {"line": previous_end + 1, "columns": MAX_COLUMNS, "cell": f"{MAX_CELL_CHARS:,}"}
        ) from None
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # the csv module's own cap, above MAX_CELL_CHARS
            raise _cell_error(previous_end + 1) from None
        raise ImportFileError(
            _("%(line)d行目付近のCSVの形式が正しくありません（%(error)s）。")
            % {"line": previous_end + 1, "error": exc}
        ) from None


IGNORE = ""  # a column mapped to nothing (取り込まない)
MAPPABLE_KEYS = tuple(column.key for column in COLUMNS)


MAX_HEADER_SHOWN = 40  # characters of a header kept for the column mapping and its presets


def header_keys(cells: list[str]) -> list[str]:
    """The header cells as a preset remembers them: matched whatever their width, case and punctuation.

    Only the first MAX_HEADER_SHOWN characters count, so the preview's shortened headers give the same keys.
    """
    return [header_key(_shorten(normalize.normalize_text(cell), MAX_HEADER_SHOWN)) for cell in cells]


# For the mapping form's first guess only (never applied without the user): words a header of another
# system's export contains, most specific first ("よみがな" before "名", "メール" before "アドレス").
_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("name_kana", ("ふりがな", "フリガナ", "よみ", "ヨミ", "カナ", "kana")),
    ("email", ("メール", "mail")),
    ("phone", ("電話", "携帯", "tel", "phone")),
    ("graduation_year", ("卒業",)),
    ("applied_on", ("応募日", "エントリー日", "登録日", "受付日")),
    ("school", ("学校", "大学")),
    ("faculty", ("学部", "学科")),
    ("source", ("経路", "媒体")),
    ("position", ("職種",)),
    ("memo", ("備考", "メモ", "コメント")),
    ("name", ("氏名", "名前", "name")),
)


def _hint(key: str) -> str:
    return next((field for field, words in _HINTS if any(word.lower() in key for word in words)), IGNORE)


def guess_column_map(cells: list[str]) -> list[str]:
    """The field each column would be read as from its header ("" when none), for the mapping form."""
    guessed: list[str] = []
    for key in header_keys(cells):
        field_key = _ALIASES.get(key) or _hint(key)
        guessed.append(IGNORE if field_key in guessed else field_key)
    return guessed


def headers_are_ours(cells: list[str]) -> bool:
    """Whether the header names the applicant and every other column as our own files do."""
    keys = header_keys(cells)
    fields = [_ALIASES.get(key) for key in keys]
    known = all(
        field or not key or key in EXPORT_ONLY_HEADERS for key, field in zip(keys, fields, strict=True)
    )
    return known and bool({"name", "family_name"} & set(fields))


def _map_header(cells: list[str], plan: ImportPlan, column_map: list[str] | None = None) -> dict[str, int]:
    mapping: dict[str, int] = {}
    if column_map is not None and len(column_map) != len(cells):
        raise ImportFileError(_("列の対応がこのファイルの列と合いません。列の対応を選び直してください。"))
    for index, raw in enumerate(cells):
        label = normalize.normalize_text(raw)
        if column_map is not None:
            key = column_map[index] if column_map[index] in MAPPABLE_KEYS else None
        else:
            key = _ALIASES.get(header_key(label))
        if key is None:
            if label and header_key(label) not in EXPORT_ONLY_HEADERS and column_map is None:
                plan.ignored_columns.append(_shorten(label))
                plan.unknown_columns = True
            continue
        if key in mapping:
            raise ImportFileError(
                _("見出し「%(first)s」と「%(second)s」が同じ項目を指しています。どちらかを削除してください。")
                % {
                    "first": _shorten(normalize.normalize_text(cells[mapping[key]])),
                    "second": _shorten(label),
                }
            )
        mapping[key] = index
    if "name" not in mapping and "family_name" not in mapping:
        plan.unknown_columns = True
        raise ImportFileError(
            _(
                "「氏名」の列が見つかりません。1行目に見出し（氏名、フリガナ、メールアドレスなど）を入れてください。"
            )
        )
    return mapping


@dataclass
class _Context:
    """The company's lists, keyed by normalized name."""

    stages: dict[str, SelectionStage]
    default_stage: SelectionStage
    positions: dict[str, Position]
    sources: dict[str, Source]
    today: date
    default_source: str = ""


def _load_context(company: Company, today: date) -> _Context:
    from applicants.selectors import company_stages

    stages = company_stages(company)
    active = [stage for stage in stages if stage.is_active]
    return _Context(
        stages={normalize.name_key(stage.name): stage for stage in stages},
        default_stage=(active or stages)[0],
        positions={normalize.name_key(p.name): p for p in Position.objects.filter(company=company)},
        sources={normalize.name_key(s.name): s for s in Source.objects.filter(company=company)},
        today=today,
    )


class _RowReader:
    """Cleans one record into applicant fields, collecting (line, column, reason) for every problem."""

    def __init__(
        self, line: int, cells: list[str], mapping: dict[str, int], plan: ImportPlan, header_width: int
    ) -> None:
        self.line, self.cells, self.mapping, self.plan = line, cells, mapping, plan
        self.header_width = header_width
        self.ok = True

    def raw(self, key: str) -> str:
        index = self.mapping.get(key)
        if index is None or index >= len(self.cells):
            return ""
        return _GUARDED_CELL.sub("", self.cells[index]).strip()

    def error(self, key: str, message: str) -> None:
        self.ok = False
        self.plan.errors.append(RowIssue(self.line, str(COLUMN_BY_KEY[key].label), message))

    def clean(self, key: str, function, *args, **kwargs) -> Any:
        try:
            return function(*args, **kwargs)
        except ValidationError as exc:
            self.error(key, " ".join(exc.messages))
            return None


def _read_record(reader: _RowReader, context: _Context) -> ParsedRow:
    raw = reader.raw
    name_source = "name" if "name" in reader.mapping else "family_name"
    full_name = raw("name") or normalize.join_name(raw("family_name"), raw("given_name"))
    full_kana = raw("name_kana") or normalize.join_name(raw("family_kana"), raw("given_kana"))
    fields: dict[str, Any] = {
        "name": reader.clean(name_source, normalize.clean_name, full_name),
        "name_kana": reader.clean("name_kana", normalize.clean_kana, full_kana),
        "email": reader.clean("email", normalize.clean_email, raw("email")),
        "phone": reader.clean("phone", normalize.clean_phone, raw("phone"), restore_zero=True),
        "graduation_year": reader.clean(
            "graduation_year", normalize.clean_graduation_year, raw("graduation_year")
        ),
        "applied_on": reader.clean("applied_on", normalize.parse_date, raw("applied_on")) or context.today,
        "memo": reader.clean(
            "memo", normalize.clean_short_text, raw("memo"), label=_LABELS["memo"], max_length=5000
        ),
    }
    for key in ("school", "faculty", "current_employer"):
        # The label stays lazy: it is translated only for a row that has the error.
        fields[key] = reader.clean(key, normalize.clean_short_text, raw(key), label=_LABELS[key])
    fields["track"] = _track(reader, fields)
    row = ParsedRow(line=reader.line, fields=fields, tags=normalize.split_tags(raw("tags")))
    row.stage_name = _stage_name(reader, context)
    for key in ("position", "source"):
        value = reader.clean(
            key, normalize.clean_short_text, raw(key), label=COLUMN_BY_KEY[key].label, max_length=50
        )
        setattr(row, f"{key}_name", value or "")
    row.source_name = row.source_name or context.default_source
    if any(cell.strip() for cell in reader.cells[reader.header_width :]):
        reader.ok = False
        reader.plan.errors.append(RowIssue(reader.line, "—", _("見出しより列が多くなっています。")))
    return row


def _track(reader: _RowReader, fields: dict[str, Any]) -> str:
    value = reader.raw("track")
    if not value:
        return Track.MID_CAREER if fields.get("current_employer") else Track.NEW_GRADUATE
    track = TRACK_VALUES.get(header_key(value))
    if track is None:
        reader.error("track", _("区分は「新卒」または「中途」で入力してください。"))
        return Track.NEW_GRADUATE
    return track


def _stage_name(reader: _RowReader, context: _Context) -> str:
    value = normalize.normalize_text(reader.raw("stage"))
    if not value:
        return context.default_stage.name
    stage = context.stages.get(normalize.name_key(value))
    if stage is None:
        names = _shorten("、".join(stage.name for stage in context.stages.values() if stage.is_active), 300)
        reader.error(
            "stage",
            _("「%(value)s」という選考ステータスはありません（%(names)s）。")
            % {"value": _shorten(value), "names": names},
        )
        return ""
    return stage.name


def _flag_duplicates(plan: ImportPlan, company: Company) -> None:
    """Rows whose email or phone is already in the company, or earlier in the file, are skipped."""
    seen: dict[tuple[str, str], int] = {}
    candidates: list[tuple[ParsedRow, dict[str, str]]] = []
    for row in plan.rows:
        keys = {
            "email": normalize.email_key(row.fields["email"]),
            "phone": normalize.phone_key(row.fields["phone"]),
        }
        for kind, key in keys.items():
            first = seen.setdefault((kind, key), row.line) if key else row.line
            if first != row.line:
                message = _("%(line)d行目と重複しています。") % {"line": first}
                plan.duplicates.append(RowIssue(row.line, _column_label(kind), message))
                break
        else:
            candidates.append((row, keys))
    existing = _existing_keys(
        company, {kind: {keys[kind] for _row, keys in candidates} for kind in ("email", "phone")}
    )
    for row, keys in candidates:
        for kind, key in keys.items():
            if key and (kind, key) in existing:
                what = _column_label(kind)
                message = _("同じ%(what)sの応募者が登録済みです（%(name)s）。") % {
                    "what": what,
                    "name": existing[(kind, key)],
                }
                plan.duplicates.append(RowIssue(row.line, what, message))
                break
    plan.duplicates.sort(key=lambda issue: issue.line)


def _column_label(kind: str) -> str:
    return str(COLUMN_BY_KEY[kind].label)


def _existing_keys(company: Company, wanted: dict[str, set[str]]) -> dict[tuple[str, str], str]:
    """(kind, key) → name of an applicant of the company that already has that email / phone key."""
    found: dict[tuple[str, str], str] = {}
    for kind, keys in wanted.items():
        ordered = sorted(key for key in keys if key)
        for start in range(0, len(ordered), DB_LOOKUP_CHUNK):
            chunk = ordered[start : start + DB_LOOKUP_CHUNK]
            matches = Applicant.objects.filter(company=company, **{f"{kind}_key__in": chunk})
            for key, name in matches.values_list(f"{kind}_key", "name"):
                found.setdefault((kind, key), name)
    return found


ProgressCallback = Callable[[int], None]
PROGRESS_EVERY = 1000


def read_records(content: bytes, *, file_kind: str = "csv") -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """The encoding label and the records of a file: (line or row number, cells as text), header first."""
    if file_kind == "xlsx":
        return "Excel (.xlsx)", _spreadsheet_rows(content)
    text, encoding = decode(content)
    return encoding, _read_rows(text)


def _spreadsheet_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        yield from xlsx.read_rows(content, max_columns=MAX_COLUMNS, max_cell_chars=MAX_CELL_CHARS)
    except xlsx.SpreadsheetLimitError as exc:
        raise ImportLimitError(str(exc)) from None
    except xlsx.SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from None


def build_plan(
    content: bytes,
    *,
    company: Company,
    today: date,
    file_kind: str = "csv",
    column_map: list[str] | None = None,
    choose_map: Callable[[list[str]], tuple[list[str] | None, str]] | None = None,
    default_source: str = "",
    progress: ProgressCallback | None = None,
) -> ImportPlan:
    """Read the whole file and name every problem; write nothing.

    ``column_map`` (one field key per column) replaces the header matching; ``default_source`` is the
    応募経路 of rows that name none; ``choose_map``, given the header cells, returns both instead.
    ``progress`` is told the number of rows read every PROGRESS_EVERY rows.
    A problem of the file as a whole is the plan's ``file_error``; a file beyond the limits raises
    ``ImportLimitError`` instead.
    """
    plan = ImportPlan(mapped=column_map is not None)
    try:
        plan.encoding, records = read_records(content, file_kind=file_kind)
        header = next(records, None)
        if header is None:
            raise ImportFileError(_("ファイルが空です。"))
        plan.headers = [normalize.normalize_text(cell) for cell in header[1]]
        if choose_map is not None:
            column_map, default_source = choose_map(header[1])
            plan.mapped = column_map is not None
        mapping = _map_header(header[1], plan, column_map)
        context = _load_context(company, today)
        context.default_source = default_source
        for line, cells in records:
            if not any(cell.strip() for cell in cells):
                continue
            plan.total_rows += 1
            if plan.total_rows > MAX_ROWS:
                raise ImportFileError(
                    _("一度に取り込めるのは%(max)s行までです。ファイルを分けてください。")
                    % {"max": f"{MAX_ROWS:,}"}
                )
            if progress is not None and plan.total_rows % PROGRESS_EVERY == 0:
                progress(plan.total_rows)
            reader = _RowReader(line, cells, mapping, plan, header_width=len(header[1]))
            row = _read_record(reader, context)
            if reader.ok:
                plan.rows.append(row)
    except ImportLimitError:
        raise
    except ImportFileError as exc:
        return ImportPlan(
            encoding=plan.encoding,
            file_error=str(exc),
            headers=plan.headers,
            mapped=plan.mapped,
            unknown_columns=plan.unknown_columns,
        )
    if plan.total_rows == 0:
        plan.file_error = _("取り込む行がありません（見出しの行だけです）。")
        return plan
    plan.errors.sort(key=lambda issue: issue.line)
    _flag_duplicates(plan, company)
    _collect_new_names(plan, context)
    return plan


REASON_HEADER = "理由"


def rejection_reasons(plan: ImportPlan) -> dict[int, str]:
    """Line → why the row is not imported (its errors, or the duplicate), for the rejected-rows file."""
    reasons: dict[int, list[str]] = {}
    for issue in [*plan.errors, *plan.duplicates]:
        reasons.setdefault(issue.line, []).append(f"{issue.column}: {issue.message}")
    return {line: " / ".join(messages) for line, messages in reasons.items()}


def rejected_records(content: bytes, *, file_kind: str, reasons: dict[int, str]) -> Iterator[list[str]]:
    """The file's header and its rejected rows as they were, each with its reason in a last 理由 column."""
    _encoding, records = read_records(content, file_kind=file_kind)
    header = next(records, None)
    if header is None:
        return
    width = len(header[1])
    yield [*header[1], REASON_HEADER]
    for line, cells in records:
        if line in reasons:
            yield [*cells, *([""] * (width - len(cells))), reasons[line]]


def _collect_new_names(plan: ImportPlan, context: _Context) -> None:
    positions: dict[str, str] = {}
    sources: dict[str, str] = {}
    tags: dict[str, None] = {}
    for row in plan.importable_rows:
        if row.position_name and normalize.name_key(row.position_name) not in context.positions:
            positions.setdefault(normalize.name_key(row.position_name), row.position_name)
        if row.source_name and normalize.name_key(row.source_name) not in context.sources:
            sources.setdefault(normalize.name_key(row.source_name), row.source_name)
        for tag in row.tags:
            tags.setdefault(tag, None)
    company_id = context.default_stage.company_id
    existing_tags = set(
        Tag.objects.filter(company_id=company_id, name__in=list(tags)).values_list("name", flat=True)
    )
    plan.new_positions = list(positions.values())
    plan.new_sources = list(sources.values())
    plan.new_tags = [tag for tag in tags if tag not in existing_tags]


@dataclass(frozen=True)
class SampleRow:
    """One row as the preview lists it."""

    line: int
    name: str
    name_kana: str
    email: str
    phone: str
    stage_name: str
    position_name: str
    source_name: str
    applied_on: date


def _sample_row(data: list[Any]) -> SampleRow:
    line, name, kana, email, phone, stage, position, source, applied_on = data
    return SampleRow(
        line=line,
        name=name,
        name_kana=kana,
        email=email,
        phone=phone,
        stage_name=stage,
        position_name=position,
        source_name=source,
        applied_on=date.fromisoformat(applied_on),
    )


def _issues(data: list[list[Any]]) -> list[RowIssue]:
    return [RowIssue(int(line), str(column), str(message)) for line, column, message in data]


@dataclass
class PlanSummary:
    """What the preview page shows of a plan, bounded whatever the file: kept as JSON on the draft.

    ``errors`` and ``duplicates`` hold the first MAX_ERRORS_SHOWN issues (their counts are all of them),
    the new names the first MAX_NAMES_SHOWN, ``sample`` the first SAMPLE_ROWS rows to import.
    """

    VERSION = 2

    checked_at: datetime
    encoding: str = ""
    file_error: str = ""
    total_rows: int = 0
    importable_count: int = 0
    error_count: int = 0
    error_lines: int = 0
    errors: list[RowIssue] = field(default_factory=list)
    duplicate_count: int = 0
    duplicates: list[RowIssue] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    new_positions: list[str] = field(default_factory=list)
    new_position_count: int = 0
    new_sources: list[str] = field(default_factory=list)
    new_source_count: int = 0
    new_tags: list[str] = field(default_factory=list)
    new_tag_count: int = 0
    sample: list[SampleRow] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    mapped: bool = False
    unknown_columns: bool = False

    @classmethod
    def of(cls, plan: ImportPlan, *, checked_at: datetime) -> PlanSummary:
        importable = plan.importable_rows
        return cls(
            checked_at=checked_at,
            encoding=plan.encoding,
            file_error=plan.file_error,
            total_rows=plan.total_rows,
            importable_count=len(importable),
            error_count=len(plan.errors),
            error_lines=plan.error_lines,
            errors=plan.errors[:MAX_ERRORS_SHOWN],
            duplicate_count=len(plan.duplicates),
            duplicates=plan.duplicates[:MAX_ERRORS_SHOWN],
            ignored_columns=plan.ignored_columns[:MAX_COLUMNS],
            new_positions=plan.new_positions[:MAX_NAMES_SHOWN],
            new_position_count=len(plan.new_positions),
            new_sources=plan.new_sources[:MAX_NAMES_SHOWN],
            new_source_count=len(plan.new_sources),
            new_tags=plan.new_tags[:MAX_NAMES_SHOWN],
            new_tag_count=len(plan.new_tags),
            sample=[
                SampleRow(
                    line=row.line,
                    name=row.fields["name"],
                    name_kana=row.fields["name_kana"],
                    email=row.fields["email"],
                    phone=row.fields["phone"],
                    stage_name=row.stage_name,
                    position_name=row.position_name,
                    source_name=row.source_name,
                    applied_on=row.fields["applied_on"],
                )
                for row in importable[:SAMPLE_ROWS]
            ],
            headers=[_shorten(label, MAX_HEADER_SHOWN) for label in plan.headers[:MAX_COLUMNS]],
            mapped=plan.mapped,
            unknown_columns=plan.unknown_columns,
        )

    @property
    def can_import(self) -> bool:
        return not self.file_error and not self.error_count and self.importable_count > 0

    @property
    def can_import_valid_rows(self) -> bool:
        """Whether "import the valid rows" has anything to import."""
        return not self.file_error and self.importable_count > 0

    @property
    def rejected_count(self) -> int:
        """Rows not imported: the lines with errors and the duplicates."""
        return self.error_lines + self.duplicate_count

    @property
    def hidden_errors(self) -> int:
        return self.error_count - len(self.errors)

    @property
    def hidden_duplicates(self) -> int:
        return self.duplicate_count - len(self.duplicates)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.VERSION,
            "checked_at": self.checked_at.isoformat(),
            "encoding": self.encoding,
            "file_error": self.file_error,
            "total_rows": self.total_rows,
            "importable_count": self.importable_count,
            "error_count": self.error_count,
            "error_lines": self.error_lines,
            "errors": [[i.line, i.column, i.message] for i in self.errors],
            "duplicate_count": self.duplicate_count,
            "duplicates": [[i.line, i.column, i.message] for i in self.duplicates],
            "ignored_columns": self.ignored_columns,
            "new_positions": self.new_positions,
            "new_position_count": self.new_position_count,
            "new_sources": self.new_sources,
            "new_source_count": self.new_source_count,
            "new_tags": self.new_tags,
            "new_tag_count": self.new_tag_count,
            "sample": [
                [r.line, r.name, r.name_kana, r.email, r.phone, r.stage_name, r.position_name,
                 r.source_name, r.applied_on.isoformat()]
                for r in self.sample
            ],
            "headers": self.headers,
            "mapped": self.mapped,
            "unknown_columns": self.unknown_columns,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> PlanSummary | None:
        """The summary ``to_json`` wrote, or None when there is none or it has another version."""
        if not isinstance(data, dict) or data.get("version") != cls.VERSION:
            return None
        return cls(
            checked_at=datetime.fromisoformat(data["checked_at"]),
            encoding=data["encoding"],
            file_error=data["file_error"],
            total_rows=data["total_rows"],
            importable_count=data["importable_count"],
            error_count=data["error_count"],
            error_lines=data["error_lines"],
            errors=_issues(data["errors"]),
            duplicate_count=data["duplicate_count"],
            duplicates=_issues(data["duplicates"]),
            ignored_columns=data["ignored_columns"],
            new_positions=data["new_positions"],
            new_position_count=data["new_position_count"],
            new_sources=data["new_sources"],
            new_source_count=data["new_source_count"],
            new_tags=data["new_tags"],
            new_tag_count=data["new_tag_count"],
            sample=[_sample_row(row) for row in data["sample"]],
            headers=data["headers"],
            mapped=data["mapped"],
            unknown_columns=data["unknown_columns"],
        )
