"""Importing workbooks and CSV files through the services: all or nothing, every problem named."""

from __future__ import annotations

import codecs
import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from grants.exchange import exports, imports, workbook
from grants.models import AuditEvent, Milestone, Organisation, Project
from grants.services.errors import NotAllowed
from grants.tables import csv_bytes, workbook_bytes
from tests.conftest import Demo
from tests.exchange.helpers import MILESTONE_HEADER, count, exported, run_import, xlsx
from tests.helpers import DONOR, MANAGER


def test_an_exported_workbook_and_csv_zip_import_back_unchanged(demo: Demo) -> None:
    tables = exported(demo)
    for name, content in (
        ("all.xlsx", exports.tables_xlsx(tables)),
        ("all.zip", exports.tables_csv_zip(tables)),
    ):
        result = run_import(demo, workbook.read_upload(name, content), dry_run=True)
        assert result.problems == []
        assert {c.action for c in result.changes} == {"unchanged"}
        assert result.counts()["milestones"]["unchanged"] == len(tables["milestones"].rows)
        assert "expenses" in " ".join(result.skipped)


def test_every_problem_is_named_and_nothing_is_written(demo: Demo) -> None:
    events, organisations = count(demo, AuditEvent), count(demo, Organisation)
    book = xlsx(
        {
            "organisations": (
                ["ref", "name", "kind", "country"],
                [
                    ["NEW-ORG-OK", "A fine organisation", "cso", "TN"],
                    ["bad ref", "", "mayor", "XX"],
                ],
            ),
            "milestones": (
                MILESTONE_HEADER,
                [
                    ["ZRQ-WOMEN", 9, "Too far ahead", "2026-05-01", ""],
                    ["NO-SUCH-PROJECT", 1, "Lost", "2026-05-01", ""],
                    ["ZRQ-WOMEN", 1, "Date", "the day after", ""],
                ],
            ),
        }
    )
    with pytest.raises(imports.ImportRefused) as refused:
        run_import(demo, book, dry_run=False)
    found = {(p.sheet, p.row, p.column) for p in refused.value.result.problems}
    assert {
        ("organisations", 3, "name"),
        ("organisations", 3, "kind"),
        ("milestones", 2, "number"),
        ("milestones", 3, "project_reference"),
        ("milestones", 4, "due_date"),
    } <= found
    assert any(
        p.value == "the day after" and "not a date" in p.reason
        for p in refused.value.result.problems
    )
    text = str(next(p for p in refused.value.result.problems if p.column == "kind"))
    assert text.startswith("sheet organisations, row 3, column kind:")
    assert (count(demo, AuditEvent), count(demo, Organisation)) == (events, organisations)


def test_a_changed_row_updates_through_the_services_and_a_second_import_changes_nothing(
    demo: Demo,
) -> None:
    tables = exported(demo)
    milestones = tables["milestones"]
    index = next(
        i
        for i, row in enumerate(milestones.rows)
        if row[0] == "ZRQ-WOMEN" and row[8] in ("planned", "in_progress")
    )
    rows = [list(row) for row in milestones.rows]
    rows[index][2] = "Renamed by the import"
    sheets = {
        "milestones": (list(milestones.columns), rows),
        "organisations": (
            ["ref", "name", "kind", "country", "city"],
            [["TN-NEW-CSO", "Nouvelle association (fictional)", "cso", "tn", "Sfax"]],
        ),
    }
    preview = run_import(demo, xlsx(sheets), dry_run=True)
    assert preview.counts()["milestones"] == {"create": 0, "update": 1, "unchanged": len(rows) - 1}
    change = next(c for c in preview.changes if c.action == "update")
    assert change.changes == {"title": (milestones.rows[index][2], "Renamed by the import")}
    assert preview.counts()["organisations"]["create"] == 1
    applied = run_import(demo, xlsx(sheets), dry_run=False)
    assert applied.applied
    assert applied.fingerprint() == preview.fingerprint()
    with Session(demo.engine) as session:
        project = session.exec(select(Project).where(Project.reference == "ZRQ-WOMEN")).one()
        milestone = session.exec(
            select(Milestone).where(
                Milestone.project_id == project.id, Milestone.position == rows[index][1]
            )
        ).one()
        assert milestone.title == "Renamed by the import"
        assert (
            session.exec(select(Organisation).where(Organisation.ref == "TN-NEW-CSO")).one().country
            == "TN"
        )
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "milestone", AuditEvent.entity_id == str(milestone.id))
            .order_by(AuditEvent.id.desc())  # type: ignore[attr-defined]
        ).first()
        assert event is not None
        assert event.actor_label == MANAGER
        assert event.reason == "Imported from test.xlsx"
        assert event.changes["title"]["after"] == "Renamed by the import"
    again = run_import(demo, xlsx(sheets), dry_run=False)
    assert {c.action for c in again.changes} == {"unchanged"}


