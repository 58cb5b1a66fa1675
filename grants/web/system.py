"""The landing page and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from grants import db
from grants.web.deps import Public
from grants.web.templating import templates

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, principal: Public) -> HTMLResponse:
    """Render the landing page."""
    return templates().TemplateResponse(request, "home.html")


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request, principal: Public) -> JSONResponse:
    """Answer 200 when the database answers, 503 otherwise."""
    try:
        db.ping(request.app.state.engine)
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
