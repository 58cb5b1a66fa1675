"""The grant manager's forms for milestones (plan, edit, re-plan) and tranches (schedule, edit)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from grants.http.deps import PathId, ReadDB, SignedIn, WriteDB
from grants.i18n import _
from grants.models import (
    Milestone,
    MilestoneCreate,
    MilestoneReplan,
    MilestoneUpdate,
    PartnerRole,
    Project,
    Tranche,
    TrancheCreate,
    TrancheUpdate,
)
from grants.services import milestones, programmes, scope, tranches
from grants.services.access import Principal, require_manager
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


def _manage(db: Session, principal: Principal, model: type[Any], ident: int) -> tuple[Any, Project]:
    """Return the record and its project, if the principal may see it and manages the project."""
    record, project = scope.get_with_project(db, principal, model, ident)
    require_manager(db, principal, project)
    return record, project


def _milestone_fields(db: Session, project: Project) -> list[Field]:
    partners = [
        (organisation.id, organisation.name)
        for partner, organisation in programmes.partners_of(db, project)
        if partner.role != PartnerRole.FUNDER
    ]
    return [
        Field("title", _("Title"), maxlength=300),
        Field("description", _("Description"), "textarea", required=False, maxlength=10_000),
        Field("due_date", _("Due date"), "date", hint=_("Within the project period.")),
        Field(
            "evidence_required",
            _("Evidence required"),
            "textarea",
            required=False,
            hint=_("What the partner must attach when submitting."),
            maxlength=2000,
        ),
        Field(
            "responsible_organisation_id",
            _("Responsible partner"),
            "select",
            required=False,
            options=partners,
        ),
    ]


def _milestone_form(db: Session, project: Project, milestone: Milestone | None = None) -> Form:
    fields = _milestone_fields(db, project)
    back = f"/projects/{project.id}#milestones"
    if milestone is None:
        title = _("Add a milestone to {ref}").format(ref=project.reference)
        return Form(title, fields, {}, back)
    values = {f.name: getattr(milestone, f.name) for f in fields}
    title = _("Edit milestone {n}").format(n=milestone.position)
    return Form(title, fields, values, back, version=milestone.version)


@router.get("/projects/{project_id}/milestones/new", response_class=HTMLResponse)
def milestone_new_form(
    request: Request, project_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form for a new milestone."""
    _record, project = _manage(db, principal, Project, project_id)
    return show(request, _milestone_form(db, project))


@router.post("/projects/{project_id}/milestones/new", dependencies=[CsrfProtected])
def milestone_new(
    request: Request, project_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Add a milestone at the end of the project's list."""
    project = scope.get_visible(db, principal, Project, project_id)
    form = _milestone_form(db, project)

    def save(values: dict[str, Any], _version: int | None) -> Milestone:
        return milestones.add_milestone(
            db, principal, project, parse(MilestoneCreate, form, values)
        )

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda m: f"/projects/{project.id}#milestone-{m.id}",
        message=_("Added the milestone."),
    )


@router.get("/milestones/{milestone_id}/edit", response_class=HTMLResponse)
def milestone_edit_form(
    request: Request, milestone_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form that changes an open milestone."""
    milestone, project = _manage(db, principal, Milestone, milestone_id)
    return show(request, _milestone_form(db, project, milestone))


@router.post("/milestones/{milestone_id}/edit", dependencies=[CsrfProtected])
def milestone_edit(
    request: Request, milestone_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Change an open milestone (its grant manager)."""
    milestone, project = scope.get_with_project(db, principal, Milestone, milestone_id)
    form = _milestone_form(db, project, milestone)

    def save(values: dict[str, Any], version: int | None) -> Milestone:
        data = parse(MilestoneUpdate, form, values)
        return milestones.update_milestone(db, principal, milestone, data, version)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda m: f"/projects/{project.id}#milestone-{m.id}",
        message=_("Saved the milestone."),
        current=lambda: current_values(
            form, scope.get_visible(db, principal, Milestone, milestone_id)
        ),
    )


def _replan_form(milestone: Milestone) -> Form:
    fields = [
        Field(
            "due_date",
            _("New due date"),
            "date",
            hint=_("The baseline date {date} is kept.").format(date=milestone.baseline_due_date),
        ),
        Field("reason", _("Why it moves"), "textarea", maxlength=2000),
    ]
    title = _("Re-plan milestone {n}").format(n=milestone.position)
    back = f"/projects/{milestone.project_id}#milestone-{milestone.id}"
    return Form(title, fields, {"due_date": milestone.due_date}, back, version=milestone.version)


