"""The data behind a report as an Excel workbook: one sheet per frame, safe to open.

Text that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab, or a line break, which XML makes of a carriage return) is stored as a string with
Excel's quote prefix, the mark Excel itself sets when someone types a leading apostrophe:
the cell shows the text as written and stays text when edited. The same frames give the
same bytes (fixed dates inside and on the zip entries).
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
UNDATED = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - workbook dates are naive UTC
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
AMOUNT_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def _plain(value: Any) -> Any:
    """Return a cell value openpyxl writes as a number, date, boolean or text."""
    if _missing(value):
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalars
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, list | tuple | set):
        value = "; ".join(str(item) for item in value)
    if isinstance(value, bool | int | float | Decimal | dt.date):
        return value
    # Control characters other than tab and newlines cannot be stored in a spreadsheet.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _number_format(column: str, value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    if isinstance(value, Decimal):
        share = column.startswith("pct_") or column.endswith("_rate")
        return PERCENT_FORMAT if share else AMOUNT_FORMAT
    return None


def _write_cell(sheet: Worksheet, row: int, column: int, name: str, value: Any) -> None:
    """Write one value, as text that cannot run when it looks like a formula."""
    value = _plain(value)
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif number_format := _number_format(name, value):
        cell.number_format = number_format


def sheet_title(name: str, taken: set[str]) -> str:
    """Return ``name`` as a valid, unused sheet title (31 characters, no ``[]:*?/\\``)."""
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip("' ")[:31] or "Sheet"
    title, number = base, 2
    while title.lower() in taken:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def _write_sheet(sheet: Worksheet, frame: pd.DataFrame) -> None:
    """Write a frame with a bold, frozen header row and columns wide enough to read."""
    bold = Font(bold=True)
    for column, name in enumerate(frame.columns, start=1):
        header = sheet.cell(row=1, column=column, value=str(name))
        header.font = bold
        width = len(str(name))
        for row, value in enumerate(frame[name].tolist(), start=2):
            _write_cell(sheet, row, column, str(name), value)
            width = max(width, min(len(str(value)), 60))
        sheet.column_dimensions[get_column_letter(column)].width = width + 2
    sheet.freeze_panes = "A2"


def _fixed_zip(data: bytes) -> bytes:
    """Return the zip ``data`` with every entry dated ``ZIP_TIME``, so output is repeatable."""
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


def to_xlsx(sheets: dict[str, pd.DataFrame], *, created: dt.datetime | None = None) -> bytes:
    """Return the frames as an .xlsx workbook, one sheet each, in the order given."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for name, frame in sheets.items():
        _write_sheet(workbook.create_sheet(sheet_title(name, taken)), frame)
    if not workbook.sheetnames:
        workbook.create_sheet("Sheet")
    moment = _plain(created) if created else UNDATED
    workbook.properties.created = workbook.properties.modified = moment
    workbook.properties.creator = "Grants tracker"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return _fixed_zip(buffer.getvalue())
