"""Each project's figures as of a day, in a fixed number of grouped queries, and its risks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col

from grants.i18n import _, format_money, ngettext
from grants.models import (
    BudgetLine,
    CoFinancing,
    Expense,
    Milestone,
    ProgressUpdate,
    Project,
    ProjectStatus,
    Tranche,
    TrancheGate,
)
from grants.services.facts.rules import (
    COUNTED_STATES,
    MS,
    OVERDUE_RISK_DAYS,
    PS,
    QUIET_DAYS,
    SCHEDULE_LAG_POINTS,
    TS,
    WATCHED,
    MilestoneFacts,
    counted_award,
    milestone_facts,
    percent,
    time_elapsed,
    tranche_state,
)
from grants.services.workflow import REPORTING_OPEN

ZERO = Decimal(0)


@dataclass(frozen=True)
class ProjectFigures:
    """One project's figures as of a day, and why it is at risk (if it is watched)."""

    project_id: int
    reference: str
    title: str
    call_id: int
    country: str
    city: str
    status: ProjectStatus
    currency: str
    contract_award: Decimal
    awarded: Decimal
    co_financed: Decimal
    disbursed: Decimal
    spent: Decimal
    budgeted: Decimal
    milestones: int
    milestones_accepted: int
    milestones_due: int
    milestones_due_accepted: int
    milestones_overdue: int
    milestones_due_soon: int
    milestones_completed_late: int
    milestones_on_time: int
    max_days_overdue: int
    tranches_releasable: int
    releasable_amount: Decimal
    pct_time_elapsed: Decimal
    last_update_on: dt.date | None
    latest_overall_status: str | None
    reasons: tuple[str, ...]

    @property
    def counted(self) -> bool:
        """Whether the project counts in totals (see ``COUNTED_STATES``)."""
        return self.status in COUNTED_STATES

    @property
    def undisbursed(self) -> Decimal:
        """The award not paid out yet."""
        return self.awarded - self.disbursed

    @property
    def remaining(self) -> Decimal:
        """The award not spent yet."""
        return self.awarded - self.spent

    @property
    def pct_milestones_accepted(self) -> Decimal:
        """The share of the milestones accepted, in percent."""
        return percent(self.milestones_accepted, self.milestones)

    @property
    def pct_budget_spent(self) -> Decimal:
        """The share of the award spent, in percent."""
        return percent(self.spent, self.awarded)

    @property
    def pct_disbursed(self) -> Decimal:
        """The share of the award paid out, in percent."""
        return percent(self.disbursed, self.awarded)


def _scoped(query: Any, column: Any, ids: list[int] | None) -> Any:
    return query if ids is None else query.where(column.in_(ids))


MONEY_KINDS = ("paid", "spent", "budgeted", "co_financed")


def _money(
    session: Session, as_of: dt.date, ids: list[int] | None
) -> dict[str, dict[int, Decimal]]:
    """Return the money of each project by kind (``MONEY_KINDS``), in one query."""
    paid = sa_select(literal("paid"), col(Tranche.project_id), func.sum(Tranche.paid_amount))
    paid = paid.where(col(Tranche.status) == TS.PAID, col(Tranche.paid_on) <= as_of)
    spent = sa_select(literal("spent"), col(Expense.project_id), func.sum(Expense.amount))
    spent = spent.where(col(Expense.spent_on) <= as_of)
    budgeted = sa_select(
        literal("budgeted"), col(BudgetLine.project_id), func.sum(BudgetLine.amount)
    )
    # Contributions in another currency wait for exchange rates: they are not added up.
    co_financed = (
        sa_select(literal("co_financed"), col(CoFinancing.project_id), func.sum(CoFinancing.amount))
        .join(Project, col(Project.id) == col(CoFinancing.project_id))
        .where(col(CoFinancing.currency) == col(Project.currency))
    )
    parts = [
        _scoped(query, column, ids).group_by(column)
        for query, column in (
            (paid, col(Tranche.project_id)),
            (spent, col(Expense.project_id)),
            (budgeted, col(BudgetLine.project_id)),
            (co_financed, col(CoFinancing.project_id)),
        )
    ]
    found: dict[str, dict[int, Decimal]] = {kind: {} for kind in MONEY_KINDS}
    for kind, pid, total in session.execute(union_all(*parts)):
        found[kind][pid] = Decimal(total or 0)
    return found


