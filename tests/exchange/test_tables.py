"""Tables as CSV and XLSX: what a spreadsheet user opens is the data, never a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from grants.tables import csv_bytes, table_bytes, unescape_csv_text, workbook_bytes

COLUMNS = ["reference", "amount", "due", "note"]
ROWS = [
    ["ZRQ-WOMEN", Decimal("12500.50"), dt.date(2026, 3, 31), '=HYPERLINK("http://x")'],
    ["SFX-ACMALS", Decimal("-5"), None, "+33 1 23 45"],
    ["TNG-ACCUEIL", 7, dt.date(2026, 1, 1), "@SUM(A1)"],
]


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_keeps_values_and_marks_formulas_as_text() -> None:
    data = csv_bytes(COLUMNS, ROWS)
    assert data.startswith("\ufeff".encode())
    rows = _csv_rows(data)
    assert rows[0] == COLUMNS
    assert rows[1] == ["ZRQ-WOMEN", "12500.50", "2026-03-31", '\'=HYPERLINK("http://x")']
    assert rows[2] == ["SFX-ACMALS", "-5", "", "'+33 1 23 45"]
    assert rows[3][3] == "'@SUM(A1)"
    assert unescape_csv_text(rows[1][3]) == '=HYPERLINK("http://x")'
    assert unescape_csv_text("'plain") == "'plain"


def test_xlsx_stores_formula_like_text_as_text_with_a_quote_prefix() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(table_bytes(COLUMNS, ROWS, "xlsx"))).active
    assert [cell.value for cell in sheet[1]] == COLUMNS
    formula = sheet["D2"]
    assert formula.value == '=HYPERLINK("http://x")'
    assert formula.data_type == "s"
    assert formula.quotePrefix
    assert sheet["B3"].value == -5
    assert sheet["B3"].data_type == "n"
    assert sheet["C2"].value == dt.datetime(2026, 3, 31)  # noqa: DTZ001
    assert sheet["C3"].value is None


def test_xlsx_is_repeatable_and_names_its_sheets() -> None:
    sheets = {"Projects": (COLUMNS, ROWS), "Bad/name?": (["a"], [[1]])}
    first, second = workbook_bytes(sheets), workbook_bytes(sheets)
    assert first == second
    assert openpyxl.load_workbook(io.BytesIO(first)).sheetnames == ["Projects", "Bad name"]


def test_control_characters_are_dropped_not_fatal() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(table_bytes(["t"], [["a\x00b\x07c"]], "xlsx"))).active
    assert sheet["A2"].value == "abc"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="pdf"):
        table_bytes(["a"], [], "pdf")  # type: ignore[arg-type]
