"""Projects: the list with its filters, one project, its partners, workflow and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from grants.api.cache import cached_read
from grants.api.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    Ident,
    IfMatch,
    Page,
    PageParams,
    add_steps,
    matching,
    one,
    page_of,
    reason_step,
)
from grants.api.deps import ApiPrincipal
from grants.api.schemas import PartnerIn, ProjectIn, ProjectPatch
from grants.http.deps import ReadDB, Today, WriteDB
from grants.models import (
    AuditEventRead,
    Organisation,
    PartnerRole,
    Project,
    ProjectCreate,
    ProjectPartner,
    ProjectRead,
)
from grants.services import programmes, projects, references, scope, search
from grants.services.listing import page_of_list
from grants.services.workflow import PROJECT

router = APIRouter(responses=READ_ERRORS)


class PartnerRead(BaseModel):
    """An organisation's part in a project."""

    id: int
    project_id: int
    organisation_id: int
    organisation_ref: str
    organisation_name: str
    role: PartnerRole


@router.get("/projects", response_model=Page[ProjectRead])
@cached_read
def list_projects(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    day: Today,
    filters: Annotated[search.ProjectFilters, Query()],
) -> Response:
    """List the projects you may see, filtered and sorted."""
    return page_of(request, search.projects(db, principal, filters, day), ProjectRead)


@router.get("/projects/{project_id}", response_model=ProjectRead)
@cached_read
def get_project(
    request: Request, response: Response, project_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one project."""
    project = scope.get_visible(db, principal, Project, project_id)
    return one(request, response, project, ProjectRead)


@router.post("/projects", response_model=ProjectRead, status_code=201, responses=WRITE_ERRORS)
def create_project(
    request: Request, response: Response, body: ProjectIn, principal: ApiPrincipal, db: WriteDB
) -> Response:
    """Create a draft project with its lead grantee (the programme's grant manager)."""
    lead = references.named_organisation(
        db, principal, body.lead_organisation_id, "lead_organisation_id"
    )
    data = ProjectCreate.model_validate(body.model_dump(exclude={"lead_organisation_id"}))
    project = projects.create_project(db, principal, data, lead)
    return one(request, response, project, ProjectRead)


@router.patch("/projects/{project_id}", response_model=ProjectRead, responses=WRITE_ERRORS)
def patch_project(
    request: Request,
    response: Response,
    project_id: Ident,
    body: ProjectPatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
) -> Response:
    """Change a project's terms (its grant manager, while it is open)."""
    project = scope.get_visible(db, principal, Project, project_id)
    version = matching(project, ProjectRead, if_match)
    project = projects.update_project(db, principal, project, body, version)
    return one(request, response, project, ProjectRead)


add_steps(
    router,
    workflow=PROJECT,
    path="projects",
    model=Project,
    read=ProjectRead,
    take=reason_step(projects.advance_project),
)


@router.get("/projects/{project_id}/partners", response_model=Page[PartnerRead])
@cached_read
def list_partners(
    request: Request, project_id: Ident, principal: ApiPrincipal, db: ReadDB, paging: PageParams
) -> Response:
    """List the project's partners, lead first."""
    project = scope.get_visible(db, principal, Project, project_id)
    rows = [
        _partner(partner, organisation)
        for partner, organisation in programmes.partners_of(db, project)
    ]
    return page_of(request, page_of_list(rows, paging), PartnerRead)


@router.post(
    "/projects/{project_id}/partners",
    response_model=PartnerRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def add_partner(
    project_id: Ident, body: PartnerIn, principal: ApiPrincipal, db: WriteDB
) -> PartnerRead:
    """Add an organisation to the project in a role (the project's grant manager)."""
    project = scope.get_visible(db, principal, Project, project_id)
    organisation = references.named_organisation(
        db, principal, body.organisation_id, "organisation_id"
    )
    partner = projects.add_partner(db, principal, project, organisation, body.role)
    return _partner(partner, organisation)


def _partner(partner: ProjectPartner, organisation: Organisation) -> PartnerRead:
    return PartnerRead(
        id=partner.id,
        project_id=partner.project_id,
        organisation_id=organisation.id,
        organisation_ref=organisation.ref,
        organisation_name=organisation.name,
        role=partner.role,
    )


@router.get("/projects/{project_id}/history", response_model=Page[AuditEventRead])
@cached_read
def get_history(
    request: Request, project_id: Ident, principal: ApiPrincipal, db: ReadDB, paging: PageParams
) -> Response:
    """Return the project's audit trail, oldest first: who changed what, when and why."""
    events = scope.project_history(db, principal, project_id)
    return page_of(request, page_of_list(events, paging), AuditEventRead)
