"""Excel (.xlsx) in and out with openpyxl: the import reads the first sheet like a CSV, the export streams.

Reading uses openpyxl's read-only mode (the sheet is parsed as it is iterated) after refusing a file whose
parts unpack to more than MAX_UNPACKED_BYTES, so a small "zip bomb" never expands in memory. Every cell
becomes the text a CSV would have held: dates as 2026/04/01, whole numbers without ".0", and a number shown
with leading zeros by its format ("00000000000") keeps them.

Writing uses a write-only workbook: rows go to a temporary file as they come, so memory stays flat however
many rows are written. Phone numbers and ids are text cells (number format "@") so leading zeros survive,
dates are real dates with a date format, and text that Excel would run as a formula stays text.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
DATE_FORMAT = "yyyy/mm/dd"
DATETIME_FORMAT = "yyyy/mm/dd hh:mm"
TEXT_FORMAT = "@"
_ZERO_PADDED = re.compile(r"^0+$")


class SpreadsheetError(Exception):
    """The file cannot be read as a workbook."""


class SpreadsheetLimitError(SpreadsheetError):
    """The workbook is larger or wider than the reader takes."""


def is_xlsx(content: bytes) -> bool:
    """Whether the bytes look like a spreadsheet (a zip holding a workbook), whatever the file's name."""
    if not content.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _check_archive(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise SpreadsheetError(_("Excelファイル（.xlsx）として読めませんでした。")) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetLimitError(_("Excelファイルの中身が大きすぎます。ファイルを分けてください。"))


def cell_text(value: Any, number_format: str = "General") -> str:
    """What a CSV would hold for a cell's value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%Y/%m/%d")
        return value.strftime("%Y/%m/%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        if value >= 0 and _ZERO_PADDED.match(number_format or ""):
            text = text.zfill(len(number_format))  # shown as 09012345678 by a "00000000000" format
        return text
    return f"{value:.15g}" if isinstance(value, float) else str(value)


def read_rows(content: bytes, *, max_columns: int, max_cell_chars: int) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of the first sheet, header row included; no trailing empty cells."""
    _check_archive(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, TypeError, OSError, SyntaxError):
        # openpyxl's own, a missing part, a bad value, unreadable XML (ParseError is a SyntaxError)
        raise SpreadsheetError(_("Excelファイル（.xlsx）として読めませんでした。")) from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the stored size is often wrong; read the cells that are there
        for number, row in enumerate(sheet.iter_rows(), start=1):
            cells = [cell_text(cell.value, getattr(cell, "number_format", "General")) for cell in row]
            while cells and cells[-1] == "":
                cells.pop()
            if len(cells) > max_columns:
                raise SpreadsheetLimitError(
                    _("%(line)d行目の列が多すぎます（%(count)s列）。1行に入れられるのは%(max)d列までです。")
                    % {"line": number, "count": f"{len(cells):,}", "max": max_columns}
                )
            if cells and max(map(len, cells)) > max_cell_chars:
                raise SpreadsheetLimitError(
                    _("%(line)d行目に長すぎる項目があります。1つの項目（セル）は%(max)s文字までです。")
                    % {"line": number, "max": f"{max_cell_chars:,}"}
                )
            yield number, cells
    finally:
        workbook.close()


# --- writing -------------------------------------------------------------------------------------------


class SheetWriter:
    """A write-only workbook with one sheet, written to a temporary file as rows are added."""

    def __init__(self, title: str, *, text_columns: Iterable[int] = ()) -> None:
        self.workbook = Workbook(write_only=True)
        self.sheet: WriteOnlyWorksheet = self.workbook.create_sheet(title=title)
        self.text_columns = frozenset(text_columns)

    def cell(self, value: Any, index: int) -> Any:
        if value is None:
            return None
        if index in self.text_columns:
            cell = WriteOnlyCell(self.sheet, value=str(value))
            cell.data_type = "s"
            cell.number_format = TEXT_FORMAT
            return cell
        if isinstance(value, datetime):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATETIME_FORMAT
            return cell
        if isinstance(value, date):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.data_type = "s"  # text, never a formula
            return cell
        return value

    def append(self, values: Iterable[Any]) -> None:
        self.sheet.append([self.cell(value, index) for index, value in enumerate(values)])

    def save(self, target: IO[bytes]) -> None:
        self.workbook.save(target)


def write_file(rows: Iterable[Iterable[Any]], *, title: str, text_columns: Iterable[int] = ()) -> IO[bytes]:
    """The rows (header first) as an .xlsx in a temporary file, rewound; the caller closes it."""
    writer = SheetWriter(title, text_columns=text_columns)
    for row in rows:
        writer.append(row)
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    writer.save(target)
    target.seek(0)
    return target


def to_bytes(rows: Iterable[Iterable[Any]], *, title: str, text_columns: Iterable[int] = ()) -> bytes:
    with write_file(rows, title=title, text_columns=text_columns) as target:
        return target.read()
