"""The data behind every report: SQL selects read by pandas, then aggregated as of a date.

Every figure is as of the report's date: a milestone counts as accepted once its acceptance
date has come, a tranche as paid once its payment date has, an expense once it was spent, an
indicator value once its period has ended, a narrative once it was approved.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import ColumnCollection, Select, Table, and_, select
from sqlalchemy.orm import Session

from grants.models import (
    BudgetLine,
    Call,
    Expense,
    Indicator,
    IndicatorValue,
    Milestone,
    MilestoneStatus,
    Organisation,
    PartnerRole,
    Programme,
    ProgressUpdate,
    Project,
    ProjectPartner,
    ReviewStatus,
    Tranche,
    TrancheGate,
    TrancheStatus,
)
from grants.services import facts

ZERO = Decimal(0)


def table(model: Any) -> Table:
    """The table of a SQLModel class (its columns carry the types that convert values)."""
    found: Table = model.__table__
    return found


def c(model: Any) -> ColumnCollection[str, Any]:
    """The columns of a model's table."""
    return table(model).c


def read(session: Session, statement: Select[Any]) -> pd.DataFrame:
    """Run ``statement`` and return its rows as a frame (types converted by the columns).

    The rows go in as plain tuples: a SQLAlchemy ``Row`` is not one, so pandas would probe
    every row for a ``dtype`` attribute, each miss raising inside SQLAlchemy, before
    converting it to a tuple anyway.
    """
    result = session.execute(statement)
    return pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))


def _in(column: Any, ids: list[int]) -> Any:
    return column.in_(ids)


def projects(session: Session, ids: list[int]) -> pd.DataFrame:
    """One row per project: identity, terms, call, programme and lead grantee."""
    lead = table(ProjectPartner).alias("lead")
    lead_org = table(Organisation).alias("lead_org")
    statement = (
        select(
            c(Project).id.label("project_id"),
            c(Project).reference,
            c(Project).title,
            c(Project).summary,
            c(Project).city,
            c(Project).country,
            c(Project).status,
            c(Project).status_reason,
            c(Project).currency,
            c(Project).awarded_amount.label("awarded"),
            c(Project).planned_start,
            c(Project).planned_end,
            c(Project).actual_start,
            c(Project).actual_end,
            c(Call).code.label("call"),
            c(Programme).code.label("programme"),
            c(Programme).title.label("programme_title"),
            lead_org.c.name.label("lead"),
        )
        .join(Call, c(Call).id == c(Project).call_id)
        .join(Programme, c(Programme).id == c(Call).programme_id)
        .outerjoin(lead, and_(lead.c.project_id == c(Project).id, lead.c.role == PartnerRole.LEAD))
        .outerjoin(lead_org, lead_org.c.id == lead.c.organisation_id)
        .where(_in(c(Project).id, ids))
        .order_by(c(Project).reference)
    )
    frame = read(session, statement)
    frame["status"] = frame["status"].map(lambda status: getattr(status, "value", status))
    return frame


def partners(session: Session, ids: list[int]) -> pd.DataFrame:
    """The partners of the projects, lead first."""
    statement = (
        select(
            c(ProjectPartner).project_id,
            c(Organisation).name,
            c(Organisation).kind,
            c(Organisation).country,
            c(Organisation).city,
            c(ProjectPartner).role,
        )
        .join(Organisation, c(Organisation).id == c(ProjectPartner).organisation_id)
        .where(_in(c(ProjectPartner).project_id, ids))
    )
    frame = read(session, statement)
    for column in ("kind", "role"):
        frame[column] = frame[column].map(lambda value: getattr(value, "value", value))
    frame["lead_first"] = frame["role"] != PartnerRole.LEAD.value
    return frame.sort_values(["project_id", "lead_first", "name"]).drop(columns="lead_first")


def milestones(session: Session, ids: list[int], as_of: dt.date) -> pd.DataFrame:
    """The milestones with their status, lateness and completion as of ``as_of``."""
    statement = (
        select(
            c(Milestone).id.label("milestone_id"),
            c(Milestone).project_id,
            c(Milestone).position,
            c(Milestone).title,
            c(Milestone).baseline_due_date,
            c(Milestone).due_date,
            c(Milestone).status,
            c(Milestone).submitted_on,
            c(Milestone).accepted_on,
            c(Organisation).name.label("responsible"),
        )
        .outerjoin(Organisation, c(Organisation).id == c(Milestone).responsible_organisation_id)
        .where(_in(c(Milestone).project_id, ids))
        .order_by(c(Milestone).project_id, c(Milestone).position)
    )
    frame = read(session, statement)
    frame["status"] = frame["status"].map(lambda status: getattr(status, "value", status))
    found = [
        facts.milestone_facts(status, due, submitted, accepted, as_of)
        for status, due, submitted, accepted in zip(
            frame["status"],
            frame["due_date"],
            frame["submitted_on"],
            frame["accepted_on"],
            strict=True,
        )
    ]
    frame["status_as_of"] = [f.state.value for f in found]
    frame["shown"] = [f.shown for f in found]
    frame["completed_on"] = [
        accepted if f.state == MilestoneStatus.ACCEPTED else None
        for f, accepted in zip(found, frame["accepted_on"], strict=True)
    ]
    frame["days_late"] = [f.days_late for f in found]
    frame["overdue"] = pd.Series([f.overdue for f in found], index=frame.index, dtype=bool)
    frame["on_time"] = pd.Series([f.on_time for f in found], index=frame.index, dtype=bool)
    return frame


