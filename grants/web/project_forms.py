"""The grant manager's forms on a project: the project itself and its partners."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from grants.http.deps import PathId, ReadDB, SignedIn, WriteDB
from grants.i18n import _
from grants.models import (
    Call,
    OrganisationKind,
    PartnerRole,
    Project,
    ProjectCreate,
    ProjectUpdate,
)
from grants.models.base import Id
from grants.services import programmes, projects, references, scope
from grants.services.access import (
    Principal,
    require_manager,
    require_works_as_manager,
)
from grants.web.deps import CsrfProtected
from grants.web.forms import id_of
from grants.web.record_forms import (
    Field,
    Form,
    FormErrors,
    Posted,
    current_values,
    parse,
    show,
    submit,
)

router = APIRouter()


def _project_fields(calls: list[Call] | None = None, objectives: Sequence[Any] = ()) -> list[Field]:
    start = (
        []
        if calls is None
        else [
            Field(
                "reference",
                _("Reference"),
                hint=_("Capitals, digits, dots and dashes, e.g. SFX-DESK."),
                maxlength=40,
            ),
            Field(
                "call_id",
                _("Call"),
                "select",
                options=[(c.id, f"{c.code} · {c.title}") for c in calls],
            ),
        ]
    )
    middle = [
        Field("title", _("Title"), maxlength=300),
        Field("summary", _("Summary"), "textarea", required=False, maxlength=10_000),
        Field("city", _("City"), maxlength=100),
        Field("country", _("Country"), hint=_("Two-letter code, e.g. TN."), maxlength=2),
        Field("awarded_amount", _("Awarded amount"), "amount", hint=_("In the call's currency.")),
        Field("planned_start", _("Planned start"), "date"),
        Field("planned_end", _("Planned end"), "date"),
    ]
    if calls is None:
        return start + middle
    return (
        start
        + middle
        + [
            Field(
                "objective_codes", _("Objectives served"), "checkboxes", options=list(objectives)
            ),
            Field("lead_organisation_id", _("Lead grantee"), "select", options=[]),
        ]
    )


def _new_project_form(db: Session, principal: Principal) -> tuple[Form, dict[int, str]]:
    """Return the new project form and the currency of each call it offers."""
    offered = programmes.calls_with_objectives(db, principal)
    objectives = [
        (o.code, f"{call.code} {o.code}: {o.title}") for call, own in offered for o in own
    ]
    fields = _project_fields([call for call, _own in offered], objectives)
    directory = programmes.organisation_directory(db, principal)
    leads = [o for o in directory if o.kind != OrganisationKind.DONOR]
    fields[-1] = Field(
        "lead_organisation_id", _("Lead grantee"), "select", options=[(o.id, o.name) for o in leads]
    )
    form = Form(
        _("New project"),
        fields,
        {},
        "/projects",
        _("Create the draft project"),
        intro=_("The project starts as a draft; its milestones and tranches come next."),
    )
    return form, {call.id: call.currency for call, _own in offered if call.id is not None}


@router.get("/projects/new", response_class=HTMLResponse)
def project_new_form(request: Request, principal: SignedIn, db: ReadDB) -> Response:
    """Show the form for a new draft project."""
    require_works_as_manager(
        principal, _("Only grant managers and administrators may add projects.")
    )
    return show(request, _new_project_form(db, principal)[0])


@router.post("/projects/new", dependencies=[CsrfProtected])
def project_new(request: Request, principal: SignedIn, db: WriteDB, posted: Posted) -> Response:
    """Create a draft project with its lead grantee (the programme's grant manager)."""
    form, currencies = _new_project_form(db, principal)

    def save(values: dict[str, Any], _version: int | None) -> Project:
        call = id_of(values.get("call_id", ""))
        if values.get("call_id") and call is None:
            raise FormErrors({"call_id": _("Choose one of the options.")})
        values = {**values, "currency": currencies.get(call or 0, "EUR")}
        data = parse(
            ProjectCreate, form, {k: v for k, v in values.items() if k != "lead_organisation_id"}
        )
        data.objective_codes = list(values.get("objective_codes") or [])
        lead_id = id_of(values.get("lead_organisation_id", ""))
        if lead_id is None:
            raise FormErrors({"lead_organisation_id": _("Choose the lead grantee.")})
        lead = references.named_organisation(db, principal, lead_id, "lead_organisation_id")
        return projects.create_project(db, principal, data, lead)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda p: f"/projects/{p.id}",
        message=_("Created the draft project."),
        aliases={"organisation": "lead_organisation_id"},
    )


def _edit_project_form(db: Session, project: Project) -> Form:
    managers = [(u.id, u.full_name) for u in references.eligible_managers(db, project)]
    fields = [
        *_project_fields(),
        Field("manager_id", _("Grant manager"), "select", required=False, options=managers),
    ]
    values = {f.name: getattr(project, f.name) for f in fields}
    return Form(
        _("Edit {ref}").format(ref=project.reference),
        fields,
        values,
        f"/projects/{project.id}",
        version=project.version,
    )


@router.get("/projects/{project_id}/edit", response_class=HTMLResponse)
def project_edit_form(
    request: Request, project_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form that changes a project's terms."""
    project = scope.get_visible(db, principal, Project, project_id)
    require_manager(db, principal, project)
    return show(request, _edit_project_form(db, project))


@router.post("/projects/{project_id}/edit", dependencies=[CsrfProtected])
def project_edit(
    request: Request, project_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Change a project's terms (its grant manager, while it is open)."""
    project = scope.get_visible(db, principal, Project, project_id)
    form = _edit_project_form(db, project)

    def save(values: dict[str, Any], version: int | None) -> Project:
        return projects.update_project(
            db, principal, project, parse(ProjectUpdate, form, values), version
        )

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda p: f"/projects/{p.id}",
        message=_("Saved the project."),
        current=lambda: current_values(form, scope.get_visible(db, principal, Project, project_id)),
    )


def _partner_form(db: Session, principal: Principal, project: Project) -> Form:
    roles = [(r.value, _(r.value).replace("_", " ")) for r in PartnerRole if r != PartnerRole.LEAD]
    fields = [
        Field(
            "organisation_id",
            _("Organisation"),
            "select",
            options=[(o.id, o.name) for o in programmes.organisation_directory(db, principal)],
        ),
        Field("role", _("Role"), "select", options=roles),
    ]
    return Form(
        _("Add a partner to {ref}").format(ref=project.reference),
        fields,
        {},
        f"/projects/{project.id}#partners",
        _("Add the partner"),
    )


@router.get("/projects/{project_id}/partners/new", response_class=HTMLResponse)
def partner_new_form(
    request: Request, project_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form that adds an organisation to a project."""
    project = scope.get_visible(db, principal, Project, project_id)
    require_manager(db, principal, project)
    return show(request, _partner_form(db, principal, project))


class _PartnerIn(BaseModel):
    organisation_id: Id
    role: PartnerRole


@router.post("/projects/{project_id}/partners/new", dependencies=[CsrfProtected])
def partner_new(
    request: Request, project_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Add an organisation to the project in a role (its grant manager)."""
    project = scope.get_visible(db, principal, Project, project_id)
    form = _partner_form(db, principal, project)

    def save(values: dict[str, Any], _version: int | None) -> Project:
        data = parse(_PartnerIn, form, values)
        organisation = references.named_organisation(
            db, principal, data.organisation_id, "organisation_id"
        )
        projects.add_partner(db, principal, project, organisation, data.role)
        return project

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda p: f"/projects/{p.id}#partners",
        message=_("Added the partner."),
        aliases={"organisation": "organisation_id"},
    )
