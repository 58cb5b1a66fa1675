"""The grant manager's dashboard at ``/``, and each of its lists as a CSV or XLSX download."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from grants.http import downloads
from grants.http.deps import ReadDB, SignedIn, today_of
from grants.i18n import _
from grants.services import dashboard, facts, snapshot
from grants.services.access import Principal, require_works_as_manager
from grants.web.listing import Link
from grants.web.templating import templates

router = APIRouter()
PanelName = Literal["overdue", "due-soon", "releasable", "milestone-reviews", "update-reviews"]


@dataclass(frozen=True)
class Panel:
    """One list of the dashboard: what it shows on screen and in its download."""

    name: str
    title: str
    empty: str
    columns: list[tuple[str, str, str]]
    download: list[tuple[str, str]]


def _milestone_columns(last: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    return [
        ("project", _("Project"), "link"),
        ("title", _("Milestone"), "free"),
        ("responsible", _("Responsible"), "text"),
        ("due_date", _("Due"), "date"),
        last,
    ]


def _milestone_download(extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        ("reference", _("Project")),
        ("project_title", _("Project title")),
        ("position", _("Milestone number")),
        ("title", _("Milestone")),
        ("responsible", _("Responsible organisation")),
        ("baseline_due_date", _("Baseline due date")),
        ("due_date", _("Due date")),
        ("status", _("Status")),
        *extra,
    ]


def panels() -> dict[str, Panel]:
    """Return the dashboard's lists, by the name their download URL uses."""
    return {
        panel.name: panel
        for panel in (
            Panel(
                "overdue",
                _("Milestones overdue"),
                _("No milestone is overdue."),
                _milestone_columns(("days_late", _("Days late"), "int")),
                _milestone_download([("days_late", _("Days late"))]),
            ),
            Panel(
                "due-soon",
                _("Due in the next {n} days").format(n=facts.due_soon_days()),
                _("Nothing is due in the next {n} days.").format(n=facts.due_soon_days()),
                _milestone_columns(("days_left", _("Days left"), "int")),
                _milestone_download([("days_left", _("Days left"))]),
            ),
            Panel(
                "releasable",
                _("Tranches ready to release"),
                _("No tranche is waiting to be released."),
                [
                    ("project", _("Project"), "link"),
                    ("position", _("Tranche"), "int"),
                    ("amount", _("Amount"), "money"),
                    ("planned_date", _("Planned"), "date"),
                ],
                [
                    ("reference", _("Project")),
                    ("project_title", _("Project title")),
                    ("position", _("Tranche")),
                    ("amount", _("Amount")),
                    ("currency", _("Currency")),
                    ("planned_date", _("Planned date")),
                ],
            ),
            Panel(
                "milestone-reviews",
                _("Milestones to review"),
                _("No submitted milestone is waiting for review."),
                _milestone_columns(("submitted_on", _("Submitted"), "date")),
                _milestone_download([("submitted_on", _("Submitted on"))]),
            ),
            Panel(
                "update-reviews",
                _("Progress updates to review"),
                _("No progress update is waiting for review."),
                [
                    ("project", _("Project"), "link"),
                    ("organisation", _("From"), "text"),
                    ("period_end", _("Period ending"), "date"),
                    ("overall_status", _("Reported status"), "status"),
                    ("submitted_on", _("Submitted"), "date"),
                ],
                [
                    ("reference", _("Project")),
                    ("project_title", _("Project title")),
                    ("organisation", _("Organisation")),
                    ("period_start", _("Period start")),
                    ("period_end", _("Period end")),
                    ("overall_status", _("Reported status")),
                    ("percent_complete", _("Percent complete")),
                    ("submitted_on", _("Submitted on")),
                ],
            ),
        )
    }


def _linked(rows: dashboard.Rows) -> dashboard.Rows:
    for row in rows.items:
        row["project"] = Link(row["reference"], f"/projects/{row['project_id']}")
    return rows


def _overview(session: Session, principal: Principal, day: dt.date) -> dict[str, Any]:
    """Return what the dashboard shows of the data, its lists' projects linked."""
    found = dashboard.overview(session, principal, day)
    return {
        "figures": found.figures,
        "lists": {name: _linked(rows) for name, rows in found.lists.items()},
        "at_risk": found.at_risk,
        "at_risk_total": found.at_risk_total,
    }


def page(request: Request, principal: Principal, session: Session) -> Response:
    """Render the dashboard of the projects the principal manages."""
    day = today_of(request)
    known = snapshot.current(session, day)
    key = ("dashboard", dashboard.scope_key(principal))
    shown = snapshot.remembered(session, known, key, lambda: _overview(session, principal, day))
    return templates().TemplateResponse(
        request,
        "dashboard.html",
        {"today": day, "panels": panels(), "due_soon_days": facts.due_soon_days(), **shown},
    )


@router.get("/dashboard/{name}.{fmt}")
def download(
    request: Request,
    name: PanelName | Literal["at-risk"],
    fmt: downloads.Format,
    principal: SignedIn,
    session: ReadDB,
) -> Response:
    """Download one of the dashboard's lists, whole, as CSV or XLSX."""
    require_works_as_manager(principal, _("Only grant managers have a dashboard."))
    day = today_of(request)
    if name == "at-risk":
        flagged = dashboard.projects_at_risk(session, principal, day)
        rows: list[Any] = [
            {
                "reference": a.reference,
                "title": a.title,
                "status": a.status,
                "reasons": "; ".join(a.reasons),
            }
            for a in flagged
        ]
        columns = [
            ("reference", _("Project")),
            ("title", _("Title")),
            ("status", _("Status")),
            ("reasons", _("Why it is at risk")),
        ]
        return downloads.table(columns, rows, fmt, "projects-at-risk", day)
    found = dashboard.work(session, principal, name, day, None)
    return downloads.table(panels()[name].download, found.items, fmt, name, day)
