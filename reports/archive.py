"""Drafts and issued reports: build a report in any format, and freeze an issued one.

A draft is always live: it is built from the data as it is now, for the date asked. Issuing
builds the PDF once and stores its bytes, their sha256 and the parameters; from then on the
download returns exactly those bytes, whatever changes afterwards.

Building reads only, so the slow part (charts and WeasyPrint) runs outside any write
transaction; storing the issued report is a short write of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from grants.i18n import _
from grants.models import (
    Call,
    IssuedReport,
    Programme,
    Project,
    ReportKind,
    ReportScope,
    utcnow,
)
from grants.services import scope
from grants.services.access import Principal, manages_programme, require_manager
from grants.services.common import writes
from grants.services.errors import Invalid, NotAllowed, NotFound
from reports import figures, pdf, render, xlsx

Format = Literal["pdf", "html", "xlsx"]
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ReportSpec:
    """Which report: a project's, or the portfolio of a programme or a call, as of a date."""

    scope: ReportScope
    scope_id: int
    as_of: dt.date

    @property
    def kind(self) -> ReportKind:
        return ReportKind.PROJECT if self.scope == ReportScope.PROJECT else ReportKind.PORTFOLIO


@dataclass(frozen=True)
class Built:
    """A report in one format, with the name a download should have."""

    content: bytes
    media_type: str
    filename: str
    programme_id: int
    label: str


def _target(session: Session, principal: Principal, spec: ReportSpec) -> tuple[int, str]:
    """Return the programme id and the file-name label, if the principal may see the report."""
    if spec.scope == ReportScope.PROJECT:
        project = scope.get_visible(session, principal, Project, spec.scope_id)
        call = session.get(Call, project.call_id)
        assert call is not None
        return call.programme_id, project.reference
    portfolio = select(Programme.id).where(scope.programme_condition(principal, as_partner=False))
    if spec.scope == ReportScope.CALL:
        found_call = session.exec(
            select(Call).where(Call.id == spec.scope_id, col(Call.programme_id).in_(portfolio))
        ).first()
        if found_call is None:
            raise NotFound(_("Call {ident} does not exist.").format(ident=spec.scope_id))
        return found_call.programme_id, found_call.code
    programme = session.exec(
        select(Programme).where(Programme.id == spec.scope_id, col(Programme.id).in_(portfolio))
    ).first()
    if programme is None:
        raise NotFound(_("Programme {ident} does not exist.").format(ident=spec.scope_id))
    return programme.id, programme.code


def digest(content: bytes) -> str:
    """Return the sha256 of ``content`` in hex: an issued report's fingerprint, and ETag."""
    return hashlib.sha256(content).hexdigest()


def filename(spec: ReportSpec, label: str, extension: str, issued: bool) -> str:
    """Return a file name that says what the file is: scope, kind, date, draft or issued."""
    kind = "progress-report" if spec.kind == ReportKind.PROJECT else "portfolio-report"
    state = "" if issued else "-draft"
    return f"{label}-{kind}-{spec.as_of.isoformat()}{state}.{extension}"


def build(
    session: Session,
    principal: Principal,
    spec: ReportSpec,
    fmt: Format = "pdf",
    *,
    issued_at: dt.datetime | None = None,
) -> Built:
    """Return the report of ``spec`` in ``fmt``, if the principal may see it."""
    programme_id, label = _target(session, principal, spec)
    data = (
        figures.project_report(session, spec.scope_id, spec.as_of)
        if spec.scope == ReportScope.PROJECT
        else figures.portfolio_report(
            session,
            spec.as_of,
            programme_id=spec.scope_id if spec.scope == ReportScope.PROGRAMME else None,
            call_id=spec.scope_id if spec.scope == ReportScope.CALL else None,
        )
    )
    name = filename(spec, label, fmt, issued=issued_at is not None)
    if fmt == "xlsx":
        content = xlsx.to_xlsx(data.sheets())
    else:
        status = "issued" if issued_at else "draft"
        html = (
            render.project_html(data, status=status, issued_at=issued_at)
            if isinstance(data, figures.ProjectReportData)
            else render.portfolio_html(data, status=status, issued_at=issued_at)
        )
        if fmt == "html":
            content = html.encode()
        else:
            data_name = filename(spec, label, "xlsx", issued=issued_at is not None)
            sheets = xlsx.to_xlsx(data.sheets())
            content = pdf.to_pdf(html, attachments=[(data_name, sheets)])
    return Built(content, MEDIA_TYPES[fmt], name, programme_id, label)


def check_issuer(session: Session, principal: Principal, spec: ReportSpec) -> None:
    """Raise unless the principal may issue ``spec``: the grant manager of its programme."""
    if spec.scope == ReportScope.PROJECT:
        project = scope.get_visible(session, principal, Project, spec.scope_id)
        require_manager(session, principal, project)
        return
    programme_id, _label = _target(session, principal, spec)
    programme = session.get(Programme, programme_id)
    assert programme is not None
    if not manages_programme(principal, programme):
        raise NotAllowed(_("Only the programme's grant manager may issue its reports."))


def prepare(
    session: Session, principal: Principal, spec: ReportSpec, today: dt.date
) -> tuple[Built, dt.datetime]:
    """Build the PDF to issue for ``spec`` (read only); raise unless the principal may."""
    check_issuer(session, principal, spec)
    if spec.as_of > today:
        raise Invalid("as_of", spec.as_of.isoformat(), _("a report cannot be issued ahead of time"))
    issued_at = utcnow().replace(microsecond=0)
    return build(session, principal, spec, "pdf", issued_at=issued_at), issued_at


@writes
def store(
    session: Session,
    principal: Principal,
    spec: ReportSpec,
    built: Built,
    issued_at: dt.datetime,
) -> IssuedReport:
    """Freeze a prepared report: its bytes, sha256, parameters, who and when."""
    check_issuer(session, principal, spec)
    report = IssuedReport(
        kind=spec.kind,
        scope=spec.scope,
        scope_id=spec.scope_id,
        programme_id=built.programme_id,
        as_of=spec.as_of,
        parameters={
            "scope": spec.scope.value,
            "scope_id": spec.scope_id,
            "as_of": str(spec.as_of),
            "label": built.label,
        },
        filename=built.filename,
        pdf=built.content,
        sha256=digest(built.content),
        issued_by_id=principal.user_id,
        issued_at=issued_at,
    )
    session.add(report)
    return report