def tranches(session: Session, ids: list[int], as_of: dt.date) -> pd.DataFrame:
    """The tranches with their gates and what had been paid by ``as_of``."""
    statement = (
        select(
            c(Tranche).id.label("tranche_id"),
            c(Tranche).project_id,
            c(Tranche).position,
            c(Tranche).amount,
            c(Tranche).currency,
            c(Tranche).planned_date,
            c(Tranche).status,
            c(Tranche).approved_on,
            c(Tranche).paid_on,
            c(Tranche).paid_amount,
        )
        .where(_in(c(Tranche).project_id, ids))
        .order_by(c(Tranche).project_id, c(Tranche).position)
    )
    frame = read(session, statement)
    frame["status"] = [
        facts.tranche_state(getattr(status, "value", status), approved, paid, as_of).value
        for status, approved, paid in zip(
            frame["status"], frame["approved_on"], frame["paid_on"], strict=True
        )
    ]
    frame["paid_as_of"] = [
        amount if status == TrancheStatus.PAID.value else ZERO
        for amount, status in zip(frame["paid_amount"], frame["status"], strict=True)
    ]
    gates = read(
        session,
        select(c(TrancheGate).tranche_id, c(Milestone).position)
        .join(Milestone, c(Milestone).id == c(TrancheGate).milestone_id)
        .where(_in(c(TrancheGate).project_id, ids)),
    )
    by_tranche = gates.groupby("tranche_id")["position"].apply(
        lambda p: ", ".join(map(str, sorted(p)))
    )
    frame["gates"] = [by_tranche.get(tranche, "") for tranche in frame["tranche_id"]]
    return frame


def budget(session: Session, ids: list[int], as_of: dt.date) -> pd.DataFrame:
    """Planned and spent amounts by project and budget category, as of ``as_of``."""
    planned = read(
        session,
        select(
            c(BudgetLine).project_id, c(BudgetLine).category, c(BudgetLine).amount.label("planned")
        ).where(_in(c(BudgetLine).project_id, ids)),
    )
    spent = read(
        session,
        select(c(Expense).project_id, c(BudgetLine).category, c(Expense).amount.label("actual"))
        .join(BudgetLine, c(BudgetLine).id == c(Expense).budget_line_id)
        .where(_in(c(Expense).project_id, ids), c(Expense).spent_on <= as_of),
    )
    for frame in (planned, spent):
        frame["category"] = frame["category"].map(lambda value: getattr(value, "value", value))
    keys = ["project_id", "category"]
    planned = planned.groupby(keys, as_index=False)["planned"].agg(_total)
    spent = spent.groupby(keys, as_index=False)["actual"].agg(_total)
    merged = planned.merge(spent, on=keys, how="outer")
    merged[["planned", "actual"]] = merged[["planned", "actual"]].map(
        lambda value: ZERO if value is None or value != value else value
    )
    merged["variance"] = merged["planned"] - merged["actual"]
    return merged.sort_values(keys).reset_index(drop=True)


def _total(values: pd.Series) -> Decimal:
    return sum((Decimal(value) for value in values if value is not None), ZERO)


def indicators(session: Session, ids: list[int], as_of: dt.date) -> pd.DataFrame:
    """Each indicator with its baseline, target and latest value reported by ``as_of``."""
    frame = read(
        session,
        select(
            c(Indicator).id.label("indicator_id"),
            c(Indicator).project_id,
            c(Indicator).code,
            c(Indicator).title,
            c(Indicator).unit,
            c(Indicator).baseline,
            c(Indicator).target,
        )
        .where(_in(c(Indicator).project_id, ids))
        .order_by(c(Indicator).project_id, c(Indicator).code),
    )
    values = read(
        session,
        select(
            c(IndicatorValue).indicator_id, c(IndicatorValue).period_end, c(IndicatorValue).value
        )
        .where(_in(c(IndicatorValue).project_id, ids), c(IndicatorValue).period_end <= as_of)
        .order_by(c(IndicatorValue).indicator_id, c(IndicatorValue).period_end),
    )
    latest = values.groupby("indicator_id").last()
    frame["actual"] = (
        frame["indicator_id"]
        .map(latest["value"])
        .map(lambda value: None if value != value else value)
    )
    frame["reported_to"] = frame["indicator_id"].map(latest["period_end"])
    return frame


def updates(session: Session, ids: list[int], as_of: dt.date) -> pd.DataFrame:
    """Progress updates submitted by ``as_of``, newest first, with their review as of then."""
    frame = read(
        session,
        select(
            c(ProgressUpdate).project_id,
            c(ProgressUpdate).period_start,
            c(ProgressUpdate).period_end,
            c(ProgressUpdate).overall_status,
            c(ProgressUpdate).percent_complete,
            c(ProgressUpdate).achievements,
            c(ProgressUpdate).challenges,
            c(ProgressUpdate).next_steps,
            c(ProgressUpdate).submitted_on,
            c(ProgressUpdate).reviewed_on,
            c(ProgressUpdate).status,
        )
        .where(
            _in(c(ProgressUpdate).project_id, ids),
            c(ProgressUpdate).submitted_on.is_not(None),
            c(ProgressUpdate).submitted_on <= as_of,
        )
        .order_by(
            c(ProgressUpdate).project_id,
            c(ProgressUpdate).submitted_on.desc(),
            c(ProgressUpdate).id.desc(),
        ),
    )
    for column in ("overall_status", "status"):
        frame[column] = frame[column].map(lambda value: getattr(value, "value", value))
    frame["approved"] = (frame["status"] == ReviewStatus.APPROVED.value) & frame["reviewed_on"].map(
        lambda day: day is not None and day <= as_of
    )
    return frame
