"""Any table (column names and rows) as CSV or XLSX bytes, safe to open in a spreadsheet.

Use ``table_bytes(columns, rows, "csv" | "xlsx")`` for one table, ``workbook_bytes`` for a
workbook of several sheets, and ``TABLE_FORMATS`` for each format's media type and file
extension. Values may be text, numbers, ``Decimal``, dates, datetimes, booleans, enums,
lists or ``None``.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
tab or a line break) is neutralised: in XLSX it is stored as text with Excel's quote prefix
(the value read back is unchanged); in CSV, which has no types, it is written with a leading
apostrophe, the mark spreadsheets show as "this is text". ``unescape_csv_text`` undoes it, so
an exported CSV imports back as it was. Numbers are never escaped: ``-5`` stays a number.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reports.xlsx import FORMULA_STARTS, sheet_title

TableFormat = Literal["csv", "xlsx"]
CSV_TEXT_MARK = "'"
FIXED_MOMENT = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - workbook dates are naive UTC
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class FormatInfo:
    """How a table format is served: its media type and file extension."""

    media_type: str
    extension: str


TABLE_FORMATS: dict[str, FormatInfo] = {
    "csv": FormatInfo("text/csv; charset=utf-8", "csv"),
    "xlsx": FormatInfo("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def is_formula_like(value: object) -> bool:
    """Return whether ``value`` is text a spreadsheet would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def cell_value(value: Any) -> Any:
    """Return ``value`` as a number, date, datetime (naive UTC), boolean, text or ``None``."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool | int | float | Decimal | dt.date):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        value = "; ".join(str(cell_value(item)) for item in value)
    # Control characters other than tab and line breaks cannot be stored in a workbook.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def csv_text(value: Any) -> str:
    """Return one CSV field: ISO dates, plain decimals, ``true``/``false``, escaped text."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return CSV_TEXT_MARK + text if is_formula_like(text) else text


def unescape_csv_text(text: str) -> str:
    """Return CSV text with the apostrophe ``csv_text`` put before a formula-like value removed."""
    if text.startswith(CSV_TEXT_MARK) and is_formula_like(text[1:]):
        return text[1:]
    return text


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Return the table as UTF-8 CSV with a byte-order mark (so Excel reads the accents)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_text(name) for name in columns])
    writer.writerows([csv_text(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _number_format(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, dt.date):
        return "yyyy-mm-dd"
    if isinstance(value, Decimal):
        return "0.00##"
    return None


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell | None:
    value = cell_value(value)
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif number_format := _number_format(value):
        cell.number_format = number_format
    return cell


def _write_sheet(
    sheet: WriteOnlyWorksheet, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write a bold, frozen header row and then the rows, columns sized to their header."""
    bold = Font(bold=True)
    for number, name in enumerate(columns, start=1):
        width = max(len(str(name)) + 2, 10)
        sheet.column_dimensions[get_column_letter(number)].width = min(width, 40)
    sheet.freeze_panes = "A2"
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=cell_value(name))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])


def _repeatable_zip(data: bytes) -> bytes:
    """Return the zip ``data`` with every entry dated ``ZIP_TIME``: same tables, same bytes."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(entry))
    return output.getvalue()


Sheet = tuple[Sequence[str], Iterable[Sequence[Any]]]


def workbook_bytes(sheets: Mapping[str, Sheet]) -> bytes:
    """Return an XLSX workbook with one sheet per ``name: (columns, rows)``, in that order."""
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for name, (columns, rows) in sheets.items():
        _write_sheet(workbook.create_sheet(sheet_title(name, taken)), columns, rows)
    if not taken:
        workbook.create_sheet("Sheet")
    workbook.properties.created = workbook.properties.modified = FIXED_MOMENT
    workbook.properties.creator = "Grants tracker"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _repeatable_zip(buffer.getvalue())


def table_bytes(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    table_format: TableFormat,
    *,
    sheet: str = "Sheet1",
) -> bytes:
    """Return one table as CSV or XLSX bytes (XLSX: one sheet named ``sheet``)."""
    if table_format == "csv":
        return csv_bytes(columns, rows)
    if table_format == "xlsx":
        return workbook_bytes({sheet: (columns, rows)})
    raise ValueError(f"unknown table format {table_format!r}")
