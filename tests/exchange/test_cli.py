"""``grants import`` and ``grants export`` as an operator runs them, against the demo."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import Result
from lxml import etree
from sqlalchemy import create_engine, text
from sqlmodel import Session, select
from typer.testing import CliRunner

from grants import db
from grants.cli import app
from grants.config import get_settings
from grants.exchange import imports, workbook
from grants.exchange.layout import IMPORT_SHEETS
from grants.models import AuditEvent, Milestone, Organisation, Project
from grants.services import scope
from grants.tables import csv_bytes, workbook_bytes
from tests import pg
from tests.conftest import Demo, cli_env
from tests.exchange.helpers import MILESTONE_HEADER, count, principal
from tests.helpers import MANAGER

Cli = Callable[..., Result]
PUBLISHER = {
    "GRANTS_IATI_REPORTING_ORG_REF": "XM-EXAMPLE-PROG",
    "GRANTS_GIVING360_PREFIX": "360G-example",
}
AS_OF = ["--as-of", "2026-06-15"]
ORGANISATION_HEADER = ["ref", "name", "kind", "country"]


@pytest.fixture
def grants(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cli]:
    """Run ``grants ARGS`` in-process, as ``tests/cli`` does, against the database at ``url``."""

    def invoke(args: list[str], url: str) -> Result:
        for key, value in cli_env(url, tmp_path / "var", **PUBLISHER).items():
            if key.startswith("GRANTS_"):
                monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return CliRunner().invoke(app, args)

    yield invoke
    get_settings.cache_clear()


def _organisation_refs(demo: Demo) -> set[str]:
    with Session(demo.engine) as session:
        return set(session.exec(select(Organisation.ref)).all())


def _next_number(demo: Demo, reference: str) -> int:
    with Session(demo.engine) as session:
        project = session.exec(select(Project).where(Project.reference == reference)).one()
        numbers = session.exec(
            select(Milestone.position).where(Milestone.project_id == project.id)
        ).all()
    return max(numbers, default=0) + 1


def test_a_dry_run_prints_the_preview_and_writes_nothing(
    grants: Cli, demo: Demo, tmp_path: Path
) -> None:
    path = tmp_path / "organisations.csv"
    path.write_bytes(
        csv_bytes(ORGANISATION_HEADER, [["CLI-DRY-1", "Dry run (fictional)", "cso", "tn"]])
    )
    before = count(demo, AuditEvent), _organisation_refs(demo)

    result = grants(["import", str(path), "--dry-run", "--as", MANAGER], demo.url)

    assert result.exit_code == 0, result.output
    assert "organisations: 1 new, 0 changed, 0 unchanged" in result.stdout
    assert "organisations row 2 (CLI-DRY-1) create:" in result.stdout
    assert "name: None -> Dry run (fictional)" in result.stdout
    assert "country: None -> TN" in result.stdout
    assert "dry run: nothing was written" in result.stderr
    assert (count(demo, AuditEvent), _organisation_refs(demo)) == before


def test_an_import_writes_through_the_services_and_exits_0(
    grants: Cli, demo: Demo, tmp_path: Path
) -> None:
    number = _next_number(demo, "ZRQ-WOMEN")
    path = tmp_path / "plan.xlsx"
    path.write_bytes(
        workbook_bytes(
            {
                "organisations": (ORGANISATION_HEADER, [["CLI-ORG-1", "CLI (fictional)", "cso"]]),
                "milestones": (
                    MILESTONE_HEADER,
                    [["ZRQ-WOMEN", number, "From the command line", "2026-08-01", "JO-ZARQA"]],
                ),
            }
        )
    )

    result = grants(["import", str(path), "--as", MANAGER], demo.url)

    assert result.exit_code == 0, result.output
    assert "milestones: 1 new, 0 changed, 0 unchanged" in result.stdout
    assert "imported" in result.stderr
    assert "CLI-ORG-1" in _organisation_refs(demo)
    assert _next_number(demo, "ZRQ-WOMEN") == number + 1
    with Session(demo.engine) as session:
        reasons = session.exec(
            select(AuditEvent.reason, AuditEvent.actor_label).where(
                AuditEvent.reason == "Imported from plan.xlsx"
            )
        ).all()
    assert sorted(reasons) == [("Imported from plan.xlsx", MANAGER)] * 2
    again = grants(["import", str(path), "--as", MANAGER], demo.url)
    assert again.exit_code == 0, again.output
    assert "milestones: 0 new, 0 changed, 1 unchanged" in again.stdout


def test_a_file_with_problems_prints_every_one_exits_2_and_writes_nothing(
    grants: Cli, demo: Demo, tmp_path: Path
) -> None:
    path = tmp_path / "wrong.xlsx"
    path.write_bytes(
        workbook_bytes(
            {
                "organisations": (
                    ORGANISATION_HEADER,
                    [["CLI-OK-2", "Fine (fictional)", "cso", "TN"], ["CLI-BAD", "", "mayor", "XX"]],
                ),
                "milestones": (
                    MILESTONE_HEADER,
                    [
                        ["NO-SUCH-PROJECT", 1, "Lost", "2026-07-01", None],
                        ["ZRQ-WOMEN", 1, "Date", "the day after", None],
                    ],
                ),
            }
        )
    )
    before = count(demo, AuditEvent), _organisation_refs(demo)
    with db.write_session(demo.engine) as session:
        problems = imports.import_workbook(
            session, principal(demo, MANAGER), workbook.read_path(path), dry_run=True, source=""
        ).problems
    shown = {(p.sheet, p.row, p.column, p.value) for p in problems}
    assert {
        ("organisations", 3, "kind", "mayor"),
        ("organisations", 3, "name", None),
        ("milestones", 2, "project_reference", "NO-SUCH-PROJECT"),
        ("milestones", 3, "due_date", "the day after"),
    } <= shown

    for dry_run in ([], ["--dry-run"]):
        result = grants(["import", str(path), "--as", MANAGER, *dry_run], demo.url)
        assert result.exit_code == 2, result.output
        printed = [line for line in result.stderr.splitlines() if line.startswith("error: sheet")]
        assert printed == [f"error: {problem}" for problem in problems]
        assert "error: sheet organisations, row 3, column kind:" in result.stderr
        assert "(got 'mayor')" in result.stderr
        assert "nothing was written" in result.stderr
    assert (count(demo, AuditEvent), _organisation_refs(demo)) == before


def test_the_template_is_a_workbook_with_a_sheet_per_entity(grants: Cli, tmp_path: Path) -> None:
    output = tmp_path / "template.xlsx"

    result = grants(["import", "template", "-o", str(output)], "sqlite:///unused.db")

    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(output, read_only=True)
    assert book.sheetnames == ["instructions", *(sheet.name for sheet in IMPORT_SHEETS)]
    milestones = next(book["milestones"].iter_rows(values_only=True))
    assert milestones[:4] == ("project_reference", "number", "title", "description")
    read = workbook.read_path(output)
    assert read.problems == []


def _rows_of_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _visible_projects(demo: Demo) -> int:
    with Session(demo.engine) as session:
        return len(scope.visible_projects(session, principal(demo, MANAGER)))


def _xlsx_rows(path: Path) -> dict[str, list[Any]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def _zip_rows(path: Path) -> dict[str, list[Any]]:
    with zipfile.ZipFile(path) as archive:
        return {
            name.removesuffix(".csv"): _rows_of_csv(archive.read(name))
            for name in archive.namelist()
        }


@pytest.mark.parametrize(("fmt", "name"), [("xlsx", "all.xlsx"), ("csv", "all.zip")])
def test_tables_export_to_a_file_that_reads_back(
    grants: Cli, demo: Demo, tmp_path: Path, fmt: str, name: str
) -> None:
    output = tmp_path / name

    result = grants(["export", fmt, "-o", str(output), "--as", MANAGER], demo.url)

    assert result.exit_code == 0, result.output
    sheets = _xlsx_rows(output) if fmt == "xlsx" else _zip_rows(output)
    assert {sheet.name for sheet in IMPORT_SHEETS} <= set(sheets)
    assert list(sheets["milestones"][0][:2]) == ["project_reference", "number"]
    assert len(sheets["projects"]) - 1 == _visible_projects(demo)
    assert workbook.read_path(output).problems == []


def test_one_sheet_exports_as_one_csv_file(grants: Cli, demo: Demo, tmp_path: Path) -> None:
    output = tmp_path / "milestones.csv"

    result = grants(["export", "csv", "--sheet", "milestones", "-o", str(output)], demo.url)

    assert result.exit_code == 0, result.output
    rows = _rows_of_csv(output.read_bytes())
    assert rows[0][:3] == ["project_reference", "number", "title"]
    assert len(rows) - 1 == count(demo, Milestone)
    unknown = grants(["export", "csv", "--sheet", "nope", "-o", str(output)], demo.url)
    assert unknown.exit_code == 2
    assert "--sheet: unknown nope" in unknown.stderr


def test_iati_exports_valid_by_the_rules(grants: Cli, demo: Demo, tmp_path: Path) -> None:
    output = tmp_path / "iati.xml"

    result = grants(["export", "iati", "-o", str(output), "--validate", *AS_OF], demo.url)

    assert result.exit_code == 0, result.output
    assert "valid by the rules" in result.stderr
    root = etree.parse(str(output)).getroot()
    assert root.tag == "iati-activities"
    identifiers = [a.findtext("iati-identifier") for a in root.findall("iati-activity")]
    assert "XM-EXAMPLE-PROG-ZRQ-WOMEN" in identifiers


def test_360giving_exports_a_json_package(grants: Cli, demo: Demo, tmp_path: Path) -> None:
    output = tmp_path / "grants.json"

    result = grants(["export", "360giving", "-o", str(output), *AS_OF], demo.url)

    assert result.exit_code == 0, result.output
    package = json.loads(output.read_bytes())
    ids = {grant["id"] for grant in package["grants"]}
    assert "360G-example-ZRQ-WOMEN" in ids
    assert all(grant["amountAwarded"] > 0 for grant in package["grants"])


@pytest.fixture
def empty_url(demo: Demo, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of an empty database (no schema) on the demo's engine."""
    if demo.kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    cluster: pg.Cluster = request.getfixturevalue("pg_cluster")
    name = f"restored_{os.getpid()}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield cluster.url(name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_json_dump_restores_into_an_empty_database(
    grants: Cli, demo: Demo, empty_url: str, tmp_path: Path
) -> None:
    backup, again = tmp_path / "backup.json", tmp_path / "again.json"
    assert grants(["export", "json", "-o", str(backup)], demo.url).exit_code == 0
    tables = json.loads(backup.read_bytes())["tables"]

    assert grants(["db", "upgrade"], empty_url).exit_code == 0
    result = grants(["import", "json", str(backup)], empty_url)

    assert result.exit_code == 0, result.output
    rows = sum(len(table["rows"]) for table in tables.values())
    assert f"restored {rows:,} rows in {len(tables)} tables" in result.stderr
    assert grants(["export", "json", "-o", str(again)], empty_url).exit_code == 0
    assert again.read_bytes() == backup.read_bytes()
    refused = grants(["import", "json", str(backup)], empty_url)
    assert refused.exit_code == 2
    assert "not empty" in refused.stderr
