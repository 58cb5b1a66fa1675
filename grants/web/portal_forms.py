"""The partner portal's expense and indicator value forms, and the upload handling it shares.

Refusals follow ``grants.web.forms``: nothing is written, and the form is shown again with
what was typed and a message next to the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from grants.http.deps import PathId, ReadDB, SignedIn, WriteDB, today_of
from grants.i18n import _, format_money
from grants.models import ExpenseCreate, Indicator, IndicatorValueCreate, Project
from grants.services import attachments, budgets, forms, indicators, scope, submissions
from grants.services import portal_views as views
from grants.services.access import Principal
from grants.services.errors import DomainError, Invalid
from grants.web import forms as forms_web
from grants.web.deps import CsrfProtected
from grants.web.forms import Current, Refusal, done, page

router = APIRouter()
Uploads = Annotated[list[UploadFile] | None, File()]


def refused(
    db: Session, error: DomainError, fields: set[str], current: Callable[[], Current] | None = None
) -> Refusal:
    """Refuse as every form does; an upload refused names the file at fault."""
    refusal = forms_web.refused(db, error, fields, current, aliases={"file": "evidence"})
    if isinstance(error, Invalid) and error.field == "file" and "evidence" in refusal.fields:
        refusal.fields["evidence"] = f"{error.value}: {refusal.fields['evidence']}"
    return refusal


def read(uploads: list[UploadFile] | None) -> submissions.Files:
    """Return the chosen files' names and contents (at most one byte over the size limit)."""
    return [
        (upload.filename, upload.file.read(attachments.MAX_BYTES + 1))
        for upload in uploads or []
        if upload.filename
    ]


# Expenses against a budget line.


class ExpenseForm(BaseModel):
    """An expense as typed."""

    budget_line_id: str = ""
    spent_on: str = ""
    amount: str = ""
    description: str = ""
    reference: str = ""


def _expense_page(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    form: ExpenseForm,
    refusal: Refusal | None = None,
    view: views.ExpenseView | None = None,
) -> Response:
    view = view or views.expense_view(db, principal, project)
    values = form.model_dump()
    return page(request, "portal/expense.html", refusal, project=project, view=view, values=values)


@router.get("/projects/{project_id}/expenses/new", response_class=HTMLResponse)
def expense_new(
    request: Request, project_id: PathId, principal: SignedIn, db: ReadDB, line: int | None = None
) -> Response:
    """Show the expense form with each budget line's remaining amount."""
    project = scope.get_visible(db, principal, Project, project_id)
    submissions.require_editor(db, principal, project)
    view = views.expense_view(db, principal, project)
    chosen = str(views.budget_line_of(view, line).id) if line is not None else ""
    form = ExpenseForm(budget_line_id=chosen, spent_on=str(today_of(request)))
    return _expense_page(request, db, principal, project, form, view=view)


@router.post("/projects/{project_id}/expenses/new", dependencies=[CsrfProtected])
def record_expense(
    request: Request,
    project_id: PathId,
    principal: SignedIn,
    db: WriteDB,
    form: Annotated[ExpenseForm, Form()],
) -> Response:
    """Record an expense against one of the project's budget lines."""
    project = scope.get_visible(db, principal, Project, project_id)
    submissions.require_editor(db, principal, project)
    typed = form.model_dump()
    raw = {**typed, "currency": project.currency}
    data, errors = forms.checked(ExpenseCreate, raw, amounts=["amount"])
    if data is None:
        return _expense_page(request, db, principal, project, form, Refusal(errors))
    try:
        expense = budgets.record_expense(db, principal, project, data, today=today_of(request))
    except DomainError as error:
        refusal = refused(db, error, set(typed))
        return _expense_page(request, db, principal, project, form, refusal)
    message = _("Expense of {amount} recorded on {date}.").format(
        amount=format_money(expense.amount, expense.currency), date=expense.spent_on.isoformat()
    )
    return done(request, f"/projects/{project.id}/expenses/new", message)


# Indicator values per period.


class ValueForm(BaseModel):
    """An indicator value as typed."""

    period_start: str = ""
    period_end: str = ""
    value: str = ""
    note: str = ""


def _value_page(
    request: Request,
    db: Session,
    indicator: Indicator,
    form: ValueForm | None = None,
    refusal: Refusal | None = None,
) -> Response:
    view = views.value_view(db, indicator)
    form = form or ValueForm(period_start=str(view.next_start))
    return page(
        request,
        "portal/indicator_value.html",
        refusal,
        indicator=indicator,
        view=view,
        values=form.model_dump(),
    )


@router.get("/indicators/{indicator_id}/values/new", response_class=HTMLResponse)
def indicator_value_new(
    request: Request, indicator_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show an indicator, the values reported so far and the form for the next period."""
    indicator = scope.get_visible(db, principal, Indicator, indicator_id)
    submissions.require_editor(db, principal, submissions.project_of(db, indicator))
    return _value_page(request, db, indicator)


@router.post("/indicators/{indicator_id}/values/new", dependencies=[CsrfProtected])
def report_indicator_value(
    request: Request,
    indicator_id: PathId,
    principal: SignedIn,
    db: WriteDB,
    form: Annotated[ValueForm, Form()],
) -> Response:
    """Report the indicator's value for a period."""
    indicator = scope.get_visible(db, principal, Indicator, indicator_id)
    project = submissions.project_of(db, indicator)
    submissions.require_editor(db, principal, project)
    typed = form.model_dump()
    raw = {**typed, "indicator_id": str(indicator.id)}
    data, errors = forms.checked(IndicatorValueCreate, raw, numbers=["value"])
    if data is None:
        return _value_page(request, db, indicator, form, Refusal(errors))
    try:
        indicators.report_value(db, principal, project, data)
    except DomainError as error:
        return _value_page(request, db, indicator, form, refused(db, error, set(typed)))
    message = _("Value reported for {start} to {end}.").format(
        start=data.period_start.isoformat(), end=data.period_end.isoformat()
    )
    return done(request, f"/indicators/{indicator.id}/values/new", message)
