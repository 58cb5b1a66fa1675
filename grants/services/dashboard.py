"""The grant manager's dashboard: key figures and the lists that need attention today.

Every question is one or two queries over the projects the principal manages, whatever
their number: the dashboard costs the same for ten projects as for ten thousand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from grants.models import (
    Call,
    Milestone,
    MilestoneStatus,
    Organisation,
    Programme,
    ProgressUpdate,
    Project,
    ProjectStatus,
    ReviewStatus,
    Tranche,
)
from grants.services import facts, snapshot, tranches
from grants.services.access import Principal

DUE_SOON_DAYS = 30
PANEL_ROWS = 10
AWARDED_STATES = (
    ProjectStatus.CONTRACTING,
    ProjectStatus.ACTIVE,
    ProjectStatus.FINALISING,
    ProjectStatus.SUSPENDED,
    ProjectStatus.CLOSED,
)


@dataclass(frozen=True)
class Rows:
    """Some rows of a list (as mappings) and how many rows the whole list has."""

    items: list[dict[str, Any]]
    total: int


@dataclass(frozen=True)
class KeyFigures:
    """The portfolio in numbers: projects by state and money by currency."""

    projects: int
    active: int
    awarded: dict[str, Decimal]
    disbursed: dict[str, Decimal]
    spent: dict[str, Decimal]


def managed_condition(principal: Principal) -> ColumnElement[bool]:
    """Return the condition on Project rows of the programmes the principal manages."""
    if principal.is_admin:
        return true()
    calls = (
        select(Call.id)
        .join(Programme, col(Programme.id) == col(Call.programme_id))
        .where(col(Programme.managing_organisation_id).in_(principal.manager_org_ids))
    )
    return col(Project.call_id).in_(calls)


def _rows(session: Session, query: Any, limit: int | None) -> Rows:
    """Return up to ``limit`` rows of ``query`` (all when None) and the count of all."""
    if limit is None:
        items = [dict(row._mapping) for row in session.execute(query)]
        return Rows(items, len(items))
    total = session.execute(
        query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    ).scalar_one()
    items = [dict(row._mapping) for row in session.execute(query.limit(limit))]
    return Rows(items, int(total))


def _milestones(principal: Principal, *conditions: Any) -> Any:
    return (
        sa_select(
            col(Milestone.id),
            col(Milestone.position),
            col(Milestone.title),
            col(Milestone.due_date),
            col(Milestone.baseline_due_date),
            col(Milestone.status),
            col(Milestone.submitted_on),
            col(Project.id).label("project_id"),
            col(Project.reference),
            col(Project.title).label("project_title"),
            col(Organisation.name).label("responsible"),
        )
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .outerjoin(Organisation, col(Organisation.id) == col(Milestone.responsible_organisation_id))
        .where(managed_condition(principal), *conditions)
        .order_by(col(Milestone.due_date), col(Milestone.id))
    )


def overdue_milestones(
    session: Session, principal: Principal, today: dt.date, limit: int | None = PANEL_ROWS
) -> Rows:
    """Return milestones waiting for the partner past their due date, oldest first."""
    query = _milestones(
        principal,
        col(Milestone.status).in_(facts.AWAITING_PARTNER),
        col(Milestone.due_date) < today,
    )
    rows = _rows(session, query, limit)
    for row in rows.items:
        row["days_late"] = (today - row["due_date"]).days
    return rows


def milestones_due_soon(
    session: Session,
    principal: Principal,
    today: dt.date,
    limit: int | None = PANEL_ROWS,
    days: int = DUE_SOON_DAYS,
) -> Rows:
    """Return milestones waiting for the partner, due from today to ``days`` ahead."""
    query = _milestones(
        principal,
        col(Milestone.status).in_(facts.AWAITING_PARTNER),
        col(Milestone.due_date) >= today,
        col(Milestone.due_date) <= today + dt.timedelta(days=days),
    )
    rows = _rows(session, query, limit)
    for row in rows.items:
        row["days_left"] = (row["due_date"] - today).days
    return rows


def milestones_awaiting_review(
    session: Session, principal: Principal, limit: int | None = PANEL_ROWS
) -> Rows:
    """Return submitted milestones waiting for the grant manager, longest waiting first."""
    query = _milestones(principal, col(Milestone.status) == MilestoneStatus.SUBMITTED)
    return _rows(session, query.order_by(None).order_by(col(Milestone.submitted_on)), limit)


def updates_awaiting_review(
    session: Session, principal: Principal, limit: int | None = PANEL_ROWS
) -> Rows:
    """Return submitted progress updates waiting for the grant manager, oldest first."""
    query: Any = (
        sa_select(
            col(ProgressUpdate.id),
            col(ProgressUpdate.period_start),
            col(ProgressUpdate.period_end),
            col(ProgressUpdate.overall_status),
            col(ProgressUpdate.percent_complete),
            col(ProgressUpdate.submitted_on),
            col(Project.id).label("project_id"),
            col(Project.reference),
            col(Project.title).label("project_title"),
            col(Organisation.name).label("organisation"),
        )
        .join(Project, col(Project.id) == col(ProgressUpdate.project_id))
        .join(Organisation, col(Organisation.id) == col(ProgressUpdate.organisation_id))
        .where(managed_condition(principal), col(ProgressUpdate.status) == ReviewStatus.SUBMITTED)
        .order_by(col(ProgressUpdate.submitted_on), col(ProgressUpdate.id))
    )
    return _rows(session, query, limit)


def releasable_tranches(
    session: Session, principal: Principal, limit: int | None = PANEL_ROWS
) -> Rows:
    """Return scheduled tranches whose gate milestones are all accepted: ready to approve."""
    query: Any = (
        sa_select(
            col(Tranche.id),
            col(Tranche.position),
            col(Tranche.amount),
            col(Tranche.currency),
            col(Tranche.planned_date),
            col(Project.id).label("project_id"),
            col(Project.reference),
            col(Project.title).label("project_title"),
        )
        .join(Project, col(Project.id) == col(Tranche.project_id))
        .where(managed_condition(principal), tranches.releasable_condition())
        .order_by(col(Tranche.planned_date), col(Tranche.id))
    )
    return _rows(session, query, limit)


def managed_calls(session: Session, principal: Principal) -> set[int] | None:
    """Return the calls of the programmes the principal manages (None: every call)."""
    if principal.is_admin:
        return None
    query = (
        select(Call.id)
        .join(Programme, col(Programme.id) == col(Call.programme_id))
        .where(col(Programme.managing_organisation_id).in_(principal.manager_org_ids))
    )
    return {int(call_id) for call_id in session.exec(query).all() if call_id is not None}


def managed_facts(
    session: Session, principal: Principal, today: dt.date
) -> list[snapshot.ProjectFacts]:
    """Return the figures and risks of every project the principal manages, by reference."""
    calls = managed_calls(session, principal)
    known = snapshot.current(session, today).of()
    return [found for found in known if calls is None or found.call_id in calls]


def projects_at_risk(
    session: Session, principal: Principal, today: dt.date
) -> list[snapshot.ProjectFacts]:
    """Return the managed projects at risk, by reference, each with its reasons."""
    return [found for found in managed_facts(session, principal, today) if found.reasons]


def scope_key(principal: Principal) -> tuple[bool, tuple[int, ...]]:
    """Return what the dashboard's answers depend on of the principal: whose projects."""
    return principal.is_admin, tuple(sorted(principal.manager_org_ids))


def key_figures(session: Session, principal: Principal, today: dt.date) -> KeyFigures:
    """Return how many projects there are, how many are active, and the money by currency."""
    managed = managed_facts(session, principal, today)
    awarded = [found for found in managed if found.status in AWARDED_STATES]
    return KeyFigures(
        projects=len(managed),
        active=sum(1 for found in managed if found.status == ProjectStatus.ACTIVE),
        awarded=snapshot.money_by_currency(awarded, "awarded"),
        disbursed=snapshot.money_by_currency(managed, "disbursed"),
        spent=snapshot.money_by_currency(managed, "spent"),
    )
