"""Organisations, programmes, their funders, calls for proposals and call objectives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import pydantic
from pydantic import StringConstraints, ValidationInfo, field_validator
from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from grants.models.base import (
    CODE,
    ORG_ID,
    PLAIN_TEXT,
    Day,
    Id,
    PlainText,
    RecordRead,
    Versioned,
    amount_field,
    amount_in_currency,
    check_country,
    check_currency,
    enum_type,
    not_before,
)
from grants.models.enums import OrganisationKind
from grants.models.notation import Amount, NonBlank


class OrganisationBase(SQLModel):
    ref: str = Field(max_length=40, unique=True, schema_extra=CODE)
    name: NonBlank = Field(min_length=1, max_length=200)
    kind: OrganisationKind = Field(sa_type=enum_type(OrganisationKind, "kind"))
    country: str | None = Field(default=None, max_length=2)
    city: str | None = Field(default=None, max_length=100)
    org_identifier: str | None = Field(
        default=None, max_length=100, unique=True, schema_extra=ORG_ID
    )
    website: str | None = Field(default=None, max_length=300)
    is_fictional: bool = Field(default=False)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else check_country(value)


class Organisation(OrganisationBase, Versioned, table=True):
    id: int = Field(default=None, primary_key=True)


class OrganisationCreate(OrganisationBase, PlainText):
    pass


class OrganisationUpdate(PlainText):
    name: NonBlank | None = Field(default=None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None
    country: str | None = Field(default=None, max_length=2)
    city: str | None = Field(default=None, max_length=100)
    org_identifier: str | None = Field(default=None, max_length=100, schema_extra=ORG_ID)
    website: str | None = Field(default=None, max_length=300)


class ProgrammeBase(SQLModel):
    code: str = Field(max_length=40, unique=True, schema_extra=CODE)
    title: NonBlank = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=10_000)
    currency: str = Field(max_length=3)
    budget: Amount = amount_field()
    start_date: Day
    end_date: Day
    managing_organisation_id: Id = Field(foreign_key="organisation.id", index=True)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)

    @field_validator("budget")
    @classmethod
    def _amount(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        return amount_in_currency(value, info)

    @field_validator("end_date")
    @classmethod
    def _end(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return not_before(value, info, "start_date")


class Programme(ProgrammeBase, Versioned, table=True):
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("budget >= 0", name="budget"),
    )
    id: int = Field(default=None, primary_key=True)


class ProgrammeCreate(ProgrammeBase, PlainText):
    pass


class ProgrammeFunder(Versioned, table=True):
    """A donor's contribution to a programme."""

    __tablename__ = "programme_funder"
    __table_args__ = (
        UniqueConstraint("programme_id", "organisation_id"),
        CheckConstraint("amount >= 0", name="amount"),
    )
    id: int = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    amount: Decimal = amount_field()
    currency: str = Field(max_length=3)


class CallBase(SQLModel):
    programme_id: Id = Field(foreign_key="programme.id", index=True)
    code: str = Field(max_length=40, unique=True, schema_extra=CODE)
    title: NonBlank = Field(min_length=1, max_length=300)
    opens_on: Day
    closes_on: Day
    currency: str = Field(max_length=3)
    max_amount: Amount = amount_field()

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)

    @field_validator("max_amount")
    @classmethod
    def _amount(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        return amount_in_currency(value, info)

    @field_validator("closes_on")
    @classmethod
    def _end(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return not_before(value, info, "opens_on")


class Call(CallBase, Versioned, table=True):
    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="dates"),
        CheckConstraint("max_amount >= 0", name="max_amount"),
    )
    id: int = Field(default=None, primary_key=True)


class CallCreate(CallBase, PlainText):
    pass


OBJECTIVE_CODE_LENGTH = 10
OBJECTIVE_TITLE_LENGTH = 300


class Objective(Versioned, table=True):
    """One of a call's objectives (for example A to D); every project serves at least one."""

    __table_args__ = (UniqueConstraint("call_id", "code"),)
    id: int = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", index=True)
    code: str = Field(max_length=OBJECTIVE_CODE_LENGTH)
    title: str = Field(max_length=OBJECTIVE_TITLE_LENGTH)


ObjectiveCode = Annotated[
    NonBlank, StringConstraints(min_length=1, max_length=OBJECTIVE_CODE_LENGTH), PLAIN_TEXT
]
ObjectiveCodes = Annotated[list[ObjectiveCode], pydantic.Field(max_length=20)]
"""The objectives a project serves, by code (``["A", "C"]``)."""
Objectives = Annotated[
    dict[
        ObjectiveCode,
        Annotated[
            NonBlank,
            StringConstraints(min_length=1, max_length=OBJECTIVE_TITLE_LENGTH),
            PLAIN_TEXT,
        ],
    ],
    pydantic.Field(min_length=1, max_length=20),
]
"""A call's objectives, code -> title (``{"A": "Cooperation between stakeholders"}``)."""


class OrganisationRead(OrganisationBase, RecordRead):
    pass


class ProgrammeRead(ProgrammeBase, RecordRead):
    pass


class ProgrammeUpdate(PlainText):
    title: NonBlank | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    budget: Amount | None = None
    start_date: Day | None = None
    end_date: Day | None = None


class CallRead(CallBase, RecordRead):
    pass


class CallUpdate(PlainText):
    title: NonBlank | None = Field(default=None, min_length=1, max_length=300)
    opens_on: Day | None = None
    closes_on: Day | None = None
    max_amount: Amount | None = None
