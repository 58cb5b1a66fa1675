"""Cell values as people type them, read into dates, decimals, numbers, choices and lists.

Spreadsheets hold numbers and dates; CSV files hold text in whatever local habit the
author has. Each reader accepts the forms a person would expect and raises ``CellError``
with a reason for anything else, never guessing where a value is ambiguous.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from openpyxl.utils.datetime import from_excel

from grants.exchange.layout import Column
from grants.i18n import _
from grants.models.base import CONTROL_CHARACTERS
from grants.models.notation import plain_number
from grants.services.forms import whole_point

# Spaces, no-break spaces, narrow no-break spaces and apostrophes group thousands.
THOUSANDS = re.compile(r"[\s\u00a0\u202f'\u2019]")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
TRUE = {"true", "yes", "y", "1", "x", "oui", "vrai"}
FALSE = {"false", "no", "n", "0", "non", "faux"}
SERIAL_RANGE = (1, 2_958_465)  # 1900-01-01 to 9999-12-31 in Excel's day numbers


class CellError(ValueError):
    """A cell's value cannot be read as its column's kind; the message says why."""


def is_blank(value: Any) -> bool:
    """Return whether a cell is empty (nothing, or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def read_text(value: Any) -> str:
    """Return a cell as text: numbers without a spurious ``.0``, dates in ISO form."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_date(value: Any) -> dt.date:
    """Return a date from a spreadsheet date, an Excel day number, or text in a known form."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _serial(float(text))
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a plain date
        except ValueError:
            continue
    raise CellError(_("not a date: write YYYY-MM-DD (or DD/MM/YYYY)"))


def _serial(number: float) -> dt.date:
    if not (SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]) or number != int(number):
        raise CellError(_("not a date: a day number must be a whole number of days"))
    moment = from_excel(number)
    return moment.date() if isinstance(moment, dt.datetime) else moment


def read_decimal(value: Any) -> Decimal:
    """Return an exact decimal from a number or from text with a decimal point or comma."""
    if isinstance(value, bool):
        raise CellError(_("not a number"))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    text = THOUSANDS.sub("", str(value))
    for symbol in ("€", "$", "£"):
        text = text.replace(symbol, "")
    text = _decimal_point(text.strip())
    try:
        return plain_number(whole_point(text), signed=True)
    except ValueError:
        raise CellError(_("not a number")) from None


def _decimal_point(text: str) -> str:
    """Return ``text`` with one ``.`` as its decimal mark and no thousands separators."""
    if "," in text and "." in text:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if mark == "," else ","
        return text.replace(grouping, "").replace(mark, ".")
    if text.count(",") == 1:
        whole, fraction = text.split(",")
        if len(fraction) == 3 and whole.lstrip("-").isdigit():
            raise CellError(_("ambiguous: is the comma a decimal mark or a thousands separator?"))
        return f"{whole}.{fraction}"
    if text.count(",") > 1:
        return text.replace(",", "")
    return text


def read_int(value: Any) -> int:
    """Return a whole number."""
    try:
        number = read_decimal(value)
    except CellError:
        raise CellError(_("not a whole number")) from None
    if number != number.to_integral_value():
        raise CellError(_("not a whole number"))
    return int(number)


def read_bool(value: Any) -> bool:
    """Return true or false from true/false, yes/no, 1/0 or x."""
    if isinstance(value, bool):
        return value
    text = read_text(value).lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError(_("write true or false"))


def read_choice(value: Any, choices: tuple[str, ...]) -> str:
    """Return the choice ``value`` names, however it is capitalised or spaced."""
    text = "_".join(read_text(value).lower().replace("-", " ").split())
    if text in choices:
        return text
    raise CellError(_("must be one of: {choices}").format(choices=", ".join(choices)))


def read_list(value: Any) -> list[str]:
    """Return the items of a list separated by ``;`` or ``,`` (blank items dropped)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [read_text(value)]
    return [item.strip() for item in re.split(r"[;,]", str(value)) if item.strip()]


def read_sectors(value: Any) -> dict[str, Decimal]:
    """Return sector codes and percentages from ``15190: 60; 16010: 40`` (one code: 100)."""
    sectors: dict[str, Decimal] = {}
    items = [item.strip() for item in str(read_text(value)).split(";") if item.strip()]
    for item in items:
        code, _sep, share = item.partition(":")
        code = code.strip()
        if not re.fullmatch(r"\d{5}", code):
            raise CellError(_("{code!r} is not a 5-digit sector code").format(code=code))
        if code in sectors:
            raise CellError(_("sector {code} is listed twice").format(code=code))
        if share.strip():
            sectors[code] = read_decimal(share.strip().rstrip("%"))
        elif len(items) == 1:
            sectors[code] = Decimal(100)
        else:
            raise CellError(_("give each sector a percentage, e.g. 15190: 60; 16010: 40"))
    return sectors


def read_cell(column: Column, value: Any) -> Any:
    """Return the cell ``value`` read as ``column``'s kind; ``None`` for an empty cell."""
    if is_blank(value):
        return None
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise CellError(_("remove the invisible control characters from this text"))
    readers = {
        "text": read_text,
        "date": read_date,
        "decimal": read_decimal,
        "int": read_int,
        "bool": read_bool,
        "list": read_list,
        "sectors": read_sectors,
    }
    if column.kind == "choice":
        return read_choice(value, column.choices)
    return readers[column.kind](value)
