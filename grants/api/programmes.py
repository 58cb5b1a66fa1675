"""Programmes, their calls, and the organisation directory."""

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
from grants.api.schemas import (
    CallIn,
    CallPatch,
    OrganisationIn,
    OrganisationPatch,
    ProgrammeIn,
    ProgrammePatch,
)
from grants.http.deps import ReadDB, WriteDB
from grants.models import (
    Call,
    CallCreate,
    CallRead,
    OrganisationRead,
    Programme,
    ProgrammeRead,
)
from grants.services import programmes, scope, search

router = APIRouter(responses=READ_ERRORS)


@router.get("/programmes", response_model=Page[ProgrammeRead])
@cached_read
def list_programmes(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.ProgrammeFilters, Query()],
) -> Response:
    """List the programmes you manage, fund or take part in."""
    return page_of(request, search.programmes(db, principal, filters), ProgrammeRead)


@router.get("/programmes/{programme_id}", response_model=ProgrammeRead)
@cached_read
def get_programme(
    request: Request, response: Response, programme_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one programme."""
    programme = scope.get_visible(db, principal, Programme, programme_id)
    return one(request, response, programme, ProgrammeRead)


@router.post("/programmes", response_model=ProgrammeRead, status_code=201, responses=WRITE_ERRORS)
def create_programme(
    request: Request, response: Response, body: ProgrammeIn, principal: ApiPrincipal, db: WriteDB
) -> Response:
    """Create a programme (administrators)."""
    programme = programmes.create_programme(db, principal, body)
    return one(request, response, programme, ProgrammeRead)


@router.patch("/programmes/{programme_id}", response_model=ProgrammeRead, responses=WRITE_ERRORS)
def patch_programme(
    request: Request,
    response: Response,
    programme_id: Ident,
    body: ProgrammePatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
) -> Response:
    """Change a programme's title, description, budget or dates (its grant manager)."""
    programme = scope.get_visible(db, principal, Programme, programme_id)
    version = matching(programme, ProgrammeRead, if_match)
    programme = programmes.update_programme(db, principal, programme, body, version)
    return one(request, response, programme, ProgrammeRead)


@router.get("/calls", response_model=Page[CallRead])
@cached_read
def list_calls(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.CallFilters, Query()],
) -> Response:
    """List the calls of the programmes you see."""
    return page_of(request, search.calls(db, principal, filters), CallRead)


@router.get("/calls/{call_id}", response_model=CallRead)
@cached_read
def get_call(
    request: Request, response: Response, call_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one call."""
    return one(request, response, scope.get_visible(db, principal, Call, call_id), CallRead)


@router.post("/calls", response_model=CallRead, status_code=201, responses=WRITE_ERRORS)
def create_call(
    request: Request, response: Response, body: CallIn, principal: ApiPrincipal, db: WriteDB
) -> Response:
    """Open a call for proposals with its objectives (the programme's grant manager)."""
    data = CallCreate.model_validate(body.model_dump(exclude={"objectives"}))
    call = programmes.create_call(db, principal, data, body.objectives)
    return one(request, response, call, CallRead)


@router.patch("/calls/{call_id}", response_model=CallRead, responses=WRITE_ERRORS)
def patch_call(
    request: Request,
    response: Response,
    call_id: Ident,
    body: CallPatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
) -> Response:
    """Change a call's title, dates or maximum amount (the programme's grant manager)."""
    call = scope.get_visible(db, principal, Call, call_id)
    version = matching(call, CallRead, if_match)
    call = programmes.update_call(db, principal, call, body, version)
    return one(request, response, call, CallRead)


@router.get("/organisations", response_model=Page[OrganisationRead])
@cached_read
def list_organisations(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.OrganisationFilters, Query()],
) -> Response:
    """List organisations: the whole directory for managers, the ones you work with for others."""
    rows = search.organisations(db, principal, filters)
    return page_of(request, rows, OrganisationRead)


@router.get("/organisations/{organisation_id}", response_model=OrganisationRead)
@cached_read
def get_organisation(
    request: Request,
    response: Response,
    organisation_id: Ident,
    principal: ApiPrincipal,
    db: ReadDB,
) -> Response:
    """Return one organisation."""
    organisation = search.visible_organisation(db, principal, organisation_id)
    return one(request, response, organisation, OrganisationRead)


@router.post(
    "/organisations", response_model=OrganisationRead, status_code=201, responses=WRITE_ERRORS
)
def create_organisation(
    request: Request,
    response: Response,
    body: OrganisationIn,
    principal: ApiPrincipal,
    db: WriteDB,
) -> Response:
    """Add an organisation to the directory (administrators and grant managers)."""
    organisation = programmes.create_organisation(db, principal, body)
    return one(request, response, organisation, OrganisationRead)


@router.patch(
    "/organisations/{organisation_id}", response_model=OrganisationRead, responses=WRITE_ERRORS
)
def patch_organisation(
    request: Request,
    response: Response,
    organisation_id: Ident,
    body: OrganisationPatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
) -> Response:
    """Correct an organisation's details (administrators and grant managers)."""
    organisation = search.visible_organisation(db, principal, organisation_id)
    version = matching(organisation, OrganisationRead, if_match)
    organisation = programmes.update_organisation(db, principal, organisation, body, version)
    return one(request, response, organisation, OrganisationRead)
