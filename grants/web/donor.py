"""The donor's report room: funded programmes, their projects, key figures and reports, and
each programme's lists as CSV or XLSX."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from grants.http import downloads
from grants.http.deps import PathId, ReadDB, SignedIn, today_of
from grants.i18n import _
from grants.services import report_room
from grants.services.report_room import IssuedLine, ProjectLine
from grants.web.templating import templates

router = APIRouter()


@router.get("/donor", response_class=HTMLResponse)
def donor_home(request: Request, principal: SignedIn, db: ReadDB) -> Response:
    """Show each programme the signed-in funder supports, with its projects and reports."""
    on = today_of(request)
    rooms = report_room.report_room(db, principal, on)
    return templates().TemplateResponse(request, "donor/home.html", {"rooms": rooms, "today": on})


def _project_row(line: ProjectLine) -> dict[str, Any]:
    return {"line": line, "risks": "; ".join(line.risks)}


@router.get("/donor/programmes/{programme_id}/projects.{fmt}")
def donor_projects_download(
    request: Request, programme_id: PathId, fmt: downloads.Format, principal: SignedIn, db: ReadDB
) -> Response:
    """Download a funded programme's projects with their key figures, as the room lists them."""
    on = today_of(request)
    room = report_room.programme_room(db, principal, programme_id, on)
    columns = [
        ("line.project.reference", _("Project")),
        ("line.project.title", _("Title")),
        ("line.project.city", _("City")),
        ("line.project.country", _("Country")),
        ("line.project.status", _("Status")),
        ("line.figures.awarded", _("Awarded")),
        ("line.figures.disbursed", _("Disbursed")),
        ("line.figures.spent", _("Spent")),
        ("line.project.currency", _("Currency")),
        ("line.figures.pct_milestones_accepted", _("Milestones accepted (%)")),
        ("risks", _("Why it is at risk")),
    ]
    rows = [_project_row(line) for line in room.projects]
    return downloads.table(columns, rows, fmt, f"projects-{room.programme.code}", on)


def _report_row(line: IssuedLine) -> dict[str, Any]:
    kind = (
        _("{covers} progress report")
        if line.report.kind.value == "project"
        else _("{covers} portfolio report")
    )
    return {"line": line, "what": kind.format(covers=line.covers)}


@router.get("/donor/programmes/{programme_id}/reports.{fmt}")
def donor_reports_download(
    request: Request, programme_id: PathId, fmt: downloads.Format, principal: SignedIn, db: ReadDB
) -> Response:
    """Download the list of a funded programme's issued reports, newest first."""
    on = today_of(request)
    room = report_room.programme_room(db, principal, programme_id, on)
    columns = [
        ("line.report.filename", _("File")),
        ("what", _("Report")),
        ("line.report.as_of", _("As of")),
        ("line.report.issued_at", _("Issued")),
        ("line.report.sha256", _("SHA-256")),
    ]
    rows = [_report_row(line) for line in room.reports]
    return downloads.table(columns, rows, fmt, f"reports-{room.programme.code}", on)
