"""Reading an applicant CSV: encoding, headers, and every row's problems, before anything is written.

``build_plan`` is pure reading (plus the duplicate lookup); ``services.import_applicants`` writes a plan
that has no errors. The same plan is built for the preview and again, inside the import's transaction,
for the import itself, so what was previewed is what gets checked.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Company
from applicants import normalize
from applicants.models import PROFILE_FIELDS, Applicant, Position, SelectionStage, Source, Tag, Track

MAX_ROWS = 50_000
MAX_ERRORS_SHOWN = 1_000
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
    def errors_shown(self) -> list[RowIssue]:
        return self.errors[:MAX_ERRORS_SHOWN]

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


def _read_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, cells) for every record, the header included."""
    if "\x00" in text:
        raise ImportFileError(_("CSVファイルではないようです（バイナリデータが含まれています）。"))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    try:
        for cells in reader:
            yield previous_end + 1, cells
            previous_end = reader.line_num
    except csv.Error as exc:
        raise ImportFileError(
            _("%(line)d行目付近のCSVの形式が正しくありません（%(error)s）。")
            % {"line": previous_end + 1, "error": exc}
        ) from None


def _map_header(cells: list[str], plan: ImportPlan) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, raw in enumerate(cells):
        label = normalize.normalize_text(raw)
        key = _ALIASES.get(header_key(label))
        if key is None:
            if label and header_key(label) not in EXPORT_ONLY_HEADERS:
                plan.ignored_columns.append(label)
            continue
        if key in mapping:
            raise ImportFileError(
                _("見出し「%(first)s」と「%(second)s」が同じ項目を指しています。どちらかを削除してください。")
                % {"first": normalize.normalize_text(cells[mapping[key]]), "second": label}
            )
        mapping[key] = index
    if "name" not in mapping and "family_name" not in mapping:
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
    full_name = raw("name") or " ".join(p for p in (raw("family_name"), raw("given_name")) if p)
    full_kana = raw("name_kana") or " ".join(p for p in (raw("family_kana"), raw("given_kana")) if p)
    fields: dict[str, Any] = {
        "name": reader.clean(name_source, normalize.clean_name, full_name),
        "name_kana": reader.clean("name_kana", normalize.clean_kana, full_kana),
        "email": reader.clean("email", normalize.clean_email, raw("email")),
        "phone": reader.clean("phone", normalize.clean_phone, raw("phone")),
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
        names = "、".join(stage.name for stage in context.stages.values() if stage.is_active)
        reader.error(
            "stage",
            _("「%(value)s」という選考ステータスはありません（%(names)s）。")
            % {"value": value, "names": names},
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


def build_plan(content: bytes, *, company: Company, today: date) -> ImportPlan:
    """Read the whole file and name every problem; write nothing."""
    plan = ImportPlan()
    try:
        text, plan.encoding = decode(content)
        records = _read_rows(text)
        header = next(records, None)
        if header is None:
            raise ImportFileError(_("ファイルが空です。"))
        mapping = _map_header(header[1], plan)
        context = _load_context(company, today)
        for line, cells in records:
            if not any(cell.strip() for cell in cells):
                continue
            plan.total_rows += 1
            if plan.total_rows > MAX_ROWS:
                raise ImportFileError(
                    _("一度に取り込めるのは%(max)s行までです。ファイルを分けてください。")
                    % {"max": f"{MAX_ROWS:,}"}
                )
            reader = _RowReader(line, cells, mapping, plan, header_width=len(header[1]))
            row = _read_record(reader, context)
            if reader.ok:
                plan.rows.append(row)
    except ImportFileError as exc:
        return ImportPlan(encoding=plan.encoding, file_error=str(exc))
    if plan.total_rows == 0:
        plan.file_error = _("取り込む行がありません（見出しの行だけです）。")
        return plan
    plan.errors.sort(key=lambda issue: issue.line)
    _flag_duplicates(plan, company)
    _collect_new_names(plan, context)
    return plan


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
