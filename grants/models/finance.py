"""Budget lines planned per project and the expenses partners record against them."""

from __future__ import annotations

from pydantic import field_validator
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from grants.models.base import (
    LINE_CODE,
    PAYMENT_REFERENCE_LENGTH,
    Day,
    Id,
    PlainText,
    RecordRead,
    Versioned,
    amount_field,
    check_currency,
    enum_type,
)
from grants.models.enums import BudgetCategory
from grants.models.notation import Amount, NonBlank


class BudgetLineBase(SQLModel):
    code: str = Field(max_length=20, schema_extra=LINE_CODE)
    category: BudgetCategory = Field(sa_type=enum_type(BudgetCategory, "category"))
    description: NonBlank = Field(min_length=1, max_length=300)
    amount: Amount = amount_field()
    currency: str = Field(max_length=3)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)


class BudgetLine(BudgetLineBase, Versioned, table=True):
    __tablename__ = "budget_line"
    __table_args__ = (
        UniqueConstraint("project_id", "code"),
        UniqueConstraint("project_id", "id"),
        CheckConstraint("amount >= 0", name="amount"),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)


class BudgetLineCreate(BudgetLineBase, PlainText):
    pass


class ExpenseBase(SQLModel):
    budget_line_id: Id
    spent_on: Day
    amount: Amount = amount_field()
    currency: str = Field(max_length=3)
    description: NonBlank = Field(min_length=1, max_length=500)
    reference: str = Field(default="", max_length=PAYMENT_REFERENCE_LENGTH)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return check_currency(value)


class Expense(ExpenseBase, Versioned, table=True):
    """Money spent; its budget line belongs to the same project (a composite key says so)."""

    __table_args__ = (
        ForeignKeyConstraint(
            ["project_id", "budget_line_id"], ["budget_line.project_id", "budget_line.id"]
        ),
        CheckConstraint("amount >= 0", name="amount"),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    budget_line_id: int = Field(index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    recorded_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class ExpenseCreate(ExpenseBase, PlainText):
    pass


class BudgetLineRead(BudgetLineBase, RecordRead):
    project_id: int


class BudgetLineUpdate(PlainText):
    category: BudgetCategory | None = None
    description: NonBlank | None = Field(default=None, min_length=1, max_length=300)
    amount: Amount | None = None


class ExpenseRead(ExpenseBase, RecordRead):
    project_id: int
    organisation_id: int
    recorded_by_id: int | None


class ExpenseUpdate(PlainText):
    spent_on: Day | None = None
    amount: Amount | None = None
    description: NonBlank | None = Field(default=None, min_length=1, max_length=500)
    reference: str | None = Field(default=None, max_length=PAYMENT_REFERENCE_LENGTH)
