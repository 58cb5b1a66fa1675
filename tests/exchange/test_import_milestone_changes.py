"""Importing changes to existing milestones: ``update_milestone``'s rules and words, in bulk."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session, select

from grants.exchange import imports
from grants.models import AuditEvent, Milestone, MilestoneUpdate, Organisation, Project
from grants.services import milestones
from grants.services.access import SYSTEM, Principal
from grants.services.errors import DomainError, Invalid
from tests.conftest import Demo
from tests.exchange.helpers import count, exported, principal, run_import, statements, xlsx
from tests.helpers import MANAGER

OPEN = ("planned", "in_progress")
COLUMNS = {"due_date": "due_date", "responsible_organisation_id": "responsible_organisation"}
# A change update_milestone refuses: (the milestone's status, column, new value).
REFUSED = [
    pytest.param("accepted", "title", "Rewritten after acceptance", id="accepted milestone"),
    pytest.param("planned", "due_date", dt.date(2030, 1, 1), id="due after the project ends"),
    pytest.param("planned", "responsible_organisation", "TN-SFAX", id="responsible not a partner"),
]


def _sheet(demo: Demo) -> tuple[list[str], list[list[Any]]]:
    table = exported(demo)["milestones"]
    return list(table.columns), [list(row) for row in table.rows]


def _milestone(session: Session, reference: str, number: int) -> Milestone:
    project = session.exec(select(Project).where(Project.reference == reference)).one()
    return session.exec(
        select(Milestone).where(Milestone.project_id == project.id, Milestone.position == number)
    ).one()


def _update(session: Session, column: str, value: Any) -> MilestoneUpdate:
    if column == "responsible_organisation":
        found = session.exec(select(Organisation).where(Organisation.ref == value)).one()
        return MilestoneUpdate(responsible_organisation_id=found.id)
    return MilestoneUpdate(**{column: value})


def _service_refusal(demo: Demo, reference: str, number: int, column: str, value: Any) -> Any:
    """Return the column and reason of what ``update_milestone`` itself says (nothing kept)."""
    with Session(demo.engine) as session:
        milestone = _milestone(session, reference, number)
        with pytest.raises(DomainError) as refused:
            milestones.update_milestone(
                session, principal(demo, MANAGER), milestone, _update(session, column, value)
            )
        session.rollback()
    error = refused.value
    if isinstance(error, Invalid):
        return COLUMNS[error.field or ""], error.reason
    return None, error.message


@pytest.mark.parametrize(("status", "column", "value"), REFUSED)
def test_a_refused_change_is_reported_in_the_service_s_words(
    demo: Demo, status: str, column: str, value: Any
) -> None:
    columns, rows = _sheet(demo)
    at = {name: columns.index(name) for name in ("status", "title", column)}
    refused = next(r for r in rows if r[0] == "ZRQ-WOMEN" and r[at["status"]] == status)
    fine = next(r for r in rows if r[0] == "IRB-SERVICES" and r[at["status"]] in OPEN)
    expected = _service_refusal(demo, refused[0], refused[1], column, value)
    refused[at[column]] = value
    fine[at["title"]] = "A fine new title"
    book = xlsx({"milestones": (columns, [fine, refused])})
    before = count(demo, AuditEvent)

    preview = run_import(demo, book, dry_run=True)

    assert [(p.row, p.column, p.reason) for p in preview.problems] == [(3, *expected)]
    assert preview.counts()["milestones"]["update"] == 1
    with pytest.raises(imports.ImportRefused):
        run_import(demo, book, dry_run=False)
    assert count(demo, AuditEvent) == before


def _open_as_planned(demo: Demo) -> list[tuple[str, int]]:
    """Return open milestones of two projects still due on their baseline date."""
    columns, rows = _sheet(demo)
    at = {name: columns.index(name) for name in ("due_date", "baseline_due_date", "status")}
    return [
        (row[0], row[1])
        for row in rows
        if row[0] in ("ZRQ-WOMEN", "IRB-SERVICES")
        and row[at["status"]] in OPEN
        and row[at["due_date"]] == row[at["baseline_due_date"]]
    ]


def test_changes_are_made_audited_and_the_baseline_follows_an_unplanned_move(demo: Demo) -> None:
    renamed, moved, replanned = _open_as_planned(demo)[:3]
    with Session(demo.engine) as session:
        milestone = _milestone(session, *replanned)
        baseline = milestone.baseline_due_date
        milestones.replan_milestone(
            session, SYSTEM, milestone, baseline - dt.timedelta(days=1), "Moved with the partner"
        )
        session.commit()
    columns, rows = _sheet(demo)
    at = {name: columns.index(name) for name in ("title", "due_date")}
    by_key = {(row[0], row[1]): row for row in rows}
    by_key[renamed][at["title"]] = "Renamed in bulk"
    for key in (moved, replanned):
        by_key[key][at["due_date"]] -= dt.timedelta(days=3)
    book = xlsx({"milestones": (columns, rows)})

    result = run_import(demo, book, dry_run=False)

    assert result.counts()["milestones"] == {"create": 0, "update": 3, "unchanged": len(rows) - 3}
    with Session(demo.engine) as session:
        for key, field in ((renamed, "title"), (moved, "due_date"), (replanned, "due_date")):
            milestone = _milestone(session, *key)
            assert getattr(milestone, field) == by_key[key][at[field]]
            event = session.exec(
                select(AuditEvent)
                .where(AuditEvent.entity == "milestone", AuditEvent.entity_id == str(milestone.id))
                .order_by(AuditEvent.id.desc())  # type: ignore[attr-defined]
            ).first()
            assert event is not None
            assert (event.action, event.actor_label, event.reason) == (
                "update",
                MANAGER,
                "Imported from test.xlsx",
            )
            assert event.changes[field]["after"] == str(by_key[key][at[field]])
        now_moved = _milestone(session, *moved)
        assert now_moved.baseline_due_date == now_moved.due_date
        assert _milestone(session, *replanned).baseline_due_date == baseline
    again = run_import(demo, book, dry_run=False)
    assert {c.action for c in again.changes} == {"unchanged"}


def _statements_to_change(demo: Demo, how_many: int) -> list[str]:
    columns, rows = _sheet(demo)
    status, title = columns.index("status"), columns.index("title")
    for row in [r for r in rows if r[status] in OPEN][:how_many]:
        row[title] = f"{row[title]} (revised)"
    book = xlsx({"milestones": (columns, rows)})
    manager = principal(demo, MANAGER)
    with statements(demo.engine) as seen:
        result = run_import(demo, book, dry_run=True, who=manager)
    assert result.counts()["milestones"]["update"] == how_many
    return seen


def test_the_queries_of_many_changes_are_those_of_one(demo: Demo) -> None:
    assert _statements_to_change(demo, 12) == _statements_to_change(demo, 1)


def test_the_batch_writer_hands_a_change_only_the_service_can_refuse_to_it(demo: Demo) -> None:
    manager: Principal = principal(demo, MANAGER)
    with Session(demo.engine) as session:
        accepted = session.exec(select(Milestone).where(Milestone.status == "accepted")).first()
        assert accepted is not None
        with pytest.raises(DomainError, match="can no longer change"):
            milestones.update_milestones(
                session, manager, [(accepted, MilestoneUpdate(title="Too late"))]
            )
        session.rollback()
