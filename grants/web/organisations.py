"""The organisation directory: a searchable list, and the forms for managers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from grants.http import downloads
from grants.http.deps import PathId, ReadDB, SignedIn, WriteDB, today_of
from grants.i18n import _
from grants.models import Organisation, OrganisationCreate, OrganisationUpdate
from grants.models.base import CONTROL_CHARACTERS
from grants.services import organisations, programmes, search
from grants.services.access import require_works_as_manager, works_as_manager
from grants.services.listing import whole
from grants.web.deps import CsrfProtected
from grants.web.forms import page
from grants.web.listing import Listing
from grants.web.record_forms import Form, Posted, current_values, parse, show, submit
from grants.web.setup_fields import organisation_fields

router = APIRouter()


def _filters(q: str, offset: int = 0) -> search.OrganisationFilters:
    """The search as typed, without the invisible characters no name holds."""
    words = CONTROL_CHARACTERS.sub("", q).strip()[:100]
    return search.OrganisationFilters(q=words or None, offset=max(0, min(offset, 10_000_000)))


@router.get("/organisations", response_class=HTMLResponse)
def organisation_list(
    request: Request, principal: SignedIn, db: ReadDB, q: str = "", offset: int = 0
) -> Response:
    """List the organisations the user may see, searchable by name, in pages."""
    filters = _filters(q, offset)
    found = search.organisations(db, principal, filters)
    listing = Listing(
        "/organisations",
        {"q": q.strip()} if q.strip() else {},
        filters.sort,
        found.total,
        filters.limit,
        filters.offset,
    )
    return page(
        request,
        "organisations.html",
        None,
        rows=found.items,
        listing=listing,
        q=q,
        may_edit=works_as_manager(principal),
        editable=organisations.changeable_organisation_ids(
            db, principal, [row["id"] for row in found.items]
        ),
    )


@router.get("/organisations.{fmt}")
def organisation_list_download(
    request: Request, fmt: downloads.Format, principal: SignedIn, db: ReadDB, q: str = ""
) -> Response:
    """Download every organisation of the list, with the search on screen."""
    found = search.organisations(db, principal, whole(_filters(q)))
    columns = [
        ("ref", _("Reference")),
        ("name", _("Name")),
        ("kind", _("Kind")),
        ("country", _("Country")),
        ("city", _("City")),
    ]
    return downloads.table(columns, found.items, fmt, "organisations", today_of(request))


@router.get("/organisations/new", response_class=HTMLResponse)
def organisation_new_form(request: Request, principal: SignedIn) -> Response:
    """Show the form for a new organisation (managers and administrators)."""
    require_works_as_manager(principal)
    return show(
        request, Form(_("New organisation"), organisation_fields(new=True), {}, "/organisations")
    )


@router.post("/organisations/new", dependencies=[CsrfProtected])
def organisation_new(
    request: Request, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Add an organisation to the directory."""
    form = Form(_("New organisation"), organisation_fields(new=True), {}, "/organisations")

    def save(values: dict[str, Any], _version: int | None) -> Organisation:
        return programmes.create_organisation(
            db, principal, parse(OrganisationCreate, form, values)
        )

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda _o: "/organisations",
        message=_("Added the organisation."),
    )


def _organisation_form(organisation: Organisation) -> Form:
    fields = organisation_fields(new=False)
    values = {f.name: getattr(organisation, f.name) for f in fields}
    title = _("Edit {name}").format(name=organisation.name)
    return Form(title, fields, values, "/organisations", version=organisation.version)


@router.get("/organisations/{organisation_id}/edit", response_class=HTMLResponse)
def organisation_edit_form(
    request: Request, organisation_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form that changes an organisation (to those the services let change it)."""
    organisation = search.visible_organisation(db, principal, organisation_id)
    organisations.require_organisation_editor(db, principal, organisation)
    return show(request, _organisation_form(organisation))


@router.post("/organisations/{organisation_id}/edit", dependencies=[CsrfProtected])
def organisation_edit(
    request: Request, organisation_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Change an organisation (managers and administrators)."""
    organisation = search.visible_organisation(db, principal, organisation_id)
    form = _organisation_form(organisation)

    def save(values: dict[str, Any], version: int | None) -> Organisation:
        data = parse(OrganisationUpdate, form, values)
        return programmes.update_organisation(db, principal, organisation, data, version)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda _o: "/organisations",
        message=_("Saved the organisation."),
        current=lambda: current_values(
            form, search.visible_organisation(db, principal, organisation_id)
        ),
    )
