"""Facts derived from the data and an injectable "today"; none of them is ever stored.

Each question is answered by a fixed number of grouped queries, whatever the number of
projects, so dashboards and reports stay fast on large portfolios.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from grants.i18n import _, format_money, ngettext
from grants.models import (
    BudgetLine,
    Expense,
    Milestone,
    MilestoneStatus,
    ProgressUpdate,
    Project,
    ProjectStatus,
    Tranche,
    TrancheStatus,
)

# Milestones waiting for the partner's work; a submitted one waits for the manager, and its
# lateness was fixed on the day it was submitted.
AWAITING_PARTNER = (
    MilestoneStatus.PLANNED,
    MilestoneStatus.IN_PROGRESS,
    MilestoneStatus.RETURNED,
)
DELIVERED = (MilestoneStatus.SUBMITTED, MilestoneStatus.ACCEPTED)
OVERDUE_RISK_DAYS = 30
SCHEDULE_LAG_POINTS = Decimal(30)
QUIET_DAYS = 90
WATCHED = (ProjectStatus.ACTIVE, ProjectStatus.FINALISING, ProjectStatus.SUSPENDED)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal:
    """Return ``part`` as a percentage of ``whole`` to one decimal (0 when ``whole`` is 0)."""
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def is_overdue(milestone: Milestone, today: dt.date) -> bool:
    """Return whether a milestone still waiting for the partner is past its due date."""
    return milestone.status in AWAITING_PARTNER and milestone.due_date < today


def completed_late(milestone: Milestone) -> bool:
    """Return whether an accepted milestone was submitted after its due date."""
    return (
        milestone.status == MilestoneStatus.ACCEPTED
        and milestone.submitted_on is not None
        and milestone.submitted_on > milestone.due_date
    )


def days_late(milestone: Milestone, today: dt.date) -> int:
    """Return how many days late a milestone is (open) or was (delivered); 0 if on time."""
    if milestone.status in DELIVERED and milestone.submitted_on:
        return max(0, (milestone.submitted_on - milestone.due_date).days)
    if is_overdue(milestone, today):
        return (today - milestone.due_date).days
    return 0


def _scoped(query: Any, column: Any, project_ids: list[int] | None) -> Any:
    return query if project_ids is None else query.where(column.in_(project_ids))


def overdue_milestones(
    session: Session, today: dt.date, project_ids: list[int] | None = None
) -> list[Milestone]:
    """Return milestones waiting for the partner past their due date, oldest first."""
    query = select(Milestone).where(
        col(Milestone.status).in_(AWAITING_PARTNER), Milestone.due_date < today
    )
    query = _scoped(query, col(Milestone.project_id), project_ids)
    return list(session.exec(query.order_by(col(Milestone.due_date), col(Milestone.id))).all())


def milestones_due_within(
    session: Session, today: dt.date, days: int = 30, project_ids: list[int] | None = None
) -> list[Milestone]:
    """Return milestones waiting for the partner, due from today to ``days`` ahead."""
    query = select(Milestone).where(
        col(Milestone.status).in_(AWAITING_PARTNER),
        Milestone.due_date >= today,
        Milestone.due_date <= today + dt.timedelta(days=days),
    )
    query = _scoped(query, col(Milestone.project_id), project_ids)
    return list(session.exec(query.order_by(col(Milestone.due_date), col(Milestone.id))).all())


def completed_late_milestones(
    session: Session, project_ids: list[int] | None = None
) -> list[Milestone]:
    """Return accepted milestones that were submitted after their due date."""
    query = select(Milestone).where(
        Milestone.status == MilestoneStatus.ACCEPTED,
        col(Milestone.submitted_on) > col(Milestone.due_date),
    )
    query = _scoped(query, col(Milestone.project_id), project_ids)
    return list(
        session.exec(query.order_by(col(Milestone.project_id), col(Milestone.position))).all()
    )


@dataclass(frozen=True)
class ProjectFigures:
    """Key figures of one project as of a date."""

    project_id: int
    awarded: Decimal
    disbursed: Decimal
    spent: Decimal
    budgeted: Decimal
    milestones: int
    milestones_accepted: int
    milestones_overdue: int
    max_days_overdue: int
    pct_time_elapsed: Decimal
    last_update_on: dt.date | None
    latest_overall_status: str | None

    @property
    def undisbursed(self) -> Decimal:
        return self.awarded - self.disbursed

    @property
    def remaining(self) -> Decimal:
        return self.awarded - self.spent

    @property
    def pct_milestones_accepted(self) -> Decimal:
        return percent(self.milestones_accepted, self.milestones)

    @property
    def pct_budget_spent(self) -> Decimal:
        return percent(self.spent, self.awarded)

    @property
    def pct_disbursed(self) -> Decimal:
        return percent(self.disbursed, self.awarded)


def time_elapsed(project: Any, today: dt.date) -> Decimal:
    """Return the share of the project's period that has passed, 0 to 100."""
    start = project.actual_start or project.planned_start
    end = (
        project.actual_end
        if project.status == ProjectStatus.CLOSED and project.actual_end
        else project.planned_end
    )
    if today <= start:
        return Decimal("0.0")
    if today >= end:
        return Decimal("100.0")
    return percent((today - start).days, (end - start).days)


