"""Programmes and their calls: the list, and the forms for managers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from grants.http import downloads
from grants.http.deps import PathId, ReadDB, SignedIn, WriteDB, today_of
from grants.i18n import _
from grants.models import (
    Call,
    CallCreate,
    CallUpdate,
    Programme,
    ProgrammeCreate,
    ProgrammeUpdate,
)
from grants.services import programmes, scope
from grants.services.access import (
    Principal,
    require_programme_manager,
)
from grants.services.errors import NotAllowed
from grants.web.deps import CsrfProtected
from grants.web.forms import page
from grants.web.record_forms import (
    Form,
    FormErrors,
    Posted,
    current_values,
    parse,
    show,
    submit,
)
from grants.web.setup_fields import call_fields, programme_fields

router = APIRouter()


@router.get("/programmes", response_class=HTMLResponse)
def programme_list(request: Request, principal: SignedIn, db: ReadDB) -> Response:
    """List the programmes the user sees, each with its calls."""
    rows = programmes.programmes_with_calls(db, principal)
    return page(request, "programmes.html", None, rows=rows, admin=principal.is_admin)


def _programme_rows(found: list[tuple[Programme, list[Call], bool]]) -> list[dict[str, Any]]:
    """One row per call, and one for each programme without a call, the programme repeated."""
    rows: list[dict[str, Any]] = []
    for programme, calls, _manages in found:
        listed: list[Call | None] = [*calls] or [None]
        rows.extend({"programme": programme, "call": call} for call in listed)
    return rows


@router.get("/programmes.{fmt}")
def programme_list_download(
    request: Request, fmt: downloads.Format, principal: SignedIn, db: ReadDB
) -> Response:
    """Download the programmes the user sees, one row per call."""
    rows = _programme_rows(programmes.programmes_with_calls(db, principal))
    columns = [
        ("programme.code", _("Programme")),
        ("programme.title", _("Programme title")),
        ("programme.start_date", _("Starts")),
        ("programme.end_date", _("Ends")),
        ("programme.budget", _("Budget")),
        ("programme.currency", _("Currency")),
        ("call.code", _("Call")),
        ("call.title", _("Call title")),
        ("call.opens_on", _("Opens")),
        ("call.closes_on", _("Closes")),
        ("call.max_amount", _("Maximum per project")),
    ]
    return downloads.table(columns, rows, fmt, "programmes", today_of(request))


def _organisation_options(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    return [(o.id, o.name) for o in programmes.organisation_directory(db, principal)]


@router.get("/programmes/new", response_class=HTMLResponse)
def programme_new_form(request: Request, principal: SignedIn, db: ReadDB) -> Response:
    """Show the form for a new programme (administrators)."""
    if not principal.is_admin:
        raise NotAllowed(_("Only an administrator may add programmes."))
    fields = programme_fields(_organisation_options(db, principal), new=True)
    return show(request, Form(_("New programme"), fields, {"currency": "EUR"}, "/programmes"))


@router.post("/programmes/new", dependencies=[CsrfProtected])
def programme_new(request: Request, principal: SignedIn, db: WriteDB, posted: Posted) -> Response:
    """Create a programme run by an implementing organisation (administrators)."""
    form = Form(
        _("New programme"),
        programme_fields(_organisation_options(db, principal), new=True),
        {},
        "/programmes",
    )

    def save(values: dict[str, Any], _version: int | None) -> Programme:
        return programmes.create_programme(db, principal, parse(ProgrammeCreate, form, values))

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda _p: "/programmes",
        message=_("Created the programme."),
    )


def _programme_form(programme: Programme) -> Form:
    fields = programme_fields([], new=False)
    values = {f.name: getattr(programme, f.name) for f in fields}
    title = _("Edit programme {code}").format(code=programme.code)
    return Form(title, fields, values, "/programmes", version=programme.version)


@router.get("/programmes/{programme_id}/edit", response_class=HTMLResponse)
def programme_edit_form(
    request: Request, programme_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form that changes a programme."""
    programme = scope.get_visible(db, principal, Programme, programme_id)
    require_programme_manager(principal, programme)
    return show(request, _programme_form(programme))


@router.post("/programmes/{programme_id}/edit", dependencies=[CsrfProtected])
def programme_edit(
    request: Request, programme_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Change a programme (its grant manager)."""
    programme = scope.get_visible(db, principal, Programme, programme_id)
    form = _programme_form(programme)

    def save(values: dict[str, Any], version: int | None) -> Programme:
        data = parse(ProgrammeUpdate, form, values)
        return programmes.update_programme(db, principal, programme, data, version)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda _p: "/programmes",
        message=_("Saved the programme."),
        current=lambda: current_values(
            form, scope.get_visible(db, principal, Programme, programme_id)
        ),
    )


def _objectives(text: str) -> dict[str, str]:
    """Return the objectives typed one per line as ``CODE: title``."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        code, sep, title = line.partition(":")
        if not sep or not code.strip() or not title.strip() or len(code.strip()) > 10:
            raise FormErrors(
                {
                    "objectives": _(
                        "Write one objective per line as CODE: title, e.g. A: Cooperation."
                    )
                }
            )
        found[code.strip()] = title.strip()
    return found


@router.get("/programmes/{programme_id}/calls/new", response_class=HTMLResponse)
def call_new_form(
    request: Request, programme_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form for a new call of a programme."""
    programme = scope.get_visible(db, principal, Programme, programme_id)
    require_programme_manager(principal, programme)
    title = _("New call of {code}").format(code=programme.code)
    return show(request, Form(title, call_fields(new=True), {}, "/programmes"))


@router.post("/programmes/{programme_id}/calls/new", dependencies=[CsrfProtected])
def call_new(
    request: Request, programme_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Open a call of a programme with its objectives (the programme's grant manager)."""
    programme = scope.get_visible(db, principal, Programme, programme_id)
    form = Form(
        _("New call of {code}").format(code=programme.code),
        call_fields(new=True),
        {},
        "/programmes",
    )

    def save(values: dict[str, Any], _version: int | None) -> Call:
        objectives = _objectives(values.get("objectives", ""))
        data = parse(
            CallCreate,
            form,
            {**values, "programme_id": str(programme.id), "currency": programme.currency},
        )
        return programmes.create_call(db, principal, data, objectives)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda _c: "/programmes",
        message=_("Opened the call."),
    )


def _call_form(call: Call) -> Form:
    fields = call_fields(new=False)
    values = {f.name: getattr(call, f.name) for f in fields}
    return Form(
        _("Edit call {code}").format(code=call.code),
        fields,
        values,
        "/programmes",
        version=call.version,
    )


@router.get("/calls/{call_id}/edit", response_class=HTMLResponse)
def call_edit_form(request: Request, call_id: PathId, principal: SignedIn, db: ReadDB) -> Response:
    """Show the form that changes a call."""
    call = scope.get_visible(db, principal, Call, call_id)
    programme = scope.get_visible(db, principal, Programme, call.programme_id)
    require_programme_manager(principal, programme)
    return show(request, _call_form(call))


@router.post("/calls/{call_id}/edit", dependencies=[CsrfProtected])
def call_edit(
    request: Request, call_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Change a call's title, dates or maximum amount (the programme's grant manager)."""
    call = scope.get_visible(db, principal, Call, call_id)
    form = _call_form(call)

    def save(values: dict[str, Any], version: int | None) -> Call:
        return programmes.update_call(db, principal, call, parse(CallUpdate, form, values), version)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda _c: "/programmes",
        message=_("Saved the call."),
        current=lambda: current_values(form, scope.get_visible(db, principal, Call, call_id)),
    )