@router.get("/milestones/{milestone_id}/replan", response_class=HTMLResponse)
def milestone_replan_form(
    request: Request, milestone_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form that moves a milestone's due date, keeping its baseline."""
    milestone, _project = _manage(db, principal, Milestone, milestone_id)
    return show(request, _replan_form(milestone))


@router.post("/milestones/{milestone_id}/replan", dependencies=[CsrfProtected])
def milestone_replan(
    request: Request, milestone_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Move a milestone's due date with a reason."""
    milestone = scope.get_visible(db, principal, Milestone, milestone_id)
    form = _replan_form(milestone)

    def save(values: dict[str, Any], version: int | None) -> Milestone:
        data = parse(MilestoneReplan, form, values)
        return milestones.replan_milestone(
            db, principal, milestone, data.due_date, data.reason, version
        )

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda m: f"/projects/{m.project_id}#milestone-{m.id}",
        message=_("Re-planned the milestone."),
        current=lambda: current_values(
            form, scope.get_visible(db, principal, Milestone, milestone_id)
        ),
    )


def _tranche_form(db: Session, project: Project, tranche: Tranche | None = None) -> Form:
    fields = [
        Field(
            "amount",
            _("Amount"),
            "amount",
            hint=_("In {currency}.").format(currency=project.currency),
        ),
        Field("planned_date", _("Planned date"), "date"),
    ]
    back = f"/projects/{project.id}#tranches"
    if tranche is not None:
        values = {f.name: getattr(tranche, f.name) for f in fields}
        return Form(
            _("Edit tranche {n}").format(n=tranche.position),
            fields,
            values,
            back,
            version=tranche.version,
        )
    gates = [(m.id, f"{m.position}. {m.title}") for m in milestones.milestones_of(db, project)]
    fields.append(
        Field(
            "gate_milestone_ids",
            _("Released when these milestones are accepted"),
            "checkboxes",
            options=gates,
            hint=_("None: the tranche can be approved at once."),
        )
    )
    return Form(_("Schedule a tranche of {ref}").format(ref=project.reference), fields, {}, back)


@router.get("/projects/{project_id}/tranches/new", response_class=HTMLResponse)
def tranche_new_form(
    request: Request, project_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form for a new tranche."""
    _record, project = _manage(db, principal, Project, project_id)
    return show(request, _tranche_form(db, project))


@router.post("/projects/{project_id}/tranches/new", dependencies=[CsrfProtected])
def tranche_new(
    request: Request, project_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Schedule a tranche gated by milestones of the project."""
    project = scope.get_visible(db, principal, Project, project_id)
    form = _tranche_form(db, project)

    def save(values: dict[str, Any], _version: int | None) -> Tranche:
        data = parse(TrancheCreate, form, {**values, "currency": project.currency})
        chosen = [id_of(value) for value in values.get("gate_milestone_ids", [])]
        if None in chosen:  # a choice the form never offered: refused, never dropped
            raise FormErrors({"gate_milestone_ids": _("Choose one of the options.")})
        data.gate_milestone_ids = [milestone for milestone in chosen if milestone is not None]
        return tranches.add_tranche(db, principal, project, data)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda t: f"/projects/{project.id}#tranche-{t.id}",
        message=_("Scheduled the tranche."),
    )


@router.get("/tranches/{tranche_id}/edit", response_class=HTMLResponse)
def tranche_edit_form(
    request: Request, tranche_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show the form that re-plans a scheduled tranche."""
    tranche, project = _manage(db, principal, Tranche, tranche_id)
    return show(request, _tranche_form(db, project, tranche))


@router.post("/tranches/{tranche_id}/edit", dependencies=[CsrfProtected])
def tranche_edit(
    request: Request, tranche_id: PathId, principal: SignedIn, db: WriteDB, posted: Posted
) -> Response:
    """Re-plan a scheduled tranche's date, or before activation its amount."""
    tranche, project = scope.get_with_project(db, principal, Tranche, tranche_id)
    form = _tranche_form(db, project, tranche)

    def save(values: dict[str, Any], version: int | None) -> Tranche:
        data = parse(TrancheUpdate, form, values)
        return tranches.update_tranche(db, principal, project, tranche, data, version)

    return submit(
        request,
        db,
        form,
        posted,
        save,
        target=lambda t: f"/projects/{project.id}#tranche-{t.id}",
        message=_("Saved the tranche."),
        current=lambda: current_values(form, scope.get_visible(db, principal, Tranche, tranche_id)),
    )