def _sums(session: Session, column: Any, key: Any, *where: Any) -> dict[int, Decimal]:
    rows = session.execute(sa_select(key, func.sum(column)).where(*where).group_by(key)).all()
    return {project_id: Decimal(total or 0) for project_id, total in rows}


def _milestone_counts(
    session: Session, today: dt.date, ids: list[int] | None
) -> dict[int, tuple[int, int, int, dt.date | None]]:
    overdue = col(Milestone.status).in_(AWAITING_PARTNER) & (Milestone.due_date < today)
    query = sa_select(
        col(Milestone.project_id),
        func.sum(case((col(Milestone.status) != MilestoneStatus.CANCELLED, 1), else_=0)),
        func.sum(case((col(Milestone.status) == MilestoneStatus.ACCEPTED, 1), else_=0)),
        func.sum(case((overdue, 1), else_=0)),
        func.min(case((overdue, col(Milestone.due_date)), else_=None)),
    ).group_by(col(Milestone.project_id))
    rows = session.execute(_scoped(query, col(Milestone.project_id), ids)).all()
    return {r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3] or 0), r[4]) for r in rows}


def _latest_updates(session: Session, ids: list[int] | None) -> dict[int, tuple[dt.date, str]]:
    """Return each project's latest submitted update (whatever its review): date, status."""
    ranked = sa_select(
        col(ProgressUpdate.project_id),
        col(ProgressUpdate.submitted_on),
        col(ProgressUpdate.overall_status),
        func.row_number()
        .over(
            partition_by=col(ProgressUpdate.project_id),
            order_by=(col(ProgressUpdate.submitted_on).desc(), col(ProgressUpdate.id).desc()),
        )
        .label("rank"),
    ).where(col(ProgressUpdate.submitted_on).is_not(None))
    ranked = _scoped(ranked, col(ProgressUpdate.project_id), ids).subquery()
    rows = session.execute(
        sa_select(
            ranked.c.project_id,
            ranked.c.submitted_on,
            ranked.c.overall_status,
        ).where(ranked.c.rank == 1)
    ).all()
    return {project_id: (on, str(status)) for project_id, on, status in rows}


