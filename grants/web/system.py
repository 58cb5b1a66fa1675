"""The start page (landing, dashboard or a role's own home) and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from grants import db
from grants.services.access import works_as_manager
from grants.web import dashboard, navigation
from grants.web.deps import Public, ReadDB
from grants.web.templating import templates

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, principal: Public, session: ReadDB) -> Response:
    """Show the landing page, a manager's dashboard, or send others to their own home."""
    if principal is None:
        return templates().TemplateResponse(request, "home.html")
    if works_as_manager(principal):
        return dashboard.page(request, principal, session)
    return RedirectResponse(navigation.home_of(principal), status_code=303)


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request, principal: Public) -> JSONResponse:
    """Answer 200 when the database answers, 503 otherwise."""
    try:
        db.ping(request.app.state.engine)
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
