"""Column types, mixins and code lists shared by every table."""

from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

import pycountry
import pydantic
from babel.numbers import get_currency_precision
from pydantic import (
    AfterValidator,
    BeforeValidator,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy import BigInteger, DateTime, Numeric, TypeDecorator
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declared_attr
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from grants.models.notation import DECIMAL_PLACES, NonBlank, iso_day

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Input patterns. SQLModel's own ``regex`` argument is ignored by pydantic 2, so patterns
# travel as ``schema_extra={"pattern": ...}``, which pydantic enforces.
CODE = {"pattern": r"^[A-Z0-9][A-Z0-9_.-]*$"}
LINE_CODE = {"pattern": r"^[A-Za-z0-9_.-]+$"}
EMAIL = {"pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"}
ORG_ID = {"pattern": r"^[A-Z]{2}-[A-Z0-9]+-[A-Za-z0-9_.:/-]+$"}

SCALE = DECIMAL_PLACES
MAX_ID = 2_147_483_647
"""The largest row id: ids are 32-bit columns, so a larger one is refused, never looked up."""
Id = Annotated[int, pydantic.Field(ge=1, le=MAX_ID)]
"""A row id as anyone sends it (an API body or query, a form, a file): from 1 to ``MAX_ID``."""
_FACTOR = Decimal(10) ** SCALE


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """A decimal with four places: NUMERIC on PostgreSQL, a scaled integer on SQLite.

    SQLite has no decimal type and would store a float; a scaled integer keeps values
    and SQL sums exact there too. Raw SQL on SQLite therefore sees value * 10**4: compare
    these columns only with 0 or with each other in CHECK constraints and text queries.
    """

    impl = Numeric(19, SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(19, SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = Decimal(value)
        if value != value.quantize(Decimal(1).scaleb(-SCALE)):
            raise ValueError(f"{value} has more than {SCALE} decimal places")
        if dialect.name == "sqlite":
            return int(value * _FACTOR)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _FACTOR).quantize(Decimal(1).scaleb(-SCALE))
        return Decimal(value).quantize(Decimal(1).scaleb(-SCALE))


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp, always stored and returned in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def enum_type(enum_cls: type[enum.Enum], name: str) -> SAEnum:
    """Return a portable enum column type: a VARCHAR with a CHECK of the allowed values."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def amount_field(*, nullable: bool = False, default: Any = ...) -> Any:
    """Return a money or quantity field stored exactly."""
    return Field(default=default, sa_type=ExactDecimal(), nullable=nullable)


def timestamp_field(*, nullable: bool = False, **kwargs: Any) -> Any:
    """Return a UTC timestamp field."""
    return Field(sa_type=UTCDateTime(), nullable=nullable, **kwargs)


# What no text typed into the product may hold: the control characters XML 1.0 cannot hold
# (all but tab, line feed and carriage return; PostgreSQL refuses NUL, a report's workbook
# the others), lone surrogates (UTF-8 cannot encode them) and the non-characters U+FFFE and
# U+FFFF.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def check_plain_text(value: Any) -> Any:
    """Return ``value`` (text, or a list or mapping holding text) if no text in it holds a
    control character; else raise the ``control_characters`` error."""
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            raise PydanticCustomError(
                "control_characters",
                "must not contain control characters other than tabs and line breaks",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            check_plain_text(key)
            check_plain_text(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_plain_text(item)
    return value


class PlainText(SQLModel):
    """What a person or a system sends to be stored: none of its text holds a control
    character. Every Create and Update model, and every API body, is one."""

    @field_validator("*")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return check_plain_text(value)


PLAIN_TEXT = AfterValidator(check_plain_text)
"""The rule of ``PlainText``, for a text type of its own."""
REASON_LENGTH = 2000
PAYMENT_REFERENCE_LENGTH = 100
Reason = Annotated[str, StringConstraints(max_length=REASON_LENGTH), PLAIN_TEXT]
"""Why a workflow step is taken (return, suspend, cancel, re-plan), or the note sent with a
submission: kept with the record and in the audit trail."""
RequiredReason = Annotated[
    NonBlank, StringConstraints(min_length=1, max_length=REASON_LENGTH), PLAIN_TEXT
]
"""A reason that must be given (a re-plan's): a ``Reason`` that is not blank."""
PaymentReference = Annotated[
    str, StringConstraints(max_length=PAYMENT_REFERENCE_LENGTH), PLAIN_TEXT
]
"""The bank's or the ledger's reference of a payment."""


class Versioned(SQLModel):
    """An editable row: a version counter checked on every UPDATE, and timestamps."""

    version: int = Field(default=1, nullable=False)
    created_at: dt.datetime = timestamp_field(default_factory=utcnow)
    updated_at: dt.datetime = timestamp_field(
        default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow}
    )

    @declared_attr  # type: ignore[arg-type]
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class RecordRead(SQLModel):
    """What every stored, editable row shows when read: its id, version and timestamps."""

    id: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@lru_cache
def currency_codes() -> frozenset[str]:
    """Return the active ISO 4217 currency codes."""
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


@lru_cache
def country_codes() -> frozenset[str]:
    """Return the ISO 3166-1 alpha-2 country codes."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


def check_currency(value: str) -> str:
    """Return ``value`` upper-cased if it is an ISO 4217 code, else raise ``ValueError``."""
    code = value.strip().upper()
    if code not in currency_codes():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


def check_country(value: str) -> str:
    """Return ``value`` upper-cased if it is an ISO 3166-1 alpha-2 code, else raise."""
    code = value.strip().upper()
    if code not in country_codes():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def amount_in_currency(value: Decimal, info: ValidationInfo) -> Decimal:
    """Check an amount against the ``currency`` field declared (and validated) before it."""
    currency = info.data.get("currency")
    return value if currency is None else check_amount(value, currency)


EARLIEST_DAY = dt.date(1990, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)


def check_day(value: dt.date) -> dt.date:
    """Refuse a date no programme of this kind can have (``9999-12-31`` would overflow the
    next period's start): every date typed into the product lies in 1990 to 2100."""
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise PydanticCustomError(
            "day_out_of_range",
            "must be between {earliest} and {latest}",
            {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
        )
    return value


Day = Annotated[dt.date, BeforeValidator(iso_day), AfterValidator(check_day)]
"""A date a person or a file gives: written ``YYYY-MM-DD`` (or already a date), within
``EARLIEST_DAY`` and ``LATEST_DAY``."""


def not_before(value: dt.date, info: ValidationInfo, earlier: str) -> dt.date:
    """Check that a date is not before the date field ``earlier`` declared before it."""
    start = info.data.get(earlier)
    if start is not None and value < start:
        raise ValueError(f"must not be before {earlier} ({start.isoformat()})")
    return value


def check_amount(value: Decimal, currency: str) -> Decimal:
    """Return ``value`` if it is >= 0 with no more decimals than ``currency`` allows."""
    if value < 0:
        raise ValueError(f"{value} is negative")
    places = min(get_currency_precision(currency), SCALE)
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"{value} has more than {places} decimal places for {currency}")
    return value
