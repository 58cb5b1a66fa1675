"""Report downloads on the web: live drafts in PDF, HTML or XLSX; issued PDFs; issuing."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from grants import db
from grants.config import today
from grants.models import IssuedReport, ReportScope
from grants.services import scope
from grants.services.attachments import disposition
from grants.web.deps import CsrfProtected, ReadDB, SignedIn, engine_of, settings_of
from reports import archive

router = APIRouter()
Fmt = Literal["pdf", "html", "xlsx"]
AsOf = Annotated[dt.date | None, Query()]
SCOPES = {
    "projects": ReportScope.PROJECT,
    "programmes": ReportScope.PROGRAMME,
    "calls": ReportScope.CALL,
}


def send(request: Request, content: bytes, media_type: str, filename: str) -> Response:
    """Return a download with a content ETag; 304 when the browser already has it."""
    etag = f'"{archive.digest(content)}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag})
    shown = disposition(filename)
    if media_type.startswith("text/html"):
        shown = shown.replace("attachment;", "inline;", 1)
    return Response(
        content, media_type=media_type, headers={"ETag": etag, "Content-Disposition": shown}
    )


@router.get("/{collection}/{ident}/report.{fmt}")
def draft(
    request: Request,
    collection: Literal["projects", "programmes", "calls"],
    ident: int,
    fmt: Fmt,
    principal: SignedIn,
    session: ReadDB,
    as_of: AsOf = None,
) -> Response:
    """A live draft report of a project, programme or call, as of a date (default today)."""
    spec = archive.ReportSpec(SCOPES[collection], ident, as_of or today(settings_of(request)))
    built = archive.build(session, principal, spec, fmt)
    return send(request, built.content, built.media_type, built.filename)


@router.get("/issued-reports/{report_id}.pdf")
def issued(request: Request, report_id: int, principal: SignedIn, session: ReadDB) -> Response:
    """An issued report's frozen PDF: the same bytes on every download."""
    report = scope.get_visible(session, principal, IssuedReport, report_id)
    return send(request, report.pdf, "application/pdf", report.filename)


@router.post("/{collection}/{ident}/reports", dependencies=[CsrfProtected])
def issue(
    request: Request,
    collection: Literal["projects", "programmes", "calls"],
    ident: int,
    principal: SignedIn,
    session: ReadDB,
    as_of: Annotated[dt.date | None, Form()] = None,
) -> Response:
    """Issue the report (the programme's grant manager) and download its frozen PDF."""
    day = today(settings_of(request))
    spec = archive.ReportSpec(SCOPES[collection], ident, as_of or day)
    built, issued_at = archive.prepare(session, principal, spec, day)
    with db.write_session(engine_of(request)) as writer:
        report = archive.store(writer, principal, spec, built, issued_at)
        writer.flush()
        report_id = report.id
    return RedirectResponse(f"/issued-reports/{report_id}.pdf", status_code=303)
