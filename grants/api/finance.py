"""Budget lines (the plan) and expenses (what partners spent against it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from grants.api.cache import cached_read
from grants.api.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    Ident,
    IfMatch,
    Page,
    matching,
    one,
    page_of,
)
from grants.api.deps import ApiPrincipal
from grants.api.schemas import BudgetLineIn, BudgetLinePatch, ExpenseIn, ExpensePatch
from grants.http.deps import ReadDB, Today, WriteDB
from grants.models import BudgetLine, BudgetLineRead, Expense, ExpenseRead, Project
from grants.services import budgets, scope, search

router = APIRouter(responses=READ_ERRORS)


@router.get("/budget-lines", response_model=Page[BudgetLineRead])
@cached_read
def list_budget_lines(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.BudgetLineFilters, Query()],
) -> Response:
    """List the budget lines of the projects you see."""
    rows = search.budget_lines(db, principal, filters)
    return page_of(request, rows, BudgetLineRead)


@router.get("/budget-lines/{line_id}", response_model=BudgetLineRead)
@cached_read
def get_budget_line(
    request: Request, response: Response, line_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one budget line."""
    line = scope.get_visible(db, principal, BudgetLine, line_id)
    return one(request, response, line, BudgetLineRead)


@router.post(
    "/projects/{project_id}/budget-lines",
    response_model=BudgetLineRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def create_budget_line(
    request: Request,
    response: Response,
    project_id: Ident,
    body: BudgetLineIn,
    principal: ApiPrincipal,
    db: WriteDB,
) -> Response:
    """Add a planned budget line in the project's currency (its grant manager)."""
    project = scope.get_visible(db, principal, Project, project_id)
    line = budgets.add_budget_line(db, principal, project, body)
    return one(request, response, line, BudgetLineRead)


@router.patch("/budget-lines/{line_id}", response_model=BudgetLineRead, responses=WRITE_ERRORS)
def patch_budget_line(
    request: Request,
    response: Response,
    line_id: Ident,
    body: BudgetLinePatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
) -> Response:
    """Change a budget line of an open project (its grant manager)."""
    line = scope.get_visible(db, principal, BudgetLine, line_id)
    version = matching(line, BudgetLineRead, if_match)
    project = scope.get_visible(db, principal, Project, line.project_id)
    line = budgets.update_budget_line(db, principal, project, line, body, version)
    return one(request, response, line, BudgetLineRead)


@router.get("/expenses", response_model=Page[ExpenseRead])
@cached_read
def list_expenses(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.ExpenseFilters, Query()],
) -> Response:
    """List the expenses recorded on the projects you see."""
    return page_of(request, search.expenses(db, principal, filters), ExpenseRead)


@router.get("/expenses/{expense_id}", response_model=ExpenseRead)
@cached_read
def get_expense(
    request: Request, response: Response, expense_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one expense."""
    expense = scope.get_visible(db, principal, Expense, expense_id)
    return one(request, response, expense, ExpenseRead)


@router.post(
    "/projects/{project_id}/expenses",
    response_model=ExpenseRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def create_expense(
    request: Request,
    response: Response,
    project_id: Ident,
    body: ExpenseIn,
    principal: ApiPrincipal,
    db: WriteDB,
    day: Today,
) -> Response:
    """Record an expense against a budget line (a partner editor, while reporting is open)."""
    project = scope.get_visible(db, principal, Project, project_id)
    expense = budgets.record_expense(
        db, principal, project, body, today=day, organisation_id=body.organisation_id
    )
    return one(request, response, expense, ExpenseRead)


@router.patch("/expenses/{expense_id}", response_model=ExpenseRead, responses=WRITE_ERRORS)
def patch_expense(
    request: Request,
    response: Response,
    expense_id: Ident,
    body: ExpensePatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
    day: Today,
) -> Response:
    """Correct an expense (editors of the organisation that recorded it)."""
    expense = scope.get_visible(db, principal, Expense, expense_id)
    version = matching(expense, ExpenseRead, if_match)
    project = scope.get_visible(db, principal, Project, expense.project_id)
    expense = budgets.update_expense(
        db, principal, project, expense, body, today=day, expected_version=version
    )
    return one(request, response, expense, ExpenseRead)


@router.delete("/expenses/{expense_id}", status_code=204, responses=WRITE_ERRORS)
def delete_expense(
    expense_id: Ident, principal: ApiPrincipal, db: WriteDB, if_match: IfMatch
) -> Response:
    """Delete an expense recorded by mistake (editors of the organisation that recorded it)."""
    expense = scope.get_visible(db, principal, Expense, expense_id)
    version = matching(expense, ExpenseRead, if_match)
    project = scope.get_visible(db, principal, Project, expense.project_id)
    budgets.delete_expense(db, principal, project, expense, version)
    return Response(status_code=204)
