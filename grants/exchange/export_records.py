"""The exported sheets the import passes over: programmes, calls, expenses, indicators, updates.

They complete a workbook for reading and analysis; each is one query, scoped to who asks.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col

from grants.exchange.export_common import Table, columns_of, visible_ids
from grants.models import (
    BudgetLine,
    Call,
    Expense,
    Indicator,
    IndicatorValue,
    Organisation,
    Programme,
    ProgressUpdate,
    Project,
)
from grants.services import scope
from grants.services.access import Principal


def programmes(session: Session, principal: Principal) -> Table:
    """Return the visible programmes with their managing organisation."""
    rows = session.execute(
        scope.visible(principal, Programme)
        .join(Organisation, col(Organisation.id) == col(Programme.managing_organisation_id))
        .add_columns(Organisation.ref)
        .order_by(col(Programme.code))
    ).all()
    columns = ["code", "title", "currency", "budget", "start_date", "end_date", "managed_by"]
    return Table(
        columns,
        [(p.code, p.title, p.currency, p.budget, p.start_date, p.end_date, ref) for p, ref in rows],
    )


def calls(session: Session, principal: Principal) -> Table:
    """Return the visible calls with their programme."""
    rows = session.execute(
        scope.visible(principal, Call)
        .join(Programme, col(Programme.id) == col(Call.programme_id))
        .add_columns(Programme.code)
        .order_by(col(Call.code))
    ).all()
    columns = ["code", "programme", "title", "opens_on", "closes_on", "currency", "max_amount"]
    return Table(
        columns,
        [(c.code, p, c.title, c.opens_on, c.closes_on, c.currency, c.max_amount) for c, p in rows],
    )


def expenses(session: Session, principal: Principal) -> Table:
    """Return the expenses recorded on the visible projects."""
    rows = session.execute(
        columns_of(
            Project.reference,
            BudgetLine.code,
            Organisation.ref,
            Expense.spent_on,
            Expense.amount,
            Expense.currency,
            Expense.description,
            Expense.reference,
        )
        .join(Project, col(Project.id) == col(Expense.project_id))
        .join(BudgetLine, col(BudgetLine.id) == col(Expense.budget_line_id))
        .join(Organisation, col(Organisation.id) == col(Expense.organisation_id))
        .where(col(Project.id).in_(visible_ids(principal)))
        .order_by(col(Project.reference), col(Expense.spent_on), col(Expense.id))
    ).all()
    columns = ["project_reference", "budget_line", "organisation", "spent_on", "amount"]
    return Table([*columns, "currency", "description", "reference"], list(rows))


def indicators(session: Session, principal: Principal) -> Table:
    """Return the indicators of the visible projects."""
    rows = session.execute(
        columns_of(
            Project.reference,
            Indicator.code,
            Indicator.title,
            Indicator.unit,
            Indicator.baseline,
            Indicator.target,
        )
        .join(Project, col(Project.id) == col(Indicator.project_id))
        .where(col(Project.id).in_(visible_ids(principal)))
        .order_by(col(Project.reference), col(Indicator.code))
    ).all()
    columns = ["project_reference", "code", "title", "unit", "baseline", "target"]
    return Table(columns, list(rows))


def indicator_values(session: Session, principal: Principal) -> Table:
    """Return the indicator values reported on the visible projects."""
    rows = session.execute(
        columns_of(
            Project.reference,
            Indicator.code,
            IndicatorValue.period_start,
            IndicatorValue.period_end,
            IndicatorValue.value,
            IndicatorValue.note,
        )
        .join(Project, col(Project.id) == col(IndicatorValue.project_id))
        .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
        .where(col(Project.id).in_(visible_ids(principal)))
        .order_by(col(Project.reference), col(Indicator.code), col(IndicatorValue.period_end))
    ).all()
    columns = ["project_reference", "indicator", "period_start", "period_end", "value", "note"]
    return Table(columns, list(rows))


def progress_updates(session: Session, principal: Principal) -> Table:
    """Return the progress updates the principal may see on the visible projects."""
    rows = session.execute(
        scope.visible(principal, ProgressUpdate)
        .join(Project, col(Project.id) == col(ProgressUpdate.project_id))
        .join(Organisation, col(Organisation.id) == col(ProgressUpdate.organisation_id))
        .add_columns(Project.reference, Organisation.ref)
        .order_by(col(Project.reference), col(ProgressUpdate.period_end), col(ProgressUpdate.id))
    ).all()
    columns = ["project_reference", "organisation", "period_start", "period_end", "status"]
    columns += ["overall_status", "percent_complete", "achievements", "challenges", "next_steps"]
    return Table(
        columns,
        [
            (ref, org, u.period_start, u.period_end, u.status, u.overall_status, *_texts(u))
            for u, ref, org in rows
        ],
    )


def _texts(update: ProgressUpdate) -> tuple[Any, ...]:
    return (update.percent_complete, update.achievements, update.challenges, update.next_steps)
