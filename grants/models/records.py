"""Append-only records: the audit trail and frozen, issued reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, LargeBinary
from sqlmodel import Field, SQLModel

from grants.models.base import enum_type, timestamp_field, utcnow
from grants.models.enums import AuditAction, ReportKind, ReportScope


class AuditEvent(SQLModel, table=True):
    """One change to one row: who, when, what (before -> after) and why."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_project_at", "project_id", "at", "id"),
        Index("ix_audit_event_entity_id", "entity", "id"),
    )
    id: int = Field(default=None, primary_key=True)
    at: dt.datetime = timestamp_field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    actor_label: str = Field(max_length=254)
    entity: str = Field(max_length=50)
    entity_id: str = Field(max_length=100)
    action: AuditAction = Field(sa_type=enum_type(AuditAction, "action"))
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reason: str | None = Field(default=None, max_length=4000)
    project_id: int | None = Field(default=None)


class IssuedReport(SQLModel, table=True):
    """A report frozen when issued: its PDF bytes and their sha256 never change."""

    __tablename__ = "issued_report"
    __table_args__ = (CheckConstraint("length(sha256) = 64", name="sha256"),)
    id: int = Field(default=None, primary_key=True)
    kind: ReportKind = Field(sa_type=enum_type(ReportKind, "kind"))
    scope: ReportScope = Field(sa_type=enum_type(ReportScope, "scope"))
    scope_id: int
    programme_id: int = Field(foreign_key="programme.id", index=True)
    period_start: dt.date | None = None
    as_of: dt.date
    parameters: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    filename: str = Field(max_length=255)
    pdf: bytes = Field(sa_type=LargeBinary)
    sha256: str = Field(max_length=64, unique=True)
    issued_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    issued_at: dt.datetime = timestamp_field(default_factory=utcnow)


class AuditEventRead(SQLModel):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    entity: str
    entity_id: str
    action: AuditAction
    changes: dict[str, Any]
    reason: str | None
    project_id: int | None


class IssuedReportRead(SQLModel):
    """An issued report's record; the PDF itself is downloaded separately."""

    id: int
    kind: ReportKind
    scope: ReportScope
    scope_id: int
    programme_id: int
    period_start: dt.date | None
    as_of: dt.date
    parameters: dict[str, Any]
    filename: str
    sha256: str
    issued_by_id: int | None
    issued_at: dt.datetime
