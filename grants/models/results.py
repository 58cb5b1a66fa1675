"""Indicators and their reported values, progress updates, and evidence attachments."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationInfo, field_validator
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from grants.models.base import (
    LINE_CODE,
    Day,
    Id,
    PlainText,
    RecordRead,
    Versioned,
    amount_field,
    enum_type,
    not_before,
    timestamp_field,
    utcnow,
)
from grants.models.enums import OverallStatus, ReviewStatus
from grants.models.notation import NonBlank, Quantity


class IndicatorBase(SQLModel):
    code: str = Field(max_length=20, schema_extra=LINE_CODE)
    title: NonBlank = Field(min_length=1, max_length=300)
    unit: NonBlank = Field(min_length=1, max_length=50)
    baseline: Quantity = amount_field()
    target: Quantity = amount_field()


class Indicator(IndicatorBase, Versioned, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "code"),
        UniqueConstraint("project_id", "id"),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)


class IndicatorCreate(IndicatorBase, PlainText):
    pass


class IndicatorValueBase(SQLModel):
    indicator_id: Id
    period_start: Day
    period_end: Day
    value: Quantity = amount_field()
    note: str = Field(default="", max_length=2000)

    @field_validator("period_end")
    @classmethod
    def _period(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return not_before(value, info, "period_start")


class IndicatorValue(IndicatorValueBase, Versioned, table=True):
    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "period_end"),
        ForeignKeyConstraint(
            ["project_id", "indicator_id"], ["indicator.project_id", "indicator.id"]
        ),
        CheckConstraint("period_end >= period_start", name="period"),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    indicator_id: int = Field(index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    reported_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class IndicatorValueCreate(IndicatorValueBase, PlainText):
    pass


class ProgressUpdateBase(SQLModel):
    period_start: Day
    period_end: Day
    overall_status: OverallStatus = Field(sa_type=enum_type(OverallStatus, "overall_status"))
    percent_complete: int = Field(ge=0, le=100)
    achievements: str = Field(default="", max_length=20_000)
    challenges: str = Field(default="", max_length=20_000)
    next_steps: str = Field(default="", max_length=20_000)

    @field_validator("period_end")
    @classmethod
    def _period(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return not_before(value, info, "period_start")


class ProgressUpdate(ProgressUpdateBase, Versioned, table=True):
    __tablename__ = "progress_update"
    __table_args__ = (
        UniqueConstraint("project_id", "id"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent_complete"),
        CheckConstraint("status <> 'returned' OR review_note IS NOT NULL", name="returned_note"),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="user_account.id")
    status: ReviewStatus = Field(
        default=ReviewStatus.DRAFT, sa_type=enum_type(ReviewStatus, "status"), index=True
    )
    submitted_on: dt.date | None = None
    reviewed_on: dt.date | None = None
    reviewer_id: int | None = Field(default=None, foreign_key="user_account.id")
    review_note: str | None = Field(default=None, max_length=4000)


class ProgressUpdateCreate(ProgressUpdateBase, PlainText):
    pass


class Attachment(SQLModel, table=True):
    """An evidence file on a milestone or a progress update, stored outside any served folder."""

    __table_args__ = (
        ForeignKeyConstraint(
            ["project_id", "milestone_id"], ["milestone.project_id", "milestone.id"]
        ),
        ForeignKeyConstraint(
            ["project_id", "progress_update_id"],
            ["progress_update.project_id", "progress_update.id"],
        ),
        CheckConstraint("(milestone_id IS NULL) <> (progress_update_id IS NULL)", name="one_owner"),
        CheckConstraint("size_bytes >= 0", name="size"),
    )
    id: int = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    milestone_id: int | None = Field(default=None, index=True)
    progress_update_id: int | None = Field(default=None, index=True)
    filename: str = Field(max_length=255)
    stored_name: str = Field(max_length=64, unique=True)
    content_type: str = Field(max_length=100)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    uploaded_at: dt.datetime = timestamp_field(default_factory=utcnow)


class IndicatorRead(IndicatorBase, RecordRead):
    project_id: int


class IndicatorUpdate(PlainText):
    title: NonBlank | None = Field(default=None, min_length=1, max_length=300)
    unit: NonBlank | None = Field(default=None, min_length=1, max_length=50)
    baseline: Quantity | None = None
    target: Quantity | None = None


class IndicatorValueRead(IndicatorValueBase, RecordRead):
    project_id: int
    organisation_id: int | None
    reported_by_id: int | None


class ProgressUpdateRead(ProgressUpdateBase, RecordRead):
    project_id: int
    organisation_id: int
    author_id: int | None
    status: ReviewStatus
    submitted_on: dt.date | None
    reviewed_on: dt.date | None
    reviewer_id: int | None
    review_note: str | None


class AttachmentRead(SQLModel):
    """An attachment as shown to users: never where it is stored."""

    id: int
    project_id: int
    milestone_id: int | None
    progress_update_id: int | None
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by_id: int | None
    uploaded_at: dt.datetime
