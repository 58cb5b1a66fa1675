"""Report downloads on the web: live drafts in PDF, HTML or XLSX; issued PDFs; issuing."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from grants import db
from grants.http.deps import PathId, ReadDB, SignedIn, engine_of, today_of
from grants.http.downloads import send
from grants.models import IssuedReport, ReportScope
from grants.models.base import Day
from grants.services import scope
from grants.web.deps import CsrfProtected
from reports import archive

router = APIRouter()
Fmt = Literal["pdf", "html", "xlsx"]
AsOf = Annotated[Day | None, Query()]
SCOPES = {
    "projects": ReportScope.PROJECT,
    "programmes": ReportScope.PROGRAMME,
    "calls": ReportScope.CALL,
}


@router.get("/{collection}/{ident}/report.{fmt}")
def draft(
    request: Request,
    collection: Literal["projects", "programmes", "calls"],
    ident: PathId,
    fmt: Fmt,
    principal: SignedIn,
    session: ReadDB,
    as_of: AsOf = None,
) -> Response:
    """A live draft report of a project, programme or call, as of a date (default today)."""
    spec = archive.ReportSpec(SCOPES[collection], ident, as_of or today_of(request))
    built = archive.build(session, principal, spec, fmt)
    return send(request, built.content, built.media_type, built.filename)


@router.get("/issued-reports/{report_id}.pdf")
def issued(request: Request, report_id: PathId, principal: SignedIn, session: ReadDB) -> Response:
    """An issued report's frozen PDF: the same bytes on every download."""
    report = scope.get_visible(session, principal, IssuedReport, report_id)
    return send(request, report.pdf, "application/pdf", report.filename)


@router.post("/{collection}/{ident}/reports", dependencies=[CsrfProtected])
def issue(
    request: Request,
    collection: Literal["projects", "programmes", "calls"],
    ident: PathId,
    principal: SignedIn,
    session: ReadDB,
    as_of: Annotated[Day | None, Form()] = None,
) -> Response:
    """Issue the report (the programme's grant manager) and download its frozen PDF."""
    day = today_of(request)
    spec = archive.ReportSpec(SCOPES[collection], ident, as_of or day)
    built, issued_at = archive.prepare(session, principal, spec, day)
    with db.write_session(engine_of(request)) as writer:
        report = archive.store(writer, principal, spec, built, issued_at)
        writer.flush()
        report_id = report.id
    return RedirectResponse(f"/issued-reports/{report_id}.pdf", status_code=303)