Milestones = dict[int, list[tuple[int, MilestoneFacts]]]


def milestones_as_of(session: Session, as_of: dt.date, ids: list[int] | None) -> Milestones:
    """Return each project's milestones (id, facts on ``as_of``), cancelled ones left out."""
    query = sa_select(
        col(Milestone.project_id),
        col(Milestone.id),
        col(Milestone.status),
        col(Milestone.due_date),
        col(Milestone.submitted_on),
        col(Milestone.accepted_on),
    )
    found: Milestones = defaultdict(list)
    rows = session.execute(_scoped(query, col(Milestone.project_id), ids))
    for pid, mid, status, due_date, submitted_on, accepted_on in rows:
        facts = milestone_facts(status, due_date, submitted_on, accepted_on, as_of)
        if facts.counted:
            found[pid].append((mid, facts))
    return found


def _releasable(
    session: Session, as_of: dt.date, ids: list[int] | None, accepted: set[int]
) -> dict[int, list[Decimal]]:
    """Return the amounts of each project's tranches releasable on ``as_of``."""
    gates: dict[int, set[int]] = defaultdict(set)
    query = sa_select(col(TrancheGate.tranche_id), col(TrancheGate.milestone_id))
    for tranche_id, milestone_id in session.execute(
        _scoped(query, col(TrancheGate.project_id), ids)
    ):
        gates[tranche_id].add(milestone_id)
    tranches = (
        sa_select(
            col(Tranche.project_id),
            col(Tranche.id),
            col(Tranche.amount),
            col(Tranche.status),
            col(Tranche.approved_on),
            col(Tranche.paid_on),
        )
        .join(Project, col(Project.id) == col(Tranche.project_id))
        .where(col(Project.status).in_(REPORTING_OPEN), col(Tranche.status) != TS.CANCELLED)
    )
    found: dict[int, list[Decimal]] = defaultdict(list)
    rows = session.execute(_scoped(tranches, col(Tranche.project_id), ids))
    for pid, tid, amount, status, approved_on, paid_on in rows:
        state = tranche_state(status, approved_on, paid_on, as_of)
        if state == TS.SCHEDULED and gates[tid] <= accepted:
            found[pid].append(Decimal(amount))
    return found


def _latest_updates(
    session: Session, as_of: dt.date, ids: list[int] | None
) -> dict[int, tuple[dt.date, str]]:
    """Return each project's latest update submitted by ``as_of`` (whatever its review)."""
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
    ).where(col(ProgressUpdate.submitted_on) <= as_of)
    ranked = _scoped(ranked, col(ProgressUpdate.project_id), ids).subquery()
    rows = session.execute(
        sa_select(ranked.c.project_id, ranked.c.submitted_on, ranked.c.overall_status).where(
            ranked.c.rank == 1
        )
    ).all()
    return {pid: (on, str(getattr(status, "value", status))) for pid, on, status in rows}


PROJECT_COLUMNS = (
    col(Project.id),
    col(Project.reference),
    col(Project.title),
    col(Project.call_id),
    col(Project.country),
    col(Project.city),
    col(Project.status),
    col(Project.status_reason),
    col(Project.currency),
    col(Project.awarded_amount),
    col(Project.planned_start),
    col(Project.planned_end),
    col(Project.actual_start),
    col(Project.actual_end),
)


@dataclass(frozen=True)
class _Known:
    """What the grouped queries found, for every project asked about."""

    money: dict[str, dict[int, Decimal]]
    milestones: Milestones
    releasable: dict[int, list[Decimal]]
    updates: dict[int, tuple[dt.date, str]]


def project_figures(
    session: Session, as_of: dt.date, project_ids: list[int] | None = None
) -> dict[int, ProjectFigures]:
    """Return the figures of each project (all, or those in ``project_ids``) by id."""
    query = _scoped(sa_select(*PROJECT_COLUMNS), col(Project.id), project_ids)
    projects = list(session.execute(query).mappings())
    milestones = milestones_as_of(session, as_of, project_ids)
    accepted = {mid for found in milestones.values() for mid, f in found if f.state == MS.ACCEPTED}
    known = _Known(
        money=_money(session, as_of, project_ids),
        milestones=milestones,
        releasable=_releasable(session, as_of, project_ids, accepted),
        updates=_latest_updates(session, as_of, project_ids),
    )
    return {row["id"]: _figures(row, known, as_of) for row in projects}


