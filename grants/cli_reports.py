"""``grants report``: draft reports to a file, and issuing a report that never changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from grants import db
from grants.cli_common import fail, parse_date, reported_errors

if TYPE_CHECKING:
    from reports.archive import ReportSpec

report_app = typer.Typer(help="Write and issue progress reports.", no_args_is_help=True)

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="The report's date (YYYY-MM-DD); default today.")
]
Output = Annotated[Path, typer.Option("-o", "--output", help="The file to write.")]
FormatOption = Annotated[str, typer.Option("--format", help="pdf, html or xlsx.")]
Programme = Annotated[str | None, typer.Option("--programme", help="A programme's code.")]
CallCode = Annotated[str | None, typer.Option("--call", help="A call's code.")]


def _format(value: str) -> Literal["pdf", "html", "xlsx"]:
    if value not in {"pdf", "html", "xlsx"}:
        fail(f"--format: must be pdf, html or xlsx (got {value!r})")
    return value  # type: ignore[return-value]


def _as_of(value: str | None) -> dt.date:
    from grants.config import today

    return parse_date(value, "--as-of") or today()


def _spec(
    kind: str, reference: str | None, programme: str | None, call: str | None, as_of: dt.date
) -> ReportSpec:
    """Return the report spec for a project reference, or a programme or call code."""
    from sqlmodel import Session, select

    from grants.models import Call, Project, ReportScope
    from grants.models import Programme as ProgrammeRow
    from grants.services.common import get_by_key
    from reports.archive import ReportSpec

    engine = db.make_engine()
    with Session(engine) as session:
        if kind == "project":
            assert reference is not None
            row = get_by_key(session, Project, Project.reference, reference, "Project")
            return ReportSpec(ReportScope.PROJECT, row.id, as_of)
        if (programme is None) == (call is None):
            fail("give exactly one of --programme CODE or --call CODE")
        if call is not None:
            found = get_by_key(session, Call, Call.code, call, "Call")
            return ReportSpec(ReportScope.CALL, found.id, as_of)
        assert programme is not None
        chosen = session.exec(select(ProgrammeRow).where(ProgrammeRow.code == programme)).first()
        if chosen is None:
            fail(f"programme: {programme!r} does not exist")
        return ReportSpec(ReportScope.PROGRAMME, chosen.id, as_of)


def _write(spec: ReportSpec, fmt: str, output: Path) -> None:
    from grants.services.access import SYSTEM
    from reports import archive

    with db.read_session(db.make_engine()) as session:
        built = archive.build(session, SYSTEM, spec, _format(fmt))
    output.write_bytes(built.content)
    typer.echo(f"wrote {output} ({len(built.content):,} bytes; {built.filename})", err=True)


@report_app.command("project")
def report_project(
    reference: Annotated[str, typer.Argument(help="The project's reference.")],
    output: Output,
    as_of: AsOf = None,
    fmt: FormatOption = "pdf",
) -> None:
    """Write a project's progress report (a draft, from today's data)."""
    with reported_errors():
        _write(_spec("project", reference, None, None, _as_of(as_of)), fmt, output)


@report_app.command("portfolio")
def report_portfolio(
    output: Output,
    programme: Programme = None,
    call: CallCode = None,
    as_of: AsOf = None,
    fmt: FormatOption = "pdf",
) -> None:
    """Write the portfolio report of a programme or a call (a draft)."""
    with reported_errors():
        _write(_spec("portfolio", None, programme, call, _as_of(as_of)), fmt, output)


@report_app.command("issue")
def report_issue(
    kind: Annotated[str, typer.Argument(help="project or portfolio.")],
    reference: Annotated[str | None, typer.Argument(help="The project's reference.")] = None,
    programme: Programme = None,
    call: CallCode = None,
    as_of: AsOf = None,
    issuer: Annotated[
        str | None, typer.Option("--as", help="The grant manager issuing it (an email).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Also write the PDF.")
    ] = None,
) -> None:
    """Issue a report: freeze its PDF, sha256 and parameters; it never changes afterwards."""
    from grants.config import today
    from grants.services import users
    from grants.services.access import SYSTEM, principal_for
    from reports import archive

    if kind not in {"project", "portfolio"}:
        fail(f"kind: must be project or portfolio (got {kind!r})")
    if kind == "project" and reference is None:
        fail("give the project's reference")
    engine = db.make_engine()
    with reported_errors():
        spec = _spec(kind, reference, programme, call, _as_of(as_of))
        with db.read_session(engine) as session:
            principal = SYSTEM
            if issuer is not None:
                principal = principal_for(session, users.user_by_email(session, issuer))
            built, issued_at = archive.prepare(session, principal, spec, today())
        with db.write_session(engine) as session:
            report = archive.store(session, principal, spec, built, issued_at)
            session.flush()
            typer.echo(f"issued report {report.id}: {report.filename} sha256 {report.sha256}")
    if output is not None:
        output.write_bytes(built.content)
