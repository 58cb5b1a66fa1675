"""The start page (landing, dashboard or a role's own home), the API docs page and the
health check."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from grants import db
from grants.http.deps import Public, ReadDB, settings_of
from grants.services.access import works_as_manager
from grants.web import dashboard, navigation
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


@router.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request, principal: Public) -> HTMLResponse:
    """Interactive API docs; off when the setting says so (by default in production)."""
    if not settings_of(request).docs_enabled:
        raise HTTPException(404)
    return templates().TemplateResponse(request, "api_docs.html")


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request, principal: Public) -> JSONResponse:
    """Answer 200 when the database answers, 503 otherwise."""
    try:
        db.ping(request.app.state.engine)
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
