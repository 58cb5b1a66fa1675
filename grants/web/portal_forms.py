"""Form handling the partner portal shares, and its expense and indicator value forms.

A refused step writes nothing: the transaction is rolled back before the form is shown again
with what was typed and a message next to the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from grants.config import today
from grants.i18n import _, format_money
from grants.models import ExpenseCreate, Indicator, IndicatorValueCreate, Project
from grants.services import attachments, forms, indicators, scope, submissions
from grants.services import portal_views as views
from grants.services.access import Principal
from grants.services.errors import DomainError, Invalid, NotAllowed, NotFound, Stale, TooLarge
from grants.web import flash
from grants.web.deps import CsrfProtected, ReadDB, SignedIn, WriteDB, settings_of
from grants.web.templating import templates

router = APIRouter()
Uploads = Annotated[list[UploadFile] | None, File()]


@dataclass
class Refusal:
    """Why a form was refused: a message per field, one for the whole form, a status."""

    fields: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    status: int = 422
    stale: bool = False

    @property
    def summary(self) -> dict[str, str]:
        """Return every message, the whole form's first, for the summary above the form."""
        return ({"form": self.message} if self.message else {}) | self.fields


def page(request: Request, template: str, refusal: Refusal | None, **context: Any) -> Response:
    """Render a portal page; a refused form is answered with the refusal's status."""
    return templates().TemplateResponse(
        request,
        template,
        {"money": format_money, "refusal": refusal or Refusal(status=200), **context},
        status_code=refusal.status if refusal else 200,
    )


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def refused(db: Session, error: DomainError, fields: set[str]) -> Refusal:
    """Undo the request's writes and say what went wrong, next to the field it names.

    Not found and not allowed are no form's business: they become the 404 and 403 pages.
    """
    db.rollback()
    if isinstance(error, NotFound | NotAllowed):
        raise error
    if isinstance(error, Stale):
        return Refusal(status=409, stale=True)  # the page shows the record's current values
    if not isinstance(error, Invalid):
        return Refusal(message=error.message, status=409)
    name = "evidence" if error.field in {"file", "evidence"} else error.field or ""
    message = _sentence(error.reason)
    if error.field == "file":
        message = f"{error.value}: {message}"
    status = 413 if isinstance(error, TooLarge) else 422
    if name in fields:
        return Refusal({name: message}, status=status)
    return Refusal(message=message, status=status)


def version_of(text: str) -> int | None:
    """Return the version a form was read at, or None when it did not say."""
    return int(text) if text.strip().isdigit() else None


def read(uploads: list[UploadFile] | None) -> submissions.Files:
    """Return the chosen files' names and contents (at most one byte over the size limit)."""
    return [
        (upload.filename, upload.file.read(attachments.MAX_BYTES + 1))
        for upload in uploads or []
        if upload.filename
    ]


def done(request: Request, target: str, message: str) -> Response:
    """Send the browser on after a successful POST, with ``message`` shown on the next page."""
    response = RedirectResponse(target, status_code=303)
    flash.add(request, response, message)
    return response


def day(request: Request) -> dt.date:
    """Return the date the application treats as today."""
    return today(settings_of(request))


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
    request: Request, project_id: int, principal: SignedIn, db: ReadDB, line: int | None = None
) -> Response:
    """Show the expense form with each budget line's remaining amount."""
    project = scope.get_visible(db, principal, Project, project_id)
    submissions.require_editor(db, principal, project)
    view = views.expense_view(db, principal, project)
    chosen = str(views.budget_line_of(view, line).id) if line is not None else ""
    form = ExpenseForm(budget_line_id=chosen, spent_on=str(day(request)))
    return _expense_page(request, db, principal, project, form, view=view)


@router.post("/projects/{project_id}/expenses/new", dependencies=[CsrfProtected])
def record_expense(
    request: Request,
    project_id: int,
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
        expense = submissions.record_expense(db, principal, project, data, day(request))
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
    request: Request, indicator_id: int, principal: SignedIn, db: ReadDB
) -> Response:
    """Show an indicator, the values reported so far and the form for the next period."""
    indicator = scope.get_visible(db, principal, Indicator, indicator_id)
    submissions.require_editor(db, principal, submissions.project_of(db, indicator))
    return _value_page(request, db, indicator)


@router.post("/indicators/{indicator_id}/values/new", dependencies=[CsrfProtected])
def report_indicator_value(
    request: Request,
    indicator_id: int,
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
