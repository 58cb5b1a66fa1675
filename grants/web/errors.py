"""Errors mapped to pages (or problem+json under /api) in one place; a 500 shows nothing."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from grants.http.admission import busy_headers, busy_message
from grants.http.deps import SignInRequired
from grants.http.methods import allowed_methods
from grants.i18n import _
from grants.services.errors import (
    Conflict,
    DomainError,
    Invalid,
    InvalidTransition,
    NotAllowed,
    NotFound,
    Stale,
    TooLarge,
)
from grants.web import headers
from grants.web.deps import CsrfRefused
from grants.web.templating import templates

log = logging.getLogger("grants.errors")
STATUS = {
    TooLarge: 413,
    NotFound: 404,
    NotAllowed: 403,
    InvalidTransition: 409,
    Conflict: 409,
    Invalid: 422,
}
TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Too large",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Service unavailable",
}
# What SQLite says when a writer waited the whole busy timeout for the write lock.
SQLITE_BUSY = ("database is locked", "database table is locked")


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def render(request: Request, status: int, message: str, **extra: Any) -> Response:
    """Return the error as problem+json for the API, as a page for everyone else.

    ``extra`` adds members to the problem document: ``errors`` (one per field) and
    ``allowed`` (the workflow steps allowed from the current state).
    """
    title = _(TITLES.get(status, "Error"))
    if is_api(request):
        problem = {"type": "about:blank", "title": title, "status": status, "detail": message}
        response: Response = JSONResponse(
            problem | extra, status_code=status, media_type="application/problem+json"
        )
    else:
        response = templates().TemplateResponse(
            request,
            "error.html",
            {"status": status, "title": title, "message": message},
            status_code=status,
        )
    return headers.apply(request, response)


MAX_ERRORS = 50


def _field_error(item: Any) -> dict[str, str]:
    """Return one validation error as ``{field, location, message}``, dotted path first."""
    location = [str(part) for part in item.get("loc", ())]
    where = location[0] if location else "body"
    field = ".".join(location[1:]) or where
    message = str(item.get("msg", "")).removeprefix("Value error, ")
    return {"field": field, "location": where, "message": message}


def _details(error: DomainError) -> dict[str, Any]:
    """Return the problem members that say which field was wrong or which steps remain."""
    if isinstance(error, Invalid):
        return {"errors": [{"field": error.field, "location": "body", "message": error.reason}]}
    if isinstance(error, InvalidTransition):
        return {"allowed": list(error.allowed)}
    return {}


def _busy(request: Request, reason: str) -> Response:
    """503 with ``Retry-After``: the request waited its whole time for the database."""
    log.warning("busy", extra={"event": "busy", "path": request.url.path, "reason": reason})
    response = render(request, 503, busy_message())
    response.headers.update(busy_headers())
    return response


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
        if isinstance(error, Stale) and is_api(request):
            status = 412
        if status in {403, 404}:
            log.info(
                "denied",
                extra={
                    "event": "denied",
                    "status": status,
                    "path": request.url.path,
                    "reason": type(error).__name__,
                },
            )
        if status == 404:
            return render(request, 404, _("This page does not exist."))
        return render(request, status, error.message, **_details(error))

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _error: SignInRequired) -> Response:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return headers.apply(request, RedirectResponse(f"/login?next={target}", status_code=303))

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _error: CsrfRefused) -> Response:
        return render(
            request,
            403,
            _("The form expired or came from another site; reload the page and try again."),
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 304:
            return headers.apply(request, Response(status_code=304, headers=error.headers))
        message = _("This page does not exist.") if error.status_code == 404 else str(error.detail)
        response = render(request, error.status_code, message)
        response.headers.update(error.headers or {})
        if error.status_code == 405:
            # A route knows only its own methods; the path may have others on other routes.
            allowed = allowed_methods(request.app.routes, request.scope)
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        errors = [_field_error(item) for item in error.errors()]
        first = errors[0] if errors else {"field": _("request"), "message": _("invalid")}
        return render(
            request, 422, f"{first['field']}: {first['message']}", errors=errors[:MAX_ERRORS]
        )

    @app.exception_handler(PoolTimeout)
    async def no_connection(request: Request, error: PoolTimeout) -> Response:
        return _busy(request, "pool_timeout")

    @app.exception_handler(OperationalError)
    async def database_error(request: Request, error: OperationalError) -> Response:
        if any(text in str(error.orig) for text in SQLITE_BUSY):
            return _busy(request, "database_locked")
        return await server_error(request, error)

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> Response:
        log.error(
            "server error",
            extra={
                "event": "server_error",
                "path": request.url.path,
                "method": request.method,
                "error": type(error).__name__,
            },
            exc_info=error,
        )
        return render(request, 500, _("The error was logged; please try again later."))
