"""Budget lines and the expenses partners record against them."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from grants.i18n import _
from grants.models import (
    BudgetLine,
    BudgetLineCreate,
    BudgetLineUpdate,
    Expense,
    ExpenseCreate,
    ExpenseUpdate,
    Project,
)
from grants.services.access import Principal, require_manager, require_partner_editor
from grants.services.common import apply_changes, writes
from grants.services.errors import Invalid, NotAllowed
from grants.services.rules import (
    check_project_money,
    check_version,
    require_open,
    require_reporting,
    rows_of,
)


@writes
def add_budget_line(
    session: Session, principal: Principal, project: Project, data: BudgetLineCreate
) -> BudgetLine:
    """Add a planned budget line in the project's currency and return it."""
    require_manager(session, principal, project)
    require_open(project)
    check_project_money(project, "amount", data.amount, data.currency)
    line = BudgetLine.model_validate(data, update={"project_id": project.id})
    session.add(line)
    return line


@writes
def record_expense(
    session: Session,
    principal: Principal,
    project: Project,
    data: ExpenseCreate,
    *,
    today: dt.date,
    organisation_id: int | None = None,
) -> Expense:
    """Record an expense of the acting partner against a budget line and return it.

    The amount must be in the project's currency, with no more decimal places than that
    currency has; a budget line that does not exist is refused like another project's.
    """
    organisation_id = require_partner_editor(session, principal, project, organisation_id)
    if organisation_id is None:
        raise Invalid("organisation_id", None, _("say which organisation spent the money"))
    require_reporting(project)
    line = session.get(BudgetLine, data.budget_line_id)
    if line is None or line.project_id != project.id:
        raise Invalid("budget_line_id", data.budget_line_id, _("not a budget line of this project"))
    check_project_money(project, "amount", data.amount, data.currency)
    _check_spent_on(project, data.spent_on, today)
    expense = Expense.model_validate(
        data,
        update={
            "project_id": project.id,
            "organisation_id": organisation_id,
            "recorded_by_id": principal.user_id,
        },
    )
    session.add(expense)
    return expense


@writes
def update_budget_line(
    session: Session,
    principal: Principal,
    project: Project,
    line: BudgetLine,
    data: BudgetLineUpdate,
    expected_version: int | None = None,
) -> BudgetLine:
    """Apply the fields set in ``data`` to a budget line of an open project."""
    require_manager(session, principal, project)
    check_version(line, expected_version)
    require_open(project)
    apply_changes(line, BudgetLineCreate, data.model_dump(exclude_unset=True))
    check_project_money(project, "amount", line.amount, line.currency)
    session.add(line)
    return line


def _own_expense(
    session: Session, principal: Principal, project: Project, expense: Expense
) -> None:
    organisation_id = require_partner_editor(session, principal, project, expense.organisation_id)
    if organisation_id != expense.organisation_id:
        raise NotAllowed(_("Only the organisation that recorded an expense may change it."))
    require_reporting(project)


@writes
def update_expense(
    session: Session,
    principal: Principal,
    project: Project,
    expense: Expense,
    data: ExpenseUpdate,
    *,
    today: dt.date,
    expected_version: int | None = None,
) -> Expense:
    """Correct an expense (its own organisation's editors, while reporting is open)."""
    _own_expense(session, principal, project, expense)
    check_version(expense, expected_version)
    apply_changes(expense, ExpenseCreate, data.model_dump(exclude_unset=True))
    check_project_money(project, "amount", expense.amount, expense.currency)
    _check_spent_on(project, expense.spent_on, today)
    session.add(expense)
    return expense


@writes
def delete_expense(
    session: Session,
    principal: Principal,
    project: Project,
    expense: Expense,
    expected_version: int | None = None,
) -> None:
    """Delete an expense recorded by mistake (its own organisation, while reporting)."""
    _own_expense(session, principal, project, expense)
    check_version(expense, expected_version)
    session.delete(expense)


def budget_lines_of(session: Session, project: Project) -> list[BudgetLine]:
    """Return the project's budget lines by code."""
    return rows_of(session, BudgetLine, project, BudgetLine.code)


def _check_spent_on(project: Project, spent_on: dt.date, today: dt.date) -> None:
    if spent_on > today:
        raise Invalid("spent_on", spent_on.isoformat(), _("must not be in the future"))
    start = project.actual_start or project.planned_start
    if spent_on < start:
        raise Invalid(
            "spent_on",
            spent_on.isoformat(),
            _("must not be before the project started ({start})").format(start=start),
        )