def project_figures(
    session: Session, today: dt.date, project_ids: list[int] | None = None
) -> dict[int, ProjectFigures]:
    """Return the key figures of each project (all, or those in ``project_ids``) by id."""
    projects = session.exec(_scoped(select(Project), col(Project.id), project_ids)).all()
    ids = project_ids
    paid = _sums(
        session,
        Tranche.paid_amount,
        Tranche.project_id,
        Tranche.status == TrancheStatus.PAID,
        *([col(Tranche.project_id).in_(ids)] if ids is not None else []),
    )
    spent = _sums(
        session,
        Expense.amount,
        Expense.project_id,
        *([col(Expense.project_id).in_(ids)] if ids is not None else []),
    )
    budgeted = _sums(
        session,
        BudgetLine.amount,
        BudgetLine.project_id,
        *([col(BudgetLine.project_id).in_(ids)] if ids is not None else []),
    )
    counts = _milestone_counts(session, today, ids)
    updates = _latest_updates(session, ids)
    zero = Decimal(0)
    figures = {}
    for project in projects:
        pid = project.id
        assert pid is not None
        total, accepted, overdue, oldest = counts.get(pid, (0, 0, 0, None))
        last = updates.get(pid)
        figures[pid] = ProjectFigures(
            project_id=pid,
            awarded=project.awarded_amount,
            disbursed=paid.get(pid, zero),
            spent=spent.get(pid, zero),
            budgeted=budgeted.get(pid, zero),
            milestones=total,
            milestones_accepted=accepted,
            milestones_overdue=overdue,
            max_days_overdue=(today - oldest).days if oldest else 0,
            pct_time_elapsed=time_elapsed(project, today),
            last_update_on=last[0] if last else None,
            latest_overall_status=last[1] if last else None,
        )
    return figures


@dataclass(frozen=True)
class AtRisk:
    """A project that needs the grant manager's attention, and why."""

    project: Project
    reasons: tuple[str, ...]


class RiskSubject(Protocol):
    """What ``risk_reasons`` reads of a project (a row, or a report's record of one)."""

    @property
    def status(self) -> ProjectStatus: ...
    @property
    def status_reason(self) -> str | None: ...
    @property
    def currency(self) -> str: ...
    @property
    def planned_start(self) -> dt.date: ...
    @property
    def actual_start(self) -> dt.date | None: ...


def risk_reasons(project: RiskSubject, figures: ProjectFigures, today: dt.date) -> list[str]:
    """Return why ``project`` is at risk as of ``today`` (empty when it is not)."""
    reasons: list[str] = []
    if project.status == ProjectStatus.SUSPENDED:
        reasons.append(_("Suspended: {reason}").format(reason=project.status_reason))
    if figures.max_days_overdue > OVERDUE_RISK_DAYS:
        reasons.append(
            ngettext(
                "{n} milestone overdue, the oldest by {days} days",
                "{n} milestones overdue, the oldest by {days} days",
                figures.milestones_overdue,
            ).format(n=figures.milestones_overdue, days=figures.max_days_overdue)
        )
    if figures.latest_overall_status in {"at_risk", "off_track"}:
        reasons.append(
            _("The latest progress update reports the action {status}").format(
                status=figures.latest_overall_status.replace("_", " ")
            )
        )
    lag = figures.pct_time_elapsed - figures.pct_milestones_accepted
    if figures.milestones and lag > SCHEDULE_LAG_POINTS:
        reasons.append(
            _("{time}% of the time has elapsed but only {done}% of milestones are accepted").format(
                time=figures.pct_time_elapsed, done=figures.pct_milestones_accepted
            )
        )
    if figures.spent > figures.awarded:
        reasons.append(
            _("Expenses of {spent} exceed the award of {award}").format(
                spent=format_money(figures.spent, project.currency),
                award=format_money(figures.awarded, project.currency),
            )
        )
    started = project.actual_start or project.planned_start
    last = figures.last_update_on or started
    if project.status != ProjectStatus.SUSPENDED and (today - last).days > QUIET_DAYS:
        reasons.append(
            _("No progress update submitted for {days} days").format(days=(today - last).days)
        )
    return reasons


def at_risk_projects(
    session: Session, today: dt.date, project_ids: list[int] | None = None
) -> list[AtRisk]:
    """Return the active, finalising or suspended projects at risk, with their reasons."""
    query = select(Project).where(col(Project.status).in_(WATCHED))
    projects = session.exec(
        _scoped(query, col(Project.id), project_ids).order_by(col(Project.reference))
    ).all()
    figures = project_figures(session, today, [p.id for p in projects if p.id is not None])
    flagged = []
    for project in projects:
        assert project.id is not None
        reasons = risk_reasons(project, figures[project.id], today)
        if reasons:
            flagged.append(AtRisk(project, tuple(reasons)))
    return flagged
