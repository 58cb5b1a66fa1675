"""The donor's report room: funded programmes, their projects, key figures and reports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from grants.config import today
from grants.services import report_room
from grants.web.deps import ReadDB, SignedIn, settings_of
from grants.web.templating import templates

router = APIRouter()


@router.get("/donor", response_class=HTMLResponse)
def donor_home(request: Request, principal: SignedIn, db: ReadDB) -> Response:
    """Show each programme the signed-in funder supports, with its projects and reports."""
    day = today(settings_of(request))
    rooms = report_room.report_room(db, principal, day)
    return templates().TemplateResponse(request, "donor/home.html", {"rooms": rooms, "today": day})