class _Dates:
    """The fields ``time_elapsed`` reads, from a row of ``PROJECT_COLUMNS``."""

    def __init__(self, row: Any) -> None:
        self.status = ProjectStatus(row["status"])
        self.planned_start, self.planned_end = row["planned_start"], row["planned_end"]
        self.actual_start, self.actual_end = row["actual_start"], row["actual_end"]


def _figures(row: Any, known: _Known, as_of: dt.date) -> ProjectFigures:
    pid, status = row["id"], ProjectStatus(row["status"])
    paid = known.money["paid"].get(pid, ZERO)
    states = [facts for _id, facts in known.milestones.get(pid, [])]
    overdue = [f.days_late for f in states if f.overdue]
    ready = known.releasable.get(pid, [])
    last = known.updates.get(pid)
    figures = ProjectFigures(
        project_id=pid,
        reference=row["reference"],
        title=row["title"],
        call_id=row["call_id"],
        country=row["country"],
        city=row["city"],
        status=status,
        currency=row["currency"],
        contract_award=row["awarded_amount"],
        awarded=counted_award(status, row["awarded_amount"], paid),
        co_financed=known.money["co_financed"].get(pid, ZERO),
        disbursed=paid,
        spent=known.money["spent"].get(pid, ZERO),
        budgeted=known.money["budgeted"].get(pid, ZERO),
        milestones=len(states),
        milestones_accepted=sum(f.state == MS.ACCEPTED for f in states),
        milestones_due=sum(f.due for f in states),
        milestones_due_accepted=sum(f.due and f.state == MS.ACCEPTED for f in states),
        milestones_overdue=len(overdue),
        milestones_due_soon=sum(f.due_soon for f in states),
        milestones_completed_late=sum(f.completed_late for f in states),
        milestones_on_time=sum(f.on_time for f in states),
        max_days_overdue=max(overdue, default=0),
        tranches_releasable=len(ready),
        releasable_amount=sum(ready, ZERO),
        pct_time_elapsed=time_elapsed(_Dates(row), as_of),
        last_update_on=last[0] if last else None,
        latest_overall_status=last[1] if last else None,
        reasons=(),
    )
    if status not in WATCHED:
        return figures
    started = row["actual_start"] or row["planned_start"]
    return replace(figures, reasons=risk_reasons(figures, row["status_reason"], started, as_of))


def risk_reasons(
    figures: ProjectFigures, status_reason: str | None, started: dt.date, today: dt.date
) -> tuple[str, ...]:
    """Return why a project with ``figures`` is at risk as of ``today`` (empty when it is not)."""
    reasons: list[str] = []
    if figures.status == PS.SUSPENDED:
        reasons.append(_("Suspended: {reason}").format(reason=status_reason))
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
                spent=format_money(figures.spent, figures.currency),
                award=format_money(figures.awarded, figures.currency),
            )
        )
    last = figures.last_update_on or started
    if figures.status != PS.SUSPENDED and (today - last).days > QUIET_DAYS:
        reasons.append(
            _("No progress update submitted for {days} days").format(days=(today - last).days)
        )
    return tuple(reasons)


@dataclass(frozen=True)
class BudgetBalance:
    """A budget line with what was spent on it, and what remains of it."""

    line: BudgetLine
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.line.amount - self.spent

    @property
    def pct_spent(self) -> Decimal:
        return percent(self.spent, self.line.amount)


def budget_balances(session: Session, project_id: int) -> list[BudgetBalance]:
    """Return the project's budget lines, by code, each with the expenses recorded on it."""
    spent = dict(
        session.execute(
            sa_select(col(Expense.budget_line_id), func.sum(Expense.amount))
            .where(col(Expense.project_id) == project_id)
            .group_by(col(Expense.budget_line_id))
        ).all()
    )
    lines = session.scalars(
        sa_select(BudgetLine)
        .where(col(BudgetLine.project_id) == project_id)
        .order_by(col(BudgetLine.code), col(BudgetLine.id))
    ).all()
    return [BudgetBalance(line, Decimal(spent.get(line.id) or 0)) for line in lines]
