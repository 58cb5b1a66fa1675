"""Cell values as people type them: dates, decimals, whole numbers, choices, lists, sectors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from grants.exchange.layout import Column
from grants.exchange.values import (
    CellError,
    read_bool,
    read_cell,
    read_choice,
    read_date,
    read_decimal,
    read_int,
    read_sectors,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-03-31", dt.date(2026, 3, 31)),
        ("31/03/2026", dt.date(2026, 3, 31)),
        ("31.03.2026", dt.date(2026, 3, 31)),
        (46112, dt.date(2026, 3, 31)),  # Excel's day number
        (46112.0, dt.date(2026, 3, 31)),
        ("46112", dt.date(2026, 3, 31)),
        (dt.datetime(2026, 3, 31, 0, 0), dt.date(2026, 3, 31)),  # noqa: DTZ001
    ],
)
def test_dates_in_every_form_a_spreadsheet_gives(typed: Any, expected: dt.date) -> None:
    assert read_date(typed) == expected


@pytest.mark.parametrize(
    "typed", ["31/31/2026", "next week", "2026-02-30", 46112.5, -3, "2026-03-31T00:00:00", "0"]
)
def test_a_date_that_is_not_one_is_refused(typed: Any) -> None:
    with pytest.raises(CellError, match="not a date"):
        read_date(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12500,50", Decimal("12500.50")),
        ("12 500,50", Decimal("12500.50")),
        ("12\u202f500,50", Decimal("12500.50")),
        ("12.500,50", Decimal("12500.50")),
        ("12,500.50", Decimal("12500.50")),
        ("1,234,567", Decimal("1234567")),
        ("€ 45000", Decimal("45000")),
        ("-12,50", Decimal("-12.50")),
        (".5", Decimal("0.5")),
        ("12.", Decimal(12)),
        (12500.5, Decimal("12500.5")),
        (0.1, Decimal("0.1")),
        (7, Decimal(7)),
    ],
)
def test_decimals_with_a_point_or_a_comma(typed: Any, expected: Decimal) -> None:
    assert read_decimal(typed) == expected


def test_a_lone_comma_before_three_digits_is_ambiguous() -> None:
    with pytest.raises(CellError, match="ambiguous"):
        read_decimal("12,500")


@pytest.mark.parametrize(
    "typed", ["twelve", "NaN", "Infinity", "1.2.3", "+5", "1E+2", "1_000", "\u0661\u0660\u0660"]
)
def test_text_that_is_not_a_number_is_refused(typed: str) -> None:
    with pytest.raises(CellError, match="not a number"):
        read_decimal(typed)


def test_whole_numbers_choices_and_booleans() -> None:
    assert read_int(3.0) == 3
    with pytest.raises(CellError, match="whole"):
        read_int("2.5")
    assert read_choice("Co-Implementing", ("lead", "co_implementing")) == "co_implementing"
    with pytest.raises(CellError, match="one of: lead, co_implementing"):
        read_choice("boss", ("lead", "co_implementing"))
    assert read_bool("Yes") is True
    assert read_bool(0) is False


def test_sectors_with_and_without_percentages() -> None:
    assert read_sectors("15190") == {"15190": Decimal(100)}
    assert read_sectors("15190: 60; 16010: 40%") == {"15190": Decimal(60), "16010": Decimal(40)}
    with pytest.raises(CellError, match="5-digit"):
        read_sectors("151: 100")
    with pytest.raises(CellError, match="percentage"):
        read_sectors("15190; 16010")


@pytest.mark.parametrize("kind", ["text", "list", "choice"])
def test_text_with_control_characters_is_refused_as_the_forms_refuse_it(kind: str) -> None:
    column = Column("title", kind, "Title", choices=("a\x01b",))  # type: ignore[arg-type]
    with pytest.raises(CellError, match="control characters"):
        read_cell(column, "Workshop\x01 report")
    assert read_cell(Column("title", "text", "Title"), "Workshop\treport") == "Workshop\treport"
