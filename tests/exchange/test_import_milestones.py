"""Importing many new milestones: the service's own rules and words, one batch, few queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from grants import db
from grants.exchange import imports
from grants.models import AuditEvent, Milestone, MilestoneCreate, Organisation, Project
from grants.services import milestones
from grants.services.access import Principal
from grants.services.errors import DomainError, Invalid
from tests.conftest import Demo
from tests.exchange.helpers import (
    MILESTONE_HEADER,
    count,
    principal,
    run_import,
    statements,
    xlsx,
)
from tests.helpers import MANAGER

# (project, due date, responsible organisation): rows add_milestone refuses, and why.
REFUSED = [
    pytest.param("ACMALS", "2025-03-01", None, id="closed project"),
    pytest.param("TRP-YOUTH", "2025-03-01", None, id="cancelled project"),
    pytest.param("SDA-CEDAR", "2030-01-01", None, id="due after the project ends"),
    pytest.param("ZRQ-WOMEN", "2026-07-01", "TN-SFAX", id="responsible not a partner"),
]
# The workbook column of each field the milestone rules name.
COLUMNS = {"due_date": "due_date", "responsible_organisation_id": "responsible_organisation"}


def _project(session: Session, reference: str) -> Project:
    return session.exec(select(Project).where(Project.reference == reference)).one()


def _next_number(demo: Demo, reference: str) -> int:
    with Session(demo.engine) as session:
        last = session.exec(
            select(func.max(Milestone.position)).where(
                Milestone.project_id == _project(session, reference).id
            )
        ).one()
    return (last or 0) + 1


def _service_refusal(
    demo: Demo, acting: Principal, reference: str, due: str, responsible: str | None
) -> DomainError:
    """Return what ``add_milestone`` itself says about this milestone (nothing is kept)."""
    with Session(demo.engine) as session:
        project = _project(session, reference)
        organisation = (
            session.exec(select(Organisation).where(Organisation.ref == responsible)).one()
            if responsible
            else None
        )
        data = MilestoneCreate(
            title="Refused",
            due_date=dt.date.fromisoformat(due),
            responsible_organisation_id=organisation.id if organisation else None,
        )
        with pytest.raises(DomainError) as refused:
            milestones.add_milestone(session, acting, project, data)
        session.rollback()
    return refused.value


def _shown(error: DomainError) -> tuple[str | None, str]:
    """Return the column and the reason an import shows for a service's refusal."""
    if isinstance(error, Invalid):
        return COLUMNS[error.field or ""], error.reason
    return None, error.message


@pytest.mark.parametrize(("reference", "due", "responsible"), REFUSED)
def test_a_refused_new_milestone_is_reported_in_the_service_s_words(
    demo: Demo, reference: str, due: str, responsible: str | None
) -> None:
    manager = principal(demo, MANAGER)
    expected = _shown(_service_refusal(demo, manager, reference, due, responsible))
    before = count(demo, Milestone), count(demo, AuditEvent)
    rows = [
        ["IRB-SERVICES", _next_number(demo, "IRB-SERVICES"), "Fine", "2026-07-01", None],
        [reference, _next_number(demo, reference), "Refused", due, responsible],
    ]
    book = xlsx({"milestones": (MILESTONE_HEADER, rows)})
    preview = run_import(demo, book, dry_run=True, who=manager)
    assert [(p.row, p.column, p.reason) for p in preview.problems] == [(3, *expected)]
    assert preview.counts()["milestones"]["create"] == 1
    with pytest.raises(imports.ImportRefused):
        run_import(demo, book, dry_run=False, who=manager)
    assert (count(demo, Milestone), count(demo, AuditEvent)) == before


def test_every_refused_row_is_reported_at_once_and_nothing_is_written(demo: Demo) -> None:
    manager = principal(demo, MANAGER)
    rows: list[list[Any]] = [
        ["IRB-SERVICES", _next_number(demo, "IRB-SERVICES"), "Fine", "2026-07-01", None]
    ]
    expected = set()
    for number, param in enumerate(REFUSED, start=3):
        reference, due, responsible = param.values
        rows.append([reference, _next_number(demo, reference), "Refused", due, responsible])
        refusal = _service_refusal(demo, manager, reference, due, responsible)
        expected.add((number, *_shown(refusal)))
    before = count(demo, Milestone), count(demo, AuditEvent)
    book = xlsx({"milestones": (MILESTONE_HEADER, rows)})
    with pytest.raises(imports.ImportRefused) as refused:
        run_import(demo, book, dry_run=False, who=manager)
    problems = refused.value.result.problems
    assert {(p.row, p.column, p.reason) for p in problems} == expected
    assert (count(demo, Milestone), count(demo, AuditEvent)) == before


