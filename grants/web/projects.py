"""Project pages: one project in full, its history, and its evidence files."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from grants.http import downloads
from grants.http.deps import PathId, ReadDB, SignedIn, today_of
from grants.http.downloads import attachment_response
from grants.i18n import _
from grants.models import Attachment, AuditEvent, Project
from grants.services import project_view, scope
from grants.web.forms import page
from grants.web.templating import templates

router = APIRouter()


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, project_id: PathId, principal: SignedIn, db: ReadDB) -> Response:
    """Show a project in full, with the actions the signed-in user may take on it."""
    project = scope.get_visible(db, principal, Project, project_id)
    view = project_view.project_view(db, principal, project, today_of(request))
    return page(request, "project.html", None, view=view, today=today_of(request))


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


def _changes_text(changes: dict[str, Any]) -> str:
    """Return the changes as the page lists them, one ``field: before → after`` per field."""
    return "; ".join(
        f"{field}: {change.get('before')} → {change.get('after')}"
        if isinstance(change, dict)
        else f"{field}: {change}"
        for field, change in changes.items()
    )


def _history_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "who": event.actor_label,
        "what": f"{event.entity} {event.entity_id}: {_(event.action.value)}",
        "changes": _changes_text(event.changes),
        "why": event.reason,
    }


@router.get("/projects/{project_id}/history.{fmt}")
def project_history_download(
    request: Request, project_id: PathId, fmt: downloads.Format, principal: SignedIn, db: ReadDB
) -> Response:
    """Download the project's history as the page shows it: who, when, what changed, why."""
    project = scope.get_visible(db, principal, Project, project_id)
    events = scope.project_history(db, principal, project_id)
    columns = [
        ("at", _("When (UTC)")),
        ("who", _("Who")),
        ("what", _("What")),
        ("changes", _("Changes")),
        ("why", _("Why")),
    ]
    rows = [_history_row(event) for event in events]
    return downloads.table(columns, rows, fmt, f"history-{project.reference}", today_of(request))


@router.get("/attachments/{attachment_id}")
def download(attachment_id: PathId, principal: SignedIn, db: ReadDB) -> Response:
    """Send an evidence file as a download, to those who may see its project."""
    attachment = scope.get_visible(db, principal, Attachment, attachment_id)
    return attachment_response(attachment)
