"""Milestones and the payment tranches their acceptance releases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import field_validator
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from grants.models.base import (
    PAYMENT_REFERENCE_LENGTH,
    REASON_LENGTH,
    Day,
    Id,
    PlainText,
    RecordRead,
    RequiredReason,
    Versioned,
    amount_field,
    check_currency,
    enum_type,
)
from grants.models.enums import MilestoneStatus, TrancheStatus
from grants.models.notation import Amount, NonBlank


class MilestoneBase(SQLModel):
    title: NonBlank = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=10_000)
    due_date: Day
    evidence_required: str = Field(default="", max_length=2000)
    responsible_organisation_id: Id | None = Field(default=None, index=True)


class Milestone(MilestoneBase, Versioned, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "position"),
        UniqueConstraint("project_id", "id"),
        ForeignKeyConstraint(
            ["project_id", "responsible_organisation_id"],
            ["project_partner.project_id", "project_partner.organisation_id"],
            name="fk_milestone_responsible_partner",
        ),
        CheckConstraint("position >= 1", name="position"),
        CheckConstraint(
            "status <> 'accepted' OR (accepted_on IS NOT NULL AND submitted_on IS NOT NULL)",
            name="accepted_dates",
        ),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    position: int
    baseline_due_date: dt.date
    status: MilestoneStatus = Field(
        default=MilestoneStatus.PLANNED, sa_type=enum_type(MilestoneStatus, "status"), index=True
    )
    submitted_on: dt.date | None = None
    accepted_on: dt.date | None = None
    review_note: str | None = Field(default=None, max_length=4000)
    replan_reason: str | None = Field(default=None, max_length=REASON_LENGTH)


class MilestoneCreate(MilestoneBase, PlainText):
    pass


class MilestoneUpdate(PlainText):
    title: NonBlank | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    due_date: Day | None = None
    evidence_required: str | None = Field(default=None, max_length=2000)
    responsible_organisation_id: Id | None = None


class MilestoneReplan(PlainText):
    """A milestone's new due date, and why it moves (its baseline date stays)."""

    due_date: Day
    reason: RequiredReason


class TrancheBase(SQLModel):
    amount: Amount = amount_field()
    currency: str = Field(max_length=3)
    planned_date: Day

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)


class Tranche(TrancheBase, Versioned, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "position"),
        UniqueConstraint("project_id", "id"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("paid_amount IS NULL OR paid_amount >= 0", name="paid_amount"),
        CheckConstraint(
            "status <> 'paid' OR (paid_on IS NOT NULL AND paid_amount IS NOT NULL)",
            name="paid_fields",
        ),
        CheckConstraint("position >= 1", name="position"),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    position: int
    status: TrancheStatus = Field(
        default=TrancheStatus.SCHEDULED, sa_type=enum_type(TrancheStatus, "status"), index=True
    )
    approved_on: dt.date | None = None
    paid_on: dt.date | None = None
    paid_amount: Decimal | None = amount_field(nullable=True, default=None)
    payment_reference: str | None = Field(default=None, max_length=PAYMENT_REFERENCE_LENGTH)
    cancel_reason: str | None = Field(default=None, max_length=REASON_LENGTH)


class TrancheCreate(TrancheBase, PlainText):
    gate_milestone_ids: list[Id] = Field(default_factory=list)


class TrancheGate(SQLModel, table=True):
    """A milestone whose acceptance a tranche waits for; both belong to the same project."""

    __tablename__ = "tranche_gate"
    __table_args__ = (
        ForeignKeyConstraint(
            ["project_id", "tranche_id"], ["tranche.project_id", "tranche.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["project_id", "milestone_id"], ["milestone.project_id", "milestone.id"]
        ),
    )
    tranche_id: int = Field(primary_key=True)
    milestone_id: int = Field(primary_key=True, index=True)
    project_id: int = Field(foreign_key="project.id", index=True)


class MilestoneRead(MilestoneBase, RecordRead):
    project_id: int
    position: int
    baseline_due_date: dt.date
    status: MilestoneStatus
    submitted_on: dt.date | None
    accepted_on: dt.date | None
    review_note: str | None
    replan_reason: str | None


class TrancheRead(TrancheBase, RecordRead):
    project_id: int
    position: int
    status: TrancheStatus
    approved_on: dt.date | None
    paid_on: dt.date | None
    paid_amount: Decimal | None
    payment_reference: str | None
    cancel_reason: str | None


class TrancheUpdate(PlainText):
    amount: Amount | None = None
    planned_date: Day | None = None
