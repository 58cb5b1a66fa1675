"""What a person typed into a form, checked: typed values, or one plain message per field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from babel.numbers import (
    NumberFormatError,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_decimal,
)
from pydantic import BaseModel, TypeAdapter, ValidationError

from grants import i18n
from grants.i18n import _
from grants.models.base import CONTROL_CHARACTERS, SCALE
from grants.models.notation import INTEGER_DIGITS, plain_number
from grants.services.errors import Invalid

M = TypeVar("M", bound=BaseModel)
Errors = dict[str, str]
MAX_NUMBER = 10**INTEGER_DIGITS  # amounts are stored with 15 digits, four of them decimals
HIDDEN_IN_NAMES = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""Characters no file name needs: controls, and the marks that reorder how text is shown
(a right-to-left override makes ``evil\u202etxt.exe`` read as ``evilexe.txt``)."""


@cache
def _adapter(rule: Any) -> TypeAdapter[Any]:
    return TypeAdapter(rule)


def checked_text(field: str, value: Any, rule: Any) -> Any:
    """Return ``value`` if it keeps ``rule``, a text type of ``grants.models`` (``Reason``,
    ``PaymentReference``, ``Objectives``...); raise ``Invalid`` naming ``field``, with a
    person's message, when it does not.

    Services take the text a workflow step or a list of choices carries through this, so
    every door (form, API, import) stores it by the rule the API's input models declare.
    """
    try:
        return _adapter(rule).validate_python(value)
    except ValidationError as error:
        shown = (
            (value[:50] + "..." if len(value) > 50 else value) if isinstance(value, str) else None
        )
        raise Invalid(field, shown, _message(error.errors()[0])) from None


def parse_amount(text: str) -> Decimal:
    """Return ``text`` as a decimal written the way the active language writes numbers.

    Grouping (``1,250.50``, ``1 250``) and the language's decimal mark are a person's way of
    writing; what is left must be a plain number (``grants.models.notation``), so a plus
    sign, an exponent, an underscore or another script's digits are refused here as in the
    API and the importer.
    """
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    language = i18n.locale()
    try:
        parse_decimal(cleaned, locale=language, strict=True)
    except NumberFormatError as error:
        raise ValueError(cleaned) from error
    plain = (
        cleaned.replace(get_minus_sign_symbol(language), "-")
        .replace(get_group_symbol(language), "")
        .replace(get_decimal_symbol(language), ".")
    )
    return plain_number(whole_point(plain), signed=True)


def whole_point(text: str) -> str:
    """Return ``text`` with a bare leading or trailing point completed (``.5``, ``12.``)."""
    sign, rest = ("-", text[1:]) if text.startswith("-") else ("", text)
    if rest.startswith("."):
        rest = "0" + rest
    return sign + rest.removesuffix(".")


def amount_message() -> str:
    """Return the message for an amount that is not a number."""
    return _("Enter an amount as a number, for example 1250.50.")


def date_message() -> str:
    """Return the message for a date that is not a date."""
    return _("Enter a date as YYYY-MM-DD, for example {example}.").format(
        example=dt.date(2026, 3, 31).isoformat()
    )


def _number_problem(value: Decimal) -> str | None:
    """Return why a number cannot be stored exactly (four decimals, 15 digits), or None."""
    if value.as_tuple().exponent < -SCALE:  # type: ignore[operator]
        return _("Use at most {n} decimal places.").format(n=SCALE)
    if abs(value) >= MAX_NUMBER:
        return _("Enter a number below {limit}.").format(limit=f"{MAX_NUMBER:,}")
    return None


def _message(error: Mapping[str, Any]) -> str:
    """Return a person's message for one pydantic error."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    names_a_row = any(str(part).endswith(("_id", "_ids")) for part in error.get("loc", ()))
    if names_a_row and kind in {"greater_than_equal", "less_than_equal"}:
        return _("Choose one of the options.")  # an id beyond any row's
    if kind in {"missing", "string_blank"} or (
        kind == "string_too_short" and not error.get("input")
    ):
        return _("Fill in this field.")
    if kind == "string_too_long" or (kind == "too_long" and isinstance(error.get("input"), str)):
        return _("Use at most {n} characters.").format(n=context.get("max_length"))
    if kind == "too_long":
        return _("Choose at most {n}.").format(n=context.get("max_length"))
    if kind in {"control_characters", "string_unicode"}:
        return _("Remove the invisible control characters from this text.")
    if kind == "day_out_of_range":
        return _("Enter a date between {earliest} and {latest}.").format(**context)
    if kind.startswith("date"):
        return date_message()
    if kind.startswith("decimal"):
        return amount_message()
    if kind.startswith("int"):
        return _("Enter a whole number.")
    if kind == "greater_than_equal":
        return _("Enter a number of at least {n}.").format(n=context.get("ge"))
    if kind == "less_than_equal":
        return _("Enter a number of at most {n}.").format(n=context.get("le"))
    if kind in {"enum", "literal_error"}:
        return _("Choose one of the options.")
    if kind == "value_error" and str(error.get("loc", ("",))[-1]).endswith("_end"):
        return _("The end must not be before the start.")
    return _("Check this value.")


def checked(
    model: type[M],
    raw: Mapping[str, str],
    *,
    amounts: Iterable[str] = (),
    numbers: Iterable[str] = (),
) -> tuple[M | None, Errors]:
    """Return ``raw`` validated as ``model`` and no errors, or None and a message per field.

    Blank entries count as missing; ``amounts`` (zero or more) and ``numbers`` (any sign)
    name the fields read as decimal numbers written the way the active language writes them.
    """
    amount_fields, number_fields = set(amounts), set(numbers)
    data: dict[str, Any] = {}
    errors: Errors = {}
    for key, text in raw.items():
        value = text.strip()
        if CONTROL_CHARACTERS.search(value):
            errors[key] = _("Remove the invisible control characters from this text.")
            continue
        if not value:
            if model.model_fields.get(key) and model.model_fields[key].annotation is str:
                data[key] = value
            continue
        if key in amount_fields | number_fields:
            try:
                data[key] = parse_amount(value)
            except ValueError:
                errors[key] = amount_message()
                continue
            problem = _number_problem(data[key])
            if problem:
                errors[key] = problem
                del data[key]
            elif key in amount_fields and data[key] < 0:
                errors[key] = _("Enter an amount of zero or more.")
            continue
        data[key] = value
    try:
        parsed = model.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"]) or "form"
            errors.setdefault(field, _message(item))
        return None, errors
    return (None, errors) if errors else (parsed, errors)