def test_a_project_seen_but_not_managed_refuses_new_milestones(demo: Demo) -> None:
    manager = principal(demo, MANAGER)
    with Session(demo.engine) as session:
        funder = session.exec(select(Organisation).where(Organisation.ref == "EU-NEAR")).one()
        elsewhere = session.exec(select(Organisation).where(Organisation.ref == "TN-SFAX")).one()
    # Manages another organisation's programmes (none), but funds this one, so sees its projects.
    onlooker = replace(
        manager, manager_org_ids=frozenset({elsewhere.id}), donor_org_ids=frozenset({funder.id})
    )
    refusal = _service_refusal(demo, onlooker, "ZRQ-WOMEN", "2026-07-01", None)
    rows = [["ZRQ-WOMEN", _next_number(demo, "ZRQ-WOMEN"), "Not mine", "2026-07-01", None]]
    result = run_import(
        demo, xlsx({"milestones": (MILESTONE_HEADER, rows)}), dry_run=True, who=onlooker
    )
    assert [(p.column, p.reason) for p in result.problems] == [(None, refusal.message)]
    assert "grant manager" in refusal.message


def test_new_milestones_continue_the_numbering_and_each_is_audited(demo: Demo) -> None:
    plan = {"ZRQ-WOMEN": 4, "IRB-SERVICES": 3}
    rows = []
    for reference, how_many in plan.items():
        first = _next_number(demo, reference)
        rows += [
            [reference, first + n, f"Imported step {n}", f"2026-07-{n + 1:02}", None]
            for n in range(how_many)
        ]
    rows[0][4] = "JO-ZARQA"
    book = xlsx({"milestones": (MILESTONE_HEADER, rows)})
    before = count(demo, Milestone), count(demo, AuditEvent)
    preview = run_import(demo, book, dry_run=True)
    assert preview.counts()["milestones"]["create"] == len(rows)
    assert (count(demo, Milestone), count(demo, AuditEvent)) == before
    applied = run_import(demo, book, dry_run=False)
    assert applied.fingerprint() == preview.fingerprint()
    with Session(demo.engine) as session:
        for reference, number, title, due, responsible in rows:
            project = _project(session, reference)
            milestone = session.exec(
                select(Milestone).where(
                    Milestone.project_id == project.id, Milestone.position == number
                )
            ).one()
            assert (milestone.title, milestone.due_date.isoformat()) == (title, due)
            assert milestone.baseline_due_date == milestone.due_date
            if responsible:
                assert milestone.responsible_organisation_id is not None
            [event] = session.exec(
                select(AuditEvent).where(
                    AuditEvent.entity == "milestone", AuditEvent.entity_id == str(milestone.id)
                )
            ).all()
            assert (event.action, event.actor_label, event.reason) == (
                "create",
                MANAGER,
                "Imported from test.xlsx",
            )
            assert event.changes["title"] == title
    assert count(demo, AuditEvent) == before[1] + len(rows)
    again = run_import(demo, book, dry_run=False)
    assert {c.action for c in again.changes} == {"unchanged"}
    assert count(demo, AuditEvent) == before[1] + len(rows)


def _statements_to_import(demo: Demo, each: int) -> list[str]:
    """Return the statements a dry run of ``each`` new milestones for three projects runs."""
    rows = []
    for reference in ("ZRQ-WOMEN", "IRB-SERVICES", "SDA-CEDAR"):
        first = _next_number(demo, reference)
        rows += [[reference, first + n, f"Step {n}", "2026-07-01", None] for n in range(each)]
    book = xlsx({"milestones": (MILESTONE_HEADER, rows)})
    manager = principal(demo, MANAGER)
    with statements(demo.engine) as seen:
        result = run_import(demo, book, dry_run=True, who=manager)
    assert result.counts()["milestones"]["create"] == len(rows)
    return seen


def test_the_queries_an_import_runs_do_not_grow_with_its_rows(demo: Demo) -> None:
    few, many = _statements_to_import(demo, 1), _statements_to_import(demo, 20)
    assert many == few
    assert few.count("SAVEPOINT") == 1  # the import's own, rolled back on a dry run
    assert few.count("SELECT") <= 8, few


def test_the_batch_writer_adds_nothing_when_one_row_breaks_a_rule(demo: Demo) -> None:
    manager = principal(demo, MANAGER)
    before = count(demo, Milestone), count(demo, AuditEvent)
    with db.write_session(demo.engine) as session:
        project = _project(session, "ZRQ-WOMEN")
        new = [
            (project, MilestoneCreate(title="Fine", due_date=dt.date(2026, 7, 1))),
            (project, MilestoneCreate(title="Too late", due_date=dt.date(2031, 1, 1))),
        ]
        with pytest.raises(Invalid) as refused:
            milestones.add_milestones(session, manager, new)
        assert refused.value.field == "due_date"
        assert not session.new
    assert (count(demo, Milestone), count(demo, AuditEvent)) == before
