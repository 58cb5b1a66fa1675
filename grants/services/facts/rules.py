"""The rules behind every figure: which projects count, what a milestone or tranche is on a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlmodel import col

from grants.config import get_settings
from grants.models import Milestone, MilestoneStatus, ProjectStatus, TrancheStatus

MS, TS, PS = MilestoneStatus, TrancheStatus, ProjectStatus
COUNTED_STATES = frozenset(
    {PS.CONTRACTING, PS.ACTIVE, PS.FINALISING, PS.SUSPENDED, PS.CLOSED, PS.CANCELLED}
)
"""The statuses of the projects every total counts: a draft is only a proposal."""
DONOR_VISIBLE = COUNTED_STATES
"""Donors see a project from contracting on: once its award is decided, not while drafted."""
WATCHED = frozenset({PS.ACTIVE, PS.FINALISING, PS.SUSPENDED})
"""The statuses of the projects checked for risks."""
AWAITING_PARTNER = (MS.PLANNED, MS.IN_PROGRESS, MS.RETURNED)
"""Milestones waiting for the partner's work; a submitted one waits for the manager."""
OVERDUE_RISK_DAYS = 30
SCHEDULE_LAG_POINTS = Decimal(30)
QUIET_DAYS = 90
"""A project whose partners have submitted no progress update for this long is at risk."""


def due_soon_days() -> int:
    """Return how many days ahead a milestone counts as due soon (``GRANTS_DUE_SOON_DAYS``)."""
    return get_settings().due_soon_days


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal:
    """Return ``part`` as a percentage of ``whole`` to one decimal (0 when ``whole`` is 0)."""
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def counted_award(status: ProjectStatus, award: Decimal, paid: Decimal) -> Decimal:
    """Return the award a project counts with: a cancelled one's is what was paid to it."""
    return paid if status == PS.CANCELLED else award


def milestone_state(
    status: str, submitted_on: dt.date | None, accepted_on: dt.date | None, as_of: dt.date
) -> MilestoneStatus:
    """Return a milestone's workflow status on ``as_of``, from its status and its dates."""
    if accepted_on is not None and accepted_on <= as_of:
        return MS.ACCEPTED
    if status == MS.CANCELLED:
        return MS.CANCELLED
    if submitted_on is not None and submitted_on <= as_of and status != MS.RETURNED:
        return MS.SUBMITTED
    if status in (MS.ACCEPTED, MS.SUBMITTED):
        return MS.IN_PROGRESS
    return MilestoneStatus(status)


@dataclass(frozen=True)
class MilestoneFacts:
    """What a milestone is on a day: its status, whether it had fallen due, its lateness."""

    state: MilestoneStatus
    due: bool
    overdue: bool
    due_soon: bool
    days_late: int

    @property
    def shown(self) -> str:
        """The status to show: "overdue" for a milestone past due, else its status."""
        return "overdue" if self.overdue else self.state.value

    @property
    def counted(self) -> bool:
        """Whether the milestone counts in figures (a cancelled one does not)."""
        return self.state != MS.CANCELLED

    @property
    def on_time(self) -> bool:
        """Whether it was accepted, and submitted by its due date."""
        return self.state == MS.ACCEPTED and self.days_late == 0

    @property
    def completed_late(self) -> bool:
        """Whether it was accepted, but submitted after its due date."""
        return self.state == MS.ACCEPTED and self.days_late > 0


def milestone_facts(
    status: str,
    due_date: dt.date,
    submitted_on: dt.date | None,
    accepted_on: dt.date | None,
    as_of: dt.date,
) -> MilestoneFacts:
    """Return what a milestone with these dates is on ``as_of``."""
    state = milestone_state(status, submitted_on, accepted_on, as_of)
    waiting = state in AWAITING_PARTNER
    if state in (MS.ACCEPTED, MS.SUBMITTED) and submitted_on is not None:
        late = max(0, (submitted_on - due_date).days)
    else:
        late = max(0, (as_of - due_date).days) if waiting else 0
    soon = waiting and as_of <= due_date <= as_of + dt.timedelta(days=due_soon_days())
    return MilestoneFacts(state, due_date <= as_of, waiting and due_date < as_of, soon, late)


def facts_of(milestone: Milestone, as_of: dt.date) -> MilestoneFacts:
    """Return what ``milestone`` is on ``as_of``."""
    return milestone_facts(
        milestone.status, milestone.due_date, milestone.submitted_on, milestone.accepted_on, as_of
    )


def overdue_condition(today: dt.date) -> ColumnElement[bool]:
    """Return the SQL condition of a milestone overdue today: ``milestone_facts`` in SQL."""
    return and_(col(Milestone.status).in_(AWAITING_PARTNER), col(Milestone.due_date) < today)


def due_soon_condition(today: dt.date) -> ColumnElement[bool]:
    """Return the SQL condition of a milestone due soon today: ``milestone_facts`` in SQL."""
    horizon = today + dt.timedelta(days=due_soon_days())
    return and_(
        col(Milestone.status).in_(AWAITING_PARTNER),
        col(Milestone.due_date) >= today,
        col(Milestone.due_date) <= horizon,
    )


def tranche_state(
    status: str, approved_on: dt.date | None, paid_on: dt.date | None, as_of: dt.date
) -> TrancheStatus:
    """Return a tranche's status on ``as_of``, from its status and its dates."""
    if status == TS.PAID and paid_on is not None and paid_on <= as_of:
        return TS.PAID
    if status == TS.CANCELLED:
        return TS.CANCELLED
    if status in (TS.PAID, TS.APPROVED) and approved_on is not None and approved_on <= as_of:
        return TS.APPROVED
    return TS.SCHEDULED


def time_elapsed(project: Any, today: dt.date) -> Decimal:
    """Return the share of the project's period that has passed, 0 to 100."""
    start = project.actual_start or project.planned_start
    end = (
        project.actual_end
        if project.status == PS.CLOSED and project.actual_end
        else project.planned_end
    )
    if today <= start:
        return Decimal("0.0")
    if today >= end:
        return Decimal("100.0")
    return percent((today - start).days, (end - start).days)
