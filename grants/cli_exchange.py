"""``grants import`` and ``grants export``: spreadsheets, the JSON dump, IATI and 360Giving."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from grants import db
from grants.cli_common import fail, parse_date, reported_errors
from grants.i18n import _

if TYPE_CHECKING:
    from sqlmodel import Session

    from grants.exchange.imports import ImportResult
    from grants.services.access import Principal


class _FileByDefault(TyperGroup):
    """``grants import FILE`` means ``grants import file FILE``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["file", *args]
        return super().parse_args(ctx, args)


import_app = typer.Typer(
    cls=_FileByDefault, help=_("Import a workbook, CSV files or a JSON dump."), no_args_is_help=True
)
export_app = typer.Typer(
    help=_("Export tables, a JSON dump, IATI or 360Giving."), no_args_is_help=True
)

Output = Annotated[Path, typer.Option("-o", "--output", help=_("The file to write."))]
Acting = Annotated[
    str | None, typer.Option("--as", help=_("Act as this user (an email); default: the system."))
]
AsOf = Annotated[str | None, typer.Option("--as-of", help=_("YYYY-MM-DD; default today."))]
Sheets = Annotated[
    list[str] | None, typer.Option("--sheet", help=_("Only this sheet (repeatable)."))
]


def _principal(session: Session, email: str | None) -> Principal:
    from grants.services import users
    from grants.services.access import SYSTEM, principal_for

    return SYSTEM if email is None else principal_for(session, users.user_by_email(session, email))


def _report(result: ImportResult) -> None:
    """Print the notes, the counts per sheet, each change and each problem."""
    for note in result.notes:
        typer.echo(_("note: {note}").format(note=note), err=True)
    for skipped in result.skipped:
        typer.echo(_("not imported: {skipped}").format(skipped=skipped), err=True)
    for sheet, counts in result.counts().items():
        typer.echo(
            _("{sheet}: {create} new, {update} changed, {unchanged} unchanged").format(
                sheet=sheet, **counts
            )
        )
    for change in result.changes:
        if change.action != "unchanged":
            fields = "; ".join(
                _("{column}: {before} -> {after}").format(column=column, before=before, after=after)
                for column, (before, after) in change.changes.items()
            )
            typer.echo(
                _("  {sheet} row {row} ({key}) {action}: {fields}").format(
                    sheet=change.sheet,
                    row=change.row,
                    key=change.key,
                    action=change.action,
                    fields=fields,
                )
            )
    for problem in result.problems:
        typer.echo(_("error: {problem}").format(problem=problem), err=True)


@import_app.command("file")
def import_file(
    path: Annotated[
        Path,
        typer.Argument(help=_("An .xlsx workbook, a CSV file, a zip or a folder of CSV files.")),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Check and show the changes; write nothing."))
    ] = False,
    acting: Acting = None,
) -> None:
    """Import organisations, projects, partners, milestones, tranches and budget lines."""
    from grants.exchange import imports, workbook

    _check_size(path)
    book = workbook.read_path(path)
    engine = db.make_engine()
    with reported_errors():
        try:
            with db.write_session(engine) as session:
                principal = _principal(session, acting)
                result = imports.import_workbook(
                    session, principal, book, dry_run=dry_run, source=path.name
                )
        except imports.ImportRefused as refused:
            _report(refused.result)
            fail(str(refused))
    _report(result)
    if result.problems:
        fail(
            _("{count} problem(s) found; nothing was written (dry run)").format(
                count=len(result.problems)
            )
        )
    typer.echo(_("dry run: nothing was written") if dry_run else _("imported"), err=True)


def _check_size(path: Path) -> None:
    """Fail unless ``path`` exists and is within the import size limit."""
    from grants.config import get_settings

    if not path.exists():
        fail(_("{path}: no such file or folder").format(path=path))
    limit = get_settings().import_max_mb
    if path.is_file() and path.stat().st_size > limit * 1024 * 1024:
        fail(_("{path}: larger than the {limit} MB import limit").format(path=path, limit=limit))


@import_app.command("template")
def import_template(output: Output) -> None:
    """Write the import workbook template: an empty sheet per entity, and instructions."""
    from grants.exchange.template import template_xlsx

    output.write_bytes(template_xlsx())
    typer.echo(_("wrote {output}").format(output=output), err=True)


@import_app.command("json")
def import_json(
    path: Annotated[Path, typer.Argument(help=_("A dump written by `grants export json`."))],
) -> None:
    """Restore a JSON dump into an empty database (same ids, users and audit trail)."""
    from grants.exchange import dump

    if not path.is_file():
        fail(_("{path}: no such file").format(path=path))
    with reported_errors():
        document = dump.read_document(path.read_bytes())
        with db.write_session(db.make_engine()) as session:
            counts = dump.restore(session.connection(), document)
    typer.echo(
        _("restored {rows:,} rows in {tables} tables").format(
            rows=sum(counts.values()), tables=len(counts)
        ),
        err=True,
    )


