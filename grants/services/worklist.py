"""What waits for someone: overdue and due milestones, reviews, tranches ready to release.

Each kind of item is one query over the projects a condition selects (those a manager
manages, or a few projects whose figures are being brought up to date), in a fixed order.
The dashboard lists them; the per-process snapshot keeps each project's items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import select as sa_select
from sqlmodel import col

from grants.models import (
    Milestone,
    MilestoneStatus,
    Organisation,
    ProgressUpdate,
    Project,
    ReviewStatus,
    Tranche,
)
from grants.services import facts, tranches

KINDS = ("overdue", "due-soon", "releasable", "milestone-reviews", "update-reviews")


def _milestones(where: ColumnElement[bool], *conditions: Any) -> Any:
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
        .where(where, *conditions)
    )


def _updates(where: ColumnElement[bool]) -> Any:
    return (
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
        .where(where, col(ProgressUpdate.status) == ReviewStatus.SUBMITTED)
        .order_by(col(ProgressUpdate.submitted_on), col(ProgressUpdate.id))
    )


def _tranches(where: ColumnElement[bool]) -> Any:
    return (
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
        .where(where, tranches.releasable_condition())
        .order_by(col(Tranche.planned_date), col(Tranche.id))
    )


def query(kind: str, today: dt.date, where: ColumnElement[bool]) -> Any:
    """Return the select of the items of ``kind`` in the projects ``where`` picks, in order."""
    counted = col(Project.status).in_(sorted(facts.COUNTED_STATES))
    if kind == "overdue":
        found = _milestones(where, counted, facts.overdue_condition(today))
    elif kind == "due-soon":
        found = _milestones(where, counted, facts.due_soon_condition(today))
    elif kind == "milestone-reviews":
        submitted = _milestones(where, col(Milestone.status) == MilestoneStatus.SUBMITTED)
        return submitted.order_by(col(Milestone.submitted_on), col(Milestone.id))
    elif kind == "update-reviews":
        return _updates(where)
    elif kind == "releasable":
        return _tranches(where)
    else:
        raise ValueError(f"no such list: {kind}")
    return found.order_by(col(Milestone.due_date), col(Milestone.id))


def _first(field: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    return lambda row: (row[field] is None, row[field], row["id"])


ORDER: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
    "overdue": _first("due_date"),
    "due-soon": _first("due_date"),
    "milestone-reviews": _first("submitted_on"),
    "update-reviews": _first("submitted_on"),
    "releasable": _first("planned_date"),
}
"""The order of each list, as a sort key: the same order as its query's."""


MILESTONE_KINDS = ("overdue", "due-soon", "milestone-reviews")


def annotate(kind: str, row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Add what a row of ``kind`` shows beyond its columns: the status a milestone reads
    ("overdue" when past due), its days late, or its days left."""
    if kind in MILESTONE_KINDS:
        found = facts.milestone_facts(
            row["status"], row["due_date"], row["submitted_on"], None, today
        )
        row["status"] = found.shown
        if kind == "overdue":
            row["days_late"] = found.days_late
    if kind == "due-soon":
        row["days_left"] = (row["due_date"] - today).days
    return row
