"""Any table (column names and rows) as CSV or XLSX bytes, safe to open in a spreadsheet.

The one table writer of the product: page downloads, the report's workbook (through
``reports.xlsx``), the exchange exports and the import templates all write through it.
Use ``table_bytes(columns, rows, "csv" | "xlsx")`` for one table, ``workbook_bytes`` for a
workbook of several sheets, and ``TABLE_FORMATS`` for each format's media type and file
extension. Values may be text, numbers, ``Decimal``, dates, datetimes, booleans, enums,
lists or ``None`` (numpy scalars and pandas' missing values too).

The same tables give the same bytes: the workbook's own dates and every zip entry's date are
fixed (``created`` sets the workbook's, for a report issued on a given day).

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
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from grants import offload
from grants.i18n import missing

TableFormat = Literal["csv", "xlsx"]
CSV_TEXT_MARK = "'"
# Text a spreadsheet would run as a formula; XML makes a line break of a carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
FIXED_MOMENT = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - workbook dates are naive UTC
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
AMOUNT_FORMAT = "#,##0.00"
FINE_AMOUNT_FORMAT = "#,##0.00##"
PERCENT_FORMAT = "0.0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
WIDEST = 60  # characters; a longer value wraps its column no further
MEASURED_ROWS = 200  # column widths follow the header and the first rows
HELPER_CELLS = 2_000  # a bigger workbook is written by a helper process


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
    if missing(value):
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if hasattr(value, "item") and not isinstance(value, str | bytes | Decimal):
        value = value.item()  # numpy scalars
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()  # pandas timestamps
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


def _is_share(column: str) -> bool:
    """Return whether a column holds shares in percent (``pct_time_elapsed``, ``burn_rate``)."""
    return column.startswith("pct_") or column.endswith("_rate")


def _number_format(column: str, value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    if isinstance(value, Decimal):
        if _is_share(column):
            return PERCENT_FORMAT
        exponent = value.as_tuple().exponent
        fine = isinstance(exponent, int) and exponent < -2 and value != round(value, 2)
        return FINE_AMOUNT_FORMAT if fine else AMOUNT_FORMAT
    return None


def _xlsx_cell(sheet: WriteOnlyWorksheet, column: str, value: Any) -> WriteOnlyCell | None:
    value = cell_value(value)
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif number_format := _number_format(column, value):
        cell.number_format = number_format
    return cell


def sheet_title(name: str, taken: set[str]) -> str:
    """Return ``name`` as a valid, unused sheet title (31 characters, no ``[]:*?/\\``)."""
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip("' ")[:31] or "Sheet"
    title, number = base, 2
    while title.lower() in taken:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def _named(names: Sequence[str], row: Sequence[Any]) -> Iterator[tuple[str, Any]]:
    """Pair each value of ``row`` with its column's name (blank past the header)."""
    for number, value in enumerate(row):
        yield (names[number] if number < len(names) else ""), value


def _write_sheet(
    sheet: WriteOnlyWorksheet, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write a bold, frozen header row and then the rows, columns wide enough to read."""
    names = [str(cell_value(name) or "") for name in columns]
    rows = iter(rows)
    measured = list(itertools.islice(rows, MEASURED_ROWS))
    for number, name in enumerate(names, start=1):
        longest = max(
            [len(name)]
            + [
                len(str(cell_value(row[number - 1]) or ""))
                for row in measured
                if len(row) >= number
            ]
        )
        sheet.column_dimensions[get_column_letter(number)].width = min(longest, WIDEST) + 2
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in itertools.chain(measured, rows):
        sheet.append([_xlsx_cell(sheet, column, value) for column, value in _named(names, row)])


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


def workbook_bytes(sheets: Mapping[str, Sheet], *, created: dt.datetime | None = None) -> bytes:
    """Return an XLSX workbook with one sheet per ``name: (columns, rows)``, in that order.

    A workbook of more than ``HELPER_CELLS`` cells is written by a helper process
    (``grants.offload``): it takes a while, and the other requests go on meanwhile.
    """
    tables = {
        name: (list(columns), [list(row) for row in rows])
        for name, (columns, rows) in sheets.items()
    }
    cells = sum(len(columns) * len(rows) for columns, rows in tables.values())
    if cells > HELPER_CELLS:
        return offload.render(_workbook, tables, created)
    return _workbook(tables, created)


def _workbook(sheets: Mapping[str, Sheet], created: dt.datetime | None) -> bytes:
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for name, (columns, rows) in sheets.items():
        _write_sheet(workbook.create_sheet(sheet_title(name, taken)), columns, rows)
    if not taken:
        workbook.create_sheet("Sheet")
    moment = cell_value(created) if created else FIXED_MOMENT
    workbook.properties.created = workbook.properties.modified = moment
    workbook.properties.creator = "Grants tracker"
    buffer = io.BytesIO()
    # ``Workbook.save`` would stamp the moment of saving into the workbook; the writer does not.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
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
