"""Each report as a table, written as CSV (UTF-8 with a BOM, for Excel) or .xlsx (openpyxl, write-only).

Text cells that a spreadsheet would run as a formula are guarded as in the applicants' CSV export (a
leading quote); numbers stay numbers (ints and floats in .xlsx, digits in CSV); a rate that cannot be
computed (nothing to divide by) is an empty cell.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook

from applicants.csv_export import guard_cell
from booking.models import Attendance
from reports.selectors import AttendanceReport, AttendanceRow, Funnel, IssuanceHealth
from scheduling.models import MeetingState

Cell = str | int | float | None

CSV = "csv"
XLSX = "xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]]


def funnel_table(funnel: Funnel) -> Table:
    return Table(
        title=_("選考ファネル"),
        headers=[
            _("選考ステータス"),
            _("到達数"),
            _("前の段階からの移行率（%）"),
            _("最初の段階に対する割合（%）"),
        ],
        rows=[[step.stage.name, step.reached, step.conversion, step.of_first] for step in funnel.steps],
    )


def _attendance_cells(label: str, row: AttendanceRow) -> list[Cell]:
    return [
        label,
        row.slots,
        row.bookings,
        *(row.counts[kind] for kind in Attendance.values),
        row.unrecorded,
        row.attendance_rate,
        row.no_show_rate,
    ]


def attendance_headers() -> list[str]:
    return [
        _("選考会"),
        _("実施した日程"),
        _("予約"),
        *(str(label) for label in Attendance.labels),
        _("未記録"),
        _("出席率（%）"),
        _("無断欠席率（%）"),
    ]


def attendance_table(report: AttendanceReport) -> Table:
    rows = [_attendance_cells(row.meeting_name, row) for row in report.rows]
    if report.total is not None:
        rows.append(_attendance_cells(_("合計"), report.total))
    return Table(title=_("面接の実施と出欠"), headers=attendance_headers(), rows=rows)


def issuance_table(health: IssuanceHealth) -> Table:
    rows: list[list[Cell]] = [[str(label), health.counts[state]] for state, label in MeetingState.choices]
    rows.append([_("合計"), health.total])
    rows.append([_("要対応（失敗・サービス側で削除・サービス側で変更）"), health.attention])
    return Table(title=_("Web面接の発行状況"), headers=[_("発行状況"), _("日程数")], rows=rows)


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return guard_cell(value)


def _xlsx_cell(value: Cell) -> Cell:
    return guard_cell(value) if isinstance(value, str) else value


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([guard_cell(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31])
    sheet.append([guard_cell(header) for header in table.headers])
    for row in table.rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
