"""How values are written at every door: plain decimal numbers, ISO dates, text that is not blank.

The API, the web forms, the importer and the command line share these rules. The web forms
and the importer first turn what a person types (``1 250,50``, ``31/03/2026``) into these
forms; everything else must already be written this way. Each rule is also the pattern the
OpenAPI document shows, so the schema says exactly what the API accepts.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

INTEGER_DIGITS = 11
"""Digits before the decimal point: exact decimals hold 15 digits, four of them decimals."""
DECIMAL_PLACES = 4

_NUMBER = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")
AMOUNT_PATTERN = rf"^[0-9]{{1,{INTEGER_DIGITS}}}(\.[0-9]{{1,{DECIMAL_PLACES}}})?$"
"""An amount as the API takes it: digits, and a decimal point with up to four decimals."""
QUANTITY_PATTERN = "^-?" + AMOUNT_PATTERN.removeprefix("^")
"""A quantity (an indicator's baseline, target or value), which may also be negative."""


def plain_number(text: str, *, signed: bool = False) -> Decimal:
    """Return ``text`` as a decimal if it is written plainly; raise ``ValueError`` if not.

    Plainly: ASCII digits, then a point and digits if there is a fraction, and a minus in
    front only where ``signed``. A plus sign, an exponent (``1E+2``), an underscore
    (``1_000``) and digits of other scripts (Arabic-Indic ones) are refused: Python reads
    them all, but spreadsheets, databases and people do not read them alike.
    """
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a plain decimal number: write digits and at most one decimal "
            "point, e.g. 12500.00"
        )
    if match[1] and not signed:
        raise ValueError(f"{text} is negative")
    return Decimal(text)


def _sized(text: str, *, signed: bool) -> Decimal:
    value = plain_number(text, signed=signed)
    whole, _point, fraction = text.lstrip("-").partition(".")
    if len(whole) > INTEGER_DIGITS:
        raise ValueError(f"{text} has more than {INTEGER_DIGITS} digits before the decimal point")
    if len(fraction) > DECIMAL_PLACES:
        raise ValueError(f"{text} has more than {DECIMAL_PLACES} decimal places")
    return value


def _amount_text(value: Any) -> Any:
    return _sized(value, signed=False) if isinstance(value, str) else value


def _quantity_text(value: Any) -> Any:
    return _sized(value, signed=True) if isinstance(value, str) else value


Amount = Annotated[Decimal, BeforeValidator(_amount_text)]
"""Money: text must match ``AMOUNT_PATTERN``; a door that parsed a person's writing into a
``Decimal`` (the web forms, the importer) passes the number itself."""
Quantity = Annotated[Decimal, BeforeValidator(_quantity_text)]
"""A quantity that may be negative: text must match ``QUANTITY_PATTERN``."""


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str) -> dt.date:
    """Return ``text`` as a date if it is written ``YYYY-MM-DD``; raise ``ValueError`` if not.

    Python and pydantic read more (``20260331``, ``2026-W13-2``, ``2026-03-31T00:00:00``,
    a count of seconds such as ``0``); one form keeps a date meaning one day everywhere.
    """
    if not _ISO_DAY.fullmatch(text):
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text} is not a day of the calendar") from None


def iso_day(value: Any) -> Any:
    """Return ``value`` as a date: a date itself, or text ``YYYY-MM-DD``; refuse the rest."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_day(value)
        except ValueError as error:
            raise PydanticCustomError("date_parsing", str(error)) from None
    raise PydanticCustomError("date_type", "send a date as text written YYYY-MM-DD")


# What counts as blank: the white space of JSON Schema's (ECMAScript's) ``\s``, and NEL,
# written out so that the pattern means the same to Python and to a schema's reader.
VISIBLE_PATTERN = (
    r"[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
)
"""Required text holds at least one character that is not white space."""
_VISIBLE = re.compile(VISIBLE_PATTERN)


def not_blank(value: str) -> str:
    """Return ``value`` if it holds something besides white space; refuse it otherwise."""
    if not _VISIBLE.search(value):
        raise PydanticCustomError("string_blank", "must not be blank")
    return value


NonBlank = Annotated[
    str, AfterValidator(not_blank), PydanticField(json_schema_extra={"pattern": VISIBLE_PATTERN})
]
"""Required text (a title, a name, a description): not empty and not only spaces."""