def _tables(acting: str | None, sheets: list[str] | None) -> dict[str, Any]:
    from grants.exchange import exports

    unknown = sorted(set(sheets or ()) - set(exports.EXPORTS))
    if unknown:
        fail(
            _("--sheet: unknown {unknown}; the sheets are: {sheets}").format(
                unknown=", ".join(unknown), sheets=", ".join(exports.EXPORTS)
            )
        )
    with reported_errors(), db.read_session(db.make_engine()) as session:
        return exports.export_tables(session, _principal(session, acting), sheets)


@export_app.command("csv")
def export_csv(output: Output, sheet: Sheets = None, acting: Acting = None) -> None:
    """Write CSV: one file for one --sheet, a zip when OUTPUT ends in .zip, else a folder."""
    from grants.exchange import exports
    from grants.tables import csv_bytes

    tables = _tables(acting, sheet)
    if len(tables) == 1 and output.suffix.lower() == ".csv":
        (table,) = tables.values()
        output.write_bytes(csv_bytes(table.columns, table.rows))
    elif output.suffix.lower() == ".zip":
        output.write_bytes(exports.tables_csv_zip(tables))
    else:
        output.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            (output / f"{name}.csv").write_bytes(csv_bytes(table.columns, table.rows))
    typer.echo(
        _("wrote {output} ({count} tables)").format(output=output, count=len(tables)), err=True
    )


@export_app.command("xlsx")
def export_xlsx(output: Output, sheet: Sheets = None, acting: Acting = None) -> None:
    """Write an .xlsx workbook with a sheet per entity (it imports back unchanged)."""
    from grants.exchange import exports

    tables = _tables(acting, sheet)
    output.write_bytes(exports.tables_xlsx(tables))
    typer.echo(
        _("wrote {output} ({count} sheets)").format(output=output, count=len(tables)), err=True
    )


@export_app.command("json")
def export_json(output: Output) -> None:
    """Write the whole database as JSON (a backup that `grants import json` restores)."""
    from grants.exchange import dump

    engine = db.make_engine()
    if engine.dialect.name == "postgresql":
        # Every table read from one snapshot, so rows written meanwhile never half appear.
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with db.read_session(engine) as session:
        output.write_bytes(dump.dump_bytes(session.connection()))
    typer.echo(_("wrote {output}").format(output=output), err=True)


def _as_of(value: str | None) -> dt.date:
    from grants.config import today

    return parse_date(value, "--as-of") or today()


@export_app.command("iati")
def export_iati(
    output: Output,
    validate: Annotated[
        bool,
        typer.Option("--validate", help=_("Check the IATI rules (and the XSD with --schema-dir).")),
    ] = False,
    schema_dir: Annotated[
        Path | None, typer.Option("--schema-dir", help=_("The folder of the IATI 2.03 XSDs."))
    ] = None,
    as_of: AsOf = None,
    acting: Acting = None,
) -> None:
    """Write the projects as an IATI 2.03 activities file."""
    from grants.config import get_settings
    from grants.exchange import iati, iati_rules
    from grants.models import utcnow

    day = _as_of(as_of)
    if schema_dir is not None and not (schema_dir / iati_rules.SCHEMA_FILE).is_file():
        fail(
            _("--schema-dir: {folder} has no {file}").format(
                folder=schema_dir, file=iati_rules.SCHEMA_FILE
            )
        )
    with reported_errors(), db.read_session(db.make_engine()) as session:
        content = iati.iati_xml(session, _principal(session, acting), get_settings(), day, utcnow())
    output.write_bytes(content)
    typer.echo(_("wrote {output}").format(output=output), err=True)
    if validate or schema_dir is not None:
        problems = iati_rules.check(content, day, schema_dir)
        for problem in problems:
            typer.echo(_("error: {problem}").format(problem=problem), err=True)
        if problems:
            fail(_("{count} problem(s) in {output}").format(count=len(problems), output=output))
        typer.echo(
            _("valid against the XSD and the rules") if schema_dir else _("valid by the rules"),
            err=True,
        )


@export_app.command("360giving")
def export_360giving(output: Output, as_of: AsOf = None, acting: Acting = None) -> None:
    """Write the projects as a 360Giving 1.4 JSON data package."""
    from grants.config import get_settings
    from grants.exchange import giving360

    with reported_errors(), db.read_session(db.make_engine()) as session:
        content = giving360.package_json(
            session, _principal(session, acting), get_settings(), _as_of(as_of)
        )
    output.write_bytes(content)
    typer.echo(_("wrote {output}").format(output=output), err=True)
