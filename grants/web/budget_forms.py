"""The grant manager's budget forms: a project's planned budget lines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from grants.http.deps import PathId, ReadDB, SignedIn, WriteDB
from grants.i18n import _
from grants.models import BudgetCategory, BudgetLine, BudgetLineCreate, BudgetLineUpdate, Project
from grants.services import budgets, scope
from grants.services.access import require_manager
from grants.web.deps import CsrfProtected
from grants.web.record_forms import Field, Form, Posted, current_values, parse, show, submit

router = APIRouter()


def _budget_fields(new: bool) -> list[Field]:
    categories = [(c.value, _(c.value).replace("_", " ")) for c in BudgetCategory]
    code = (
        [
            Field(
                "code",
                _("Code"),
                hint=_("Letters, digits, dots and dashes, e.g. 1.2."),
                maxlength=20,
            )
        ]
        if new
        else []
    )
    return [
        *code,
        Field("category", _("Category"), "select", options=categories),
        Field("description", _("Description"), maxlength=300),
        Field("amount", _("Planned amount"), "amount"),
    ]


@router.get("/projects/{project_id}/budget-lines/new", response_class=HTMLResponse)
def budget_line_new_form(
    request: Request, project_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form for a new budget line."""
    project = scope.get_visible(db, principal, Project, project_id)
    require_manager(db, principal, project)
    return show(
        request,
        Form(
            _("Add a budget line to {ref}").format(ref=project.reference),
            _budget_fields(True),
            {},
            f"/projects/{project.id}#budget",
        ),
    )


@router.post("/projects/{project_id}/budget-lines/new", dependencies=[CsrfProtected])
def budget_line_new(
    request: Request, project_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Add a planned budget line in the project's currency."""
    project = scope.get_visible(db, principal, Project, project_id)
    form = Form(
        _("Add a budget line to {ref}").format(ref=project.reference),
        _budget_fields(True),
        {},
        f"/projects/{project.id}#budget",
    )

    def save(values: dict[str, Any], _version: int | None) -> BudgetLine:
        data = parse(BudgetLineCreate, form, {**values, "currency": project.currency})
        return budgets.add_budget_line(db, principal, project, data)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda _l: f"/projects/{project.id}#budget",
        message=_("Added the budget line."),
    )


def _budget_edit_form(line: BudgetLine) -> Form:
    values = {f.name: getattr(line, f.name) for f in _budget_fields(False)}
    return Form(
        _("Edit budget line {code}").format(code=line.code),
        _budget_fields(False),
        values,
        f"/projects/{line.project_id}#budget",
        version=line.version,
    )


@router.get("/budget-lines/{line_id}/edit", response_class=HTMLResponse)
def budget_line_edit_form(
    request: Request, line_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form that changes a budget line."""
    line, project = scope.get_with_project(db, principal, BudgetLine, line_id)
    require_manager(db, principal, project)
    return show(request, _budget_edit_form(line))


@router.post("/budget-lines/{line_id}/edit", dependencies=[CsrfProtected])
def budget_line_edit(
    request: Request, line_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Change a budget line of an open project (its grant manager)."""
    line, project = scope.get_with_project(db, principal, BudgetLine, line_id)
    form = _budget_edit_form(line)

    def save(values: dict[str, Any], version: int | None) -> BudgetLine:
        data = parse(BudgetLineUpdate, form, values)
        return budgets.update_budget_line(db, principal, project, line, data, version)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda _l: f"/projects/{project.id}#budget",
        message=_("Saved the budget line."),
        current=lambda: current_values(form, scope.get_visible(db, principal, BudgetLine, line_id)),
    )
