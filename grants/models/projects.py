"""Projects (the funded city actions), their partners, objectives, sectors and co-financing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import ValidationInfo, field_validator
from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from grants.models.base import (
    CODE,
    REASON_LENGTH,
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
from grants.models.enums import PartnerRole, ProjectStatus
from grants.models.notation import Amount, NonBlank
from grants.models.programmes import ObjectiveCodes


class ProjectBase(SQLModel):
    reference: str = Field(max_length=40, unique=True, schema_extra=CODE)
    call_id: Id = Field(foreign_key="call.id", index=True)
    title: NonBlank = Field(min_length=1, max_length=300)
    summary: str = Field(default="", max_length=10_000)
    city: NonBlank = Field(min_length=1, max_length=100)
    country: str = Field(max_length=2, index=True)
    currency: str = Field(max_length=3)
    awarded_amount: Amount = amount_field()
    planned_start: Day
    planned_end: Day
    manager_id: Id | None = Field(default=None, foreign_key="user_account.id", index=True)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return check_country(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)

    @field_validator("awarded_amount")
    @classmethod
    def _amount(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        return amount_in_currency(value, info)

    @field_validator("planned_end")
    @classmethod
    def _end(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return not_before(value, info, "planned_start")


class Project(ProjectBase, Versioned, table=True):
    __table_args__ = (
        CheckConstraint("planned_end >= planned_start", name="planned_dates"),
        CheckConstraint(
            "actual_end IS NULL OR actual_start IS NULL OR actual_end >= actual_start",
            name="actual_dates",
        ),
        CheckConstraint("awarded_amount >= 0", name="awarded_amount"),
        CheckConstraint(
            "status NOT IN ('suspended', 'cancelled') OR status_reason IS NOT NULL",
            name="status_reason",
        ),
        # The project list's usual filters, covered so its count reads the index alone.
        Index("ix_project_country_status_call_id", "country", "status", "call_id"),
    )
    id: int = Field(default=None, primary_key=True)
    status: ProjectStatus = Field(
        default=ProjectStatus.DRAFT, sa_type=enum_type(ProjectStatus, "status"), index=True
    )
    status_reason: str | None = Field(default=None, max_length=REASON_LENGTH)
    actual_start: dt.date | None = None
    actual_end: dt.date | None = None


class ProjectCreate(ProjectBase, PlainText):
    objective_codes: ObjectiveCodes = Field(default_factory=list)


class ProjectUpdate(PlainText):
    title: NonBlank | None = Field(default=None, min_length=1, max_length=300)
    summary: str | None = Field(default=None, max_length=10_000)
    city: NonBlank | None = Field(default=None, min_length=1, max_length=100)
    country: str | None = Field(default=None, max_length=2)
    awarded_amount: Amount | None = None
    planned_start: Day | None = None
    planned_end: Day | None = None
    manager_id: Id | None = None


class ProjectObjective(SQLModel, table=True):
    """Which of its call's objectives a project serves."""

    __tablename__ = "project_objective"
    project_id: int = Field(foreign_key="project.id", primary_key=True)
    objective_id: int = Field(foreign_key="objective.id", primary_key=True, index=True)


class ProjectSector(Versioned, table=True):
    """A sector code (OECD DAC 5-digit by default) and its share of the project."""

    __tablename__ = "project_sector"
    __table_args__ = (
        UniqueConstraint("project_id", "vocabulary", "code"),
        # Exact decimals are scaled integers on SQLite, so only a comparison with 0 is
        # portable here; the service checks the upper bound and the total of 100.
        CheckConstraint("percentage > 0", name="percentage"),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    vocabulary: str = Field(default="1", max_length=10)
    code: str = Field(max_length=20)
    percentage: Decimal = amount_field()


class ProjectPartner(Versioned, table=True):
    """An organisation's part in a project: lead grantee, co-implementer, associate or funder."""

    __tablename__ = "project_partner"
    __table_args__ = (
        UniqueConstraint("project_id", "organisation_id"),
        Index(
            "uq_project_partner_one_lead",
            "project_id",
            unique=True,
            sqlite_where=text("role = 'lead'"),
            postgresql_where=text("role = 'lead'"),
        ),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: PartnerRole = Field(sa_type=enum_type(PartnerRole, "role"))


class CoFinancing(Versioned, table=True):
    """A contribution to a project beyond the grant, in its own currency."""

    __tablename__ = "co_financing"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount"),)
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    amount: Decimal = amount_field()
    currency: str = Field(max_length=3)
    in_kind: bool = Field(default=False)
    description: str = Field(default="", max_length=500)


class ProjectRead(ProjectBase, RecordRead):
    status: ProjectStatus
    status_reason: str | None
    actual_start: dt.date | None
    actual_end: dt.date | None
