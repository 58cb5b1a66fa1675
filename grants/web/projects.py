"""Project pages: one project in full, its history, and its evidence files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from grants.models import Attachment, Project
from grants.services import attachments, project_view, scope
from grants.web.deps import PathId, ReadDB, SignedIn
from grants.web.forms import day, page
from grants.web.templating import templates

router = APIRouter()


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, project_id: PathId, principal: SignedIn, db: ReadDB) -> Response:
    """Show a project in full, with the actions the signed-in user may take on it."""
    project = scope.get_visible(db, principal, Project, project_id)
    view = project_view.project_view(db, principal, project, day(request))
    return page(request, "project.html", None, view=view, today=day(request))


@router.get("/projects/{project_id}/history", response_class=HTMLResponse)
def project_history(
    request: Request, project_id: PathId, principal: SignedIn, db: ReadDB
) -> Response:
    """Show every change to the project, oldest first, with its author."""
    project = scope.get_visible(db, principal, Project, project_id)
    return templates().TemplateResponse(
        request,
        "history.html",
        {"project": project, "events": scope.project_history(db, principal, project_id)},
    )


@router.get("/attachments/{attachment_id}")
def download(attachment_id: PathId, principal: SignedIn, db: ReadDB) -> Response:
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
