"""The partner portal: what is due, milestone submissions and progress updates.

The expense and indicator value forms, and the form handling all of them share, are in
``grants.web.portal_forms``, and the lists' downloads in ``grants.web.portal_downloads``;
this router includes the routes of both.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from grants.http.deps import PathId, ReadDB, SignedIn, WriteDB, today_of
from grants.i18n import _
from grants.models import (
    Milestone,
    ProgressUpdate,
    ProgressUpdateCreate,
    Project,
    ReviewStatus,
)
from grants.services import facts, forms, portal, scope, submissions
from grants.services import portal_views as views
from grants.services.access import Principal
from grants.services.errors import DomainError
from grants.web import portal_downloads, portal_forms
from grants.web.deps import CsrfProtected
from grants.web.forms import Current, Refusal, done, page, version_of
from grants.web.portal_forms import Uploads, read, refused

router = APIRouter()
router.include_router(portal_forms.router)
router.include_router(portal_downloads.router)


@router.get("/portal", response_class=HTMLResponse)
def portal_home(request: Request, principal: SignedIn, db: ReadDB) -> Response:
    """Show my organisations' projects and what is due on them, most urgent first."""
    on = today_of(request)
    projects = portal.partner_projects(db, principal, on)
    due = portal.due_items(db, principal, projects, on)
    return page(
        request,
        "portal/home.html",
        None,
        projects=projects,
        due=due,
        today=on,
        due_soon_days=facts.due_soon_days(),
    )


# Milestones: submit with evidence files and a note.


def _milestone_now(milestone: Milestone) -> Current:
    """Return what a milestone holds now, for a submission refused after a concurrent edit."""
    return [
        (_("Status"), _(milestone.status.value).replace("_", " ")),
        (_("Due"), milestone.due_date.isoformat()),
        (_("Evidence required"), milestone.evidence_required),
    ]


def _milestone_page(
    request: Request,
    db: Session,
    principal: Principal,
    milestone: Milestone,
    posted: dict[str, str] | None = None,
    refusal: Refusal | None = None,
) -> Response:
    view = views.milestone_view(db, principal, milestone, today_of(request))
    keep = posted and refusal and refusal.current is None
    return page(
        request,
        "portal/milestone_submit.html",
        refusal,
        milestone=milestone,
        view=view,
        note=(posted or {}).get("note", ""),
        version=posted["version"] if keep and posted else str(milestone.version),
    )


