"""The partner portal's lists as CSV or XLSX: my projects, and what is due on them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from grants.http import downloads
from grants.http.deps import ReadDB, SignedIn, today_of
from grants.i18n import _
from grants.services import portal
from grants.services.portal import DueItem, PartnerProject

router = APIRouter()


def _role_labels() -> dict[str, str]:
    return {
        "lead": _("Lead grantee"),
        "co_implementing": _("Co-implementing partner"),
        "associated": _("Associated partner"),
    }


def _state_labels() -> dict[str, str]:
    return {
        "overdue": _("Overdue"),
        "planned": _("Planned"),
        "in_progress": _("In progress"),
        "returned": _("Returned to you"),
        "draft": _("Draft"),
        "due": _("Due"),
    }


def _project_row(mine: PartnerProject) -> dict[str, Any]:
    labels = _role_labels()
    roles = ", ".join(labels.get(role.value, role.value) for role in mine.roles.values())
    return {"mine": mine, "roles": roles}


def _due_what(item: DueItem) -> tuple[str, str]:
    """Return the kind of the item and its heading, as the page writes them."""
    if item.kind == "milestone":
        return _("Milestone"), item.title
    if item.kind == "progress_update" and item.period:
        start, end = (d.isoformat() for d in item.period)
        return _("Progress update"), _("Update for {start} to {end}").format(start=start, end=end)
    return _("Progress update"), _("Next progress update")


def _due_row(item: DueItem) -> dict[str, Any]:
    kind, what = _due_what(item)
    status = _state_labels().get(item.shown, item.shown)
    return {"item": item, "kind": kind, "what": what, "status": status}


@router.get("/portal/projects.{fmt}")
def portal_projects_download(
    request: Request, fmt: downloads.Format, principal: SignedIn, db: ReadDB
) -> Response:
    """Download my organisations' projects with their key figures, as the portal lists them."""
    on = today_of(request)
    rows = [_project_row(mine) for mine in portal.partner_projects(db, principal, on)]
    columns = [
        ("mine.project.reference", _("Project")),
        ("mine.project.title", _("Title")),
        ("mine.project.status", _("Status")),
        ("roles", _("Your organisation")),
        ("mine.figures.milestones_accepted", _("Milestones accepted")),
        ("mine.figures.milestones", _("Milestones")),
        ("mine.figures.milestones_overdue", _("Overdue milestones")),
        ("mine.figures.spent", _("Spent")),
        ("mine.figures.awarded", _("Awarded")),
        ("mine.project.currency", _("Currency")),
        ("mine.next_update_due", _("Next progress update due")),
    ]
    return downloads.table(columns, rows, fmt, "my-projects", on)


@router.get("/portal/due.{fmt}")
def portal_due_download(
    request: Request, fmt: downloads.Format, principal: SignedIn, db: ReadDB
) -> Response:
    """Download what is due on my organisations' projects, most urgent first."""
    on = today_of(request)
    projects = portal.partner_projects(db, principal, on)
    rows = [_due_row(item) for item in portal.due_items(db, principal, projects, on)]
    columns = [
        ("item.project.reference", _("Project")),
        ("kind", _("Kind")),
        ("what", _("What")),
        ("status", _("Status")),
        ("item.due_on", _("Due date")),
        ("item.days_late", _("Days late")),
        ("item.reason", _("The reviewer's reason")),
    ]
    return downloads.table(columns, rows, fmt, "what-is-due", on)