def test_new_projects_and_their_plan_are_created_in_one_import(demo: Demo) -> None:
    start, end = dt.date(2026, 7, 1), dt.date(2026, 12, 31)
    sheets = {
        "projects": (
            [
                "reference",
                "call",
                "title",
                "city",
                "country",
                "awarded_amount",
                "planned_start",
                "planned_end",
                "objectives",
                "lead_organisation",
                "sectors",
            ],
            [
                [
                    "IMP-NEW-1",
                    "MC2CM-CALL-2",
                    "Imported action (fictional)",
                    "Sfax",
                    "TN",
                    "30000,00",
                    start,
                    end,
                    "A; B",
                    "TN-SFAX",
                    "15190: 60; 16010: 40",
                ]
            ],
        ),
        "partners": (
            ["project_reference", "organisation", "role"],
            [["IMP-NEW-1", "TN-SFAX", "lead"], ["IMP-NEW-1", "MEDCITIES", "associated"]],
        ),
        "milestones": (
            MILESTONE_HEADER,
            [
                ["IMP-NEW-1", 2, "Second", "2026-10-01", ""],
                ["IMP-NEW-1", 1, "First", "01/08/2026", "TN-SFAX"],
                [None, None, None, None, None],
            ],
        ),
        "tranches": (
            ["project_reference", "number", "amount", "planned_date", "gate_milestones"],
            [
                ["IMP-NEW-1", 1, 20000, "2026-07-15", ""],
                ["IMP-NEW-1", 2, "10000", "2026-10-15", "2"],
            ],
        ),
        "budget_lines": (
            ["project_reference", "code", "category", "description", "amount"],
            [["IMP-NEW-1", "B1", "Staff", "Coordinator", "30000"]],
        ),
    }
    result = run_import(demo, xlsx(sheets), dry_run=False)
    assert result.counts()["partners"] == {"create": 1, "update": 0, "unchanged": 1}
    assert result.counts()["milestones"]["create"] == 2
    assert result.counts()["tranches"]["create"] == 2
    tables = exported(demo)
    project = next(row for row in tables["projects"].rows if row[0] == "IMP-NEW-1")
    assert project[7] == Decimal("30000.0000")
    assert project[11] == "A; B"
    assert project[13] == "15190: 60; 16010: 40"
    assert [row[5] for row in tables["tranches"].rows if row[0] == "IMP-NEW-1"] == ["", "2"]


def test_only_managers_and_administrators_may_import(demo: Demo) -> None:
    with pytest.raises(NotAllowed):
        run_import(demo, xlsx({"organisations": (["ref"], [])}), dry_run=True, who=DONOR)


def test_csv_files_in_other_encodings_separators_and_forms(demo: Demo) -> None:
    rows = [
        ["ref", "name", "kind", "city"],
        ["CSV-ORG-1", "Société Générale des Eaux (fictional)", "private_sector", "Tunis"],
    ]
    text = "\r\n".join(";".join(row) for row in rows) + "\r\n;;;\r\n"
    for content in (
        codecs.BOM_UTF8 + text.encode(),
        text.encode("cp1252"),
        codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    ):
        result = run_import(demo, workbook.read_upload("organisations.csv", content), dry_run=True)
        assert result.problems == []
        assert result.changes[0].changes["name"] == (None, "Société Générale des Eaux (fictional)")
    assert any(
        "Windows-1252" in note
        for note in workbook.read_upload("organisations.csv", text.encode("cp1252")).notes
    )
    escaped = csv_bytes(["ref", "name", "kind"], [["CSV-ORG-2", "=cmd|' /C calc'!A0", "other"]])
    result = run_import(demo, workbook.read_upload("organisations.csv", escaped), dry_run=True)
    assert result.changes[0].changes["name"] == (None, "=cmd|' /C calc'!A0")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, ".xls file"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "cannot be read"),
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV file"),
        ("budget.csv", b"a,b\n1,2\n", "unknown sheet"),
        ("milestones.csv", b"project_reference,title\nX,Y\n", "column number is missing"),
        ("milestones.csv", b"project_reference,number,Due\nX,1,2026-01-01\n", "unknown column"),
        ("empty.xlsx", workbook_bytes({"Sheet1": (["a"], [])}), "unknown sheet"),
    ],
)
def test_unreadable_files_get_a_clear_problem_not_a_traceback(
    name: str, content: bytes, reason: str
) -> None:
    book = workbook.read_upload(name, content)
    assert book.problems
    assert reason in " ".join(str(p) for p in book.problems)
