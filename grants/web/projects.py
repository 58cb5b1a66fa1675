"""Project pages: the list, one project, its history, evidence files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col

from grants.config import today
from grants.models import Attachment, Project
from grants.services import attachments, facts, milestones, programmes, scope
from grants.web.deps import ReadDB, SignedIn, current, settings_of
from grants.web.templating import templates

router = APIRouter()


@router.get("/projects", response_class=HTMLResponse)
def project_list(request: Request, principal: SignedIn, db: ReadDB) -> Response:
    """List the projects the signed-in user may see."""
    return templates().TemplateResponse(
        request, "projects.html", {"projects": scope.visible_projects(db, principal)}
    )


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, project_id: int, principal: SignedIn, db: ReadDB) -> Response:
    """Show a project: partners, milestones with lateness, and evidence files."""
    project = scope.get_visible(db, principal, Project, project_id)
    day = today(settings_of(request))
    found = current(request)
    return templates().TemplateResponse(
        request,
        "project.html",
        {
            "project": project,
            "partners": programmes.partners_of(db, project),
            "milestones": [
                (m, facts.days_late(m, day)) for m in milestones.milestones_of(db, project)
            ],
            "files": db.exec(
                scope.visible(principal, Attachment)
                .where(Attachment.project_id == project.id)
                .order_by(col(Attachment.uploaded_at).desc())
            ).all(),
            "csrf_token": found[1].csrf_token if found else "",
        },
    )


@router.get("/projects/{project_id}/history", response_class=HTMLResponse)
def project_history(request: Request, project_id: int, principal: SignedIn, db: ReadDB) -> Response:
    """Show every change to the project, oldest first, with its author."""
    project = scope.get_visible(db, principal, Project, project_id)
    return templates().TemplateResponse(
        request,
        "history.html",
        {"project": project, "events": scope.project_history(db, principal, project_id)},
    )


@router.get("/attachments/{attachment_id}")
def download(attachment_id: int, principal: SignedIn, db: ReadDB) -> Response:
    """Send an evidence file as a download, to those who may see its project."""
    attachment = scope.get_visible(db, principal, Attachment, attachment_id)
    return attachment_response(attachment)


def attachment_response(attachment: Attachment) -> Response:
    """Return the stored file as an attachment that browsers will not render."""
    return Response(
        attachments.read_attachment(attachment),
        media_type=attachment.content_type,
        headers={"Content-Disposition": attachments.disposition(attachment)},
    )