@router.get("/milestones/{milestone_id}/submit", response_class=HTMLResponse)
def milestone_submit_form(
    request: Request, milestone_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show a milestone, what it needs and why it came back, with the submission form."""
    milestone = scope.get_visible(db, principal, Milestone, milestone_id)
    project = submissions.project_of(db, milestone)
    submissions.require_editor(db, principal, project, milestone.responsible_organisation_id)
    return _milestone_page(request, db, principal, milestone)


@router.post("/milestones/{milestone_id}/submit", dependencies=[CsrfProtected])
def submit_milestone(
    request: Request,
    milestone_id: PathId,
    principal: SignedIn,
    db: WriteDB,
    evidence: Uploads = None,
    note: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    """Attach the evidence files and submit the milestone for review."""
    milestone = scope.get_visible(db, principal, Milestone, milestone_id)
    try:
        submissions.submit_milestone(
            db,
            principal,
            milestone,
            read(evidence),
            note=note,
            today=today_of(request),
            expected_version=version_of(version),
        )
    except DomainError as error:
        refusal = refused(db, error, {"evidence", "note"}, lambda: _milestone_now(milestone))
        posted = {"note": note, "version": version}
        return _milestone_page(request, db, principal, milestone, posted, refusal)
    message = _("Milestone submitted for review: {title}").format(title=milestone.title)
    return done(request, f"/projects/{milestone.project_id}", message)


# Progress updates: write, save as a draft, submit.


class UpdateForm(BaseModel):
    """A progress update as typed, and which button was pressed."""

    period_start: str = ""
    period_end: str = ""
    overall_status: str = ""
    percent_complete: str = ""
    achievements: str = ""
    challenges: str = ""
    next_steps: str = ""
    action: str = "save"
    version: str = ""

    @classmethod
    def of(cls, update: ProgressUpdate) -> UpdateForm:
        """Return the form filled with the update's saved values."""
        saved = update.model_dump(include=set(ProgressUpdateCreate.model_fields))
        return cls(**{key: str(value) for key, value in saved.items()}, version=str(update.version))


def _update_now(update: ProgressUpdate) -> Current:
    """Return what a progress update holds now, for a save refused after a concurrent edit."""
    overall = {"on_track": _("On track"), "at_risk": _("At risk"), "off_track": _("Off track")}
    period = _("{start} to {end}").format(start=update.period_start, end=update.period_end)
    return [
        (_("Status"), _(update.status.value)),
        (_("Period"), period),
        (_("Overall status"), overall[update.overall_status.value]),
        (_("Percent complete"), update.percent_complete),
        (_("Achievements"), update.achievements),
        (_("Challenges"), update.challenges),
        (_("Next steps"), update.next_steps),
    ]


def _update_page(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    update: ProgressUpdate | None,
    form: UpdateForm | None = None,
    refusal: Refusal | None = None,
) -> Response:
    view = views.update_view(db, principal, project, update, today_of(request))
    if form is None:
        start, end = view.period
        form = (
            UpdateForm.of(update)
            if update
            else UpdateForm(period_start=str(start), period_end=str(end))
        )
    if refusal and refusal.current is not None and update:
        form = form.model_copy(update={"version": str(update.version)})
    return page(
        request,
        "portal/progress_update.html",
        refusal,
        project=project,
        update=update,
        view=view,
        values=form.model_dump(),
    )


@router.get("/projects/{project_id}/updates/new", response_class=HTMLResponse)
def progress_update_new(
    request: Request, project_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show an empty progress update for the period since my organisation's last one."""
    project = scope.get_visible(db, principal, Project, project_id)
    submissions.require_editor(db, principal, project)
    return _update_page(request, db, principal, project, None)


@router.get("/progress-updates/{update_id}/edit", response_class=HTMLResponse)
def progress_update_edit(
    request: Request, update_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show a draft or returned progress update to finish, with the reviewer's reason."""
    update = scope.get_visible(db, principal, ProgressUpdate, update_id)
    project = submissions.project_of(db, update)
    submissions.require_editor(db, principal, project, update.organisation_id)
    return _update_page(request, db, principal, project, update)


def _save_update(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    update: ProgressUpdate | None,
    form: UpdateForm,
    files: submissions.Files,
) -> Response:
    """Save (and on ``submit`` send) the update; show the form again if anything is refused."""
    typed = form.model_dump(exclude={"action", "version"})
    data, errors = forms.checked(ProgressUpdateCreate, typed)
    if data is None:
        return _update_page(request, db, principal, project, update, form, Refusal(errors))
    submit = form.action == "submit"
    try:
        saved = submissions.save_progress_update(
            db,
            principal,
            project,
            data,
            update=update,
            submit=submit,
            files=files,
            today=today_of(request),
            expected_version=version_of(form.version),
        )
    except DomainError as error:
        now = (lambda: _update_now(update)) if update else None
        refusal = refused(db, error, {*typed, "evidence"}, now)
        return _update_page(request, db, principal, project, update, form, refusal)
    if submit:
        return done(request, f"/projects/{project.id}", _("Progress update submitted for review."))
    message = (
        _("Draft saved. It stays with your organisation until you submit it.")
        if saved.status == ReviewStatus.DRAFT
        else _("Changes saved. Submit the update again when it is ready for review.")
    )
    return done(request, f"/progress-updates/{saved.id}/edit", message)


@router.post("/projects/{project_id}/updates/new", dependencies=[CsrfProtected])
def start_progress_update(
    request: Request,
    project_id: PathId,
    principal: SignedIn,
    db: WriteDB,
    form: Annotated[UpdateForm, Form()],
    evidence: Uploads = None,
) -> Response:
    """Save a new progress update as a draft, or submit it straight away."""
    project = scope.get_visible(db, principal, Project, project_id)
    submissions.require_editor(db, principal, project)
    return _save_update(request, db, principal, project, None, form, read(evidence))


@router.post("/progress-updates/{update_id}/edit", dependencies=[CsrfProtected])
def save_progress_update(
    request: Request,
    update_id: PathId,
    principal: SignedIn,
    db: WriteDB,
    form: Annotated[UpdateForm, Form()],
    evidence: Uploads = None,
) -> Response:
    """Save changes to a draft or returned progress update, or submit it."""
    update = scope.get_visible(db, principal, ProgressUpdate, update_id)
    project = submissions.project_of(db, update)
    submissions.require_editor(db, principal, project, update.organisation_id)
    return _save_update(request, db, principal, project, update, form, read(evidence))
