"""Budget lines and the expenses partners record against them."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from grants.i18n import _
from grants.models import BudgetLine, BudgetLineCreate, Expense, ExpenseCreate, Project
from grants.services.access import Principal, require_manager, require_partner_editor
from grants.services.common import get_or_404, writes
from grants.services.errors import Invalid
from grants.services.rules import check_project_money, require_open, require_reporting, rows_of


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
    """Record an expense of the acting partner against a budget line and return it."""
    organisation_id = require_partner_editor(session, principal, project, organisation_id)
    if organisation_id is None:
        raise Invalid("organisation_id", None, _("say which organisation spent the money"))
    require_reporting(project)
    line = get_or_404(session, BudgetLine, data.budget_line_id, "Budget line")
    if line.project_id != project.id:
        raise Invalid("budget_line_id", data.budget_line_id, _("not a budget line of this project"))
    check_project_money(project, "amount", data.amount, data.currency)
    if data.spent_on > today:
        raise Invalid("spent_on", data.spent_on.isoformat(), _("must not be in the future"))
    start = project.actual_start or project.planned_start
    if data.spent_on < start:
        raise Invalid(
            "spent_on",
            data.spent_on.isoformat(),
            _("must not be before the project started ({start})").format(start=start),
        )
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


def budget_lines_of(session: Session, project: Project) -> list[BudgetLine]:
    """Return the project's budget lines by code."""
    return rows_of(session, BudgetLine, project, BudgetLine.code)
