"""Draft reports in PDF, HTML or XLSX, and issuing a report that never changes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from grants import db
from grants.api.common import READ_ERRORS, WRITE_ERRORS, Ident, one
from grants.api.deps import ApiPrincipal
from grants.api.schemas import Input
from grants.http.deps import ReadDB, Today, engine_of
from grants.http.downloads import send
from grants.models import IssuedReportRead, ReportScope
from grants.models.base import Day, Id
from reports import archive

router = APIRouter(responses=READ_ERRORS)

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report, as a download named for what it is.",
        "content": {media_type.split(";")[0]: {} for media_type in archive.MEDIA_TYPES.values()},
    },
    304: {"description": "Not modified: `If-None-Match` holds this content's ETag."},
}
AsOf = Annotated[Day | None, Query(description="The report's date; default today.")]
Fmt = Annotated[Literal["pdf", "html", "xlsx"], Query(alias="format")]


class IssueIn(Input):
    """Which report to issue."""

    scope: ReportScope
    scope_id: Id
    as_of: Day | None = Field(default=None, description="Default today.")


def _draft(
    request: Request,
    principal: ApiPrincipal,
    session: ReadDB,
    scope: ReportScope,
    ident: Ident,
    as_of: dt.date,
    fmt: str,
) -> Response:
    spec = archive.ReportSpec(scope, ident, as_of)
    built = archive.build(session, principal, spec, fmt)  # type: ignore[arg-type]
    return send(request, built.content, built.media_type, built.filename)


@router.get("/projects/{project_id}/report", responses=FILE_RESPONSES)
def project_report(
    request: Request,
    project_id: Ident,
    principal: ApiPrincipal,
    session: ReadDB,
    day: Today,
    as_of: AsOf = None,
    fmt: Fmt = "pdf",
) -> Response:
    """A project's progress report as of a date: a live draft, never stored."""
    return _draft(request, principal, session, ReportScope.PROJECT, project_id, as_of or day, fmt)


@router.get("/programmes/{programme_id}/report", responses=FILE_RESPONSES)
def programme_report(
    request: Request,
    programme_id: Ident,
    principal: ApiPrincipal,
    session: ReadDB,
    day: Today,
    as_of: AsOf = None,
    fmt: Fmt = "pdf",
) -> Response:
    """A programme's portfolio report as of a date (managers, donors and admins)."""
    scope = ReportScope.PROGRAMME
    return _draft(request, principal, session, scope, programme_id, as_of or day, fmt)


@router.get("/calls/{call_id}/report", responses=FILE_RESPONSES)
def call_report(
    request: Request,
    call_id: Ident,
    principal: ApiPrincipal,
    session: ReadDB,
    day: Today,
    as_of: AsOf = None,
    fmt: Fmt = "pdf",
) -> Response:
    """A call's portfolio report as of a date (managers, donors and admins)."""
    return _draft(request, principal, session, ReportScope.CALL, call_id, as_of or day, fmt)


@router.post(
    "/issued-reports", response_model=IssuedReportRead, status_code=201, responses=WRITE_ERRORS
)
def issue_report(
    request: Request,
    response: Response,
    body: IssueIn,
    principal: ApiPrincipal,
    session: ReadDB,
    day: Today,
) -> Response:
    """Issue a report (the programme's grant manager): its PDF is frozen from now on."""
    spec = archive.ReportSpec(body.scope, body.scope_id, body.as_of or day)
    built, issued_at = archive.prepare(session, principal, spec, day)
    with db.write_session(engine_of(request)) as writer:
        report = archive.store(writer, principal, spec, built, issued_at)
        writer.flush()
        response.headers["Location"] = f"/api/v1/issued-reports/{report.id}"
        return one(request, response, report, IssuedReportRead)
