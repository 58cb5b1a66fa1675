"""The per-process snapshot of every project's figures: right, current, and cheap to keep so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session

from grants import db
from grants.config import Settings
from grants.models import ExpenseCreate, Project
from grants.services import budgets, facts, snapshot
from grants.services.access import SYSTEM
from tests import factories as f
from tests.api.test_query_counts import statements
from tests.factories import TODAY


def _two_projects(engine: Engine) -> tuple[int, int, int]:
    """Two active projects; return their ids and a budget line of the first."""
    with db.write_session(engine) as session:
        first, _ms, _tr = f.active_project(session)
        second, _ms, _tr = f.active_project(session)
        line = f.budget_line(session, first)
        assert first.id is not None
        assert second.id is not None
        assert line.id is not None
        return first.id, second.id, line.id


def _spend(engine: Engine, project_id: int, line_id: int, amount: str) -> None:
    with db.write_session(engine) as session:
        project = session.get(Project, project_id)
        assert project is not None
        lead = f.lead_of(session, project)
        budgets.record_expense(
            session,
            SYSTEM,
            project,
            ExpenseCreate(
                budget_line_id=line_id,
                spent_on=TODAY,
                amount=Decimal(amount),
                currency=project.currency,
                description="Venue hire",
            ),
            today=TODAY,
            organisation_id=lead.id,
        )


def test_the_snapshot_holds_the_same_figures_and_risks_as_the_facts(engine: Engine) -> None:
    _two_projects(engine)
    with db.read_session(engine) as session:
        known = snapshot.current(session, TODAY)
        figures = facts.project_figures(session, TODAY)
        at_risk = {pid: found.reasons for pid, found in figures.items() if found.reasons}
    assert {pid: found.figures for pid, found in known.projects.items()} == figures
    assert {pid: found.reasons for pid, found in known.projects.items() if found.reasons} == at_risk


def test_a_write_is_seen_at_once_and_only_its_project_is_computed_again(engine: Engine) -> None:
    first, second, line = _two_projects(engine)
    with db.read_session(engine) as session:
        before = snapshot.current(session, TODAY)
    _spend(engine, first, line, "250.00")
    with db.read_session(engine) as session, statements(engine) as seen:
        after = snapshot.current(session, TODAY)
    assert after.projects[first].figures.spent == before.projects[first].figures.spent + 250
    assert after.projects[second] is before.projects[second]  # not computed again
    assert after.mark > before.mark
    with db.read_session(engine) as session, statements(engine) as unchanged:
        assert snapshot.current(session, TODAY) is after
    assert len(unchanged) == 1  # the high-water mark, nothing else
    # The mark, the changed projects, its figures (7: see facts.project_figures) and its
    # waiting items (5).
    assert len(seen) <= 16


def test_a_write_through_another_engine_is_seen_too(engine: Engine, settings: Settings) -> None:
    first, _second, line = _two_projects(engine)
    with db.read_session(engine) as session:
        before = snapshot.current(session, TODAY).projects[first].figures.spent
    other = db.make_engine(engine.url.render_as_string(hide_password=False), settings)
    try:
        _spend(other, first, line, "99.50")
    finally:
        other.dispose()
    with db.read_session(engine) as session:
        assert snapshot.current(session, TODAY).projects[first].figures.spent == before + Decimal(
            "99.50"
        )


def test_a_new_day_computes_every_project_again(engine: Engine) -> None:
    first, _second, _line = _two_projects(engine)
    with db.read_session(engine) as session:
        today = snapshot.current(session, TODAY)
        tomorrow = snapshot.current(session, TODAY + dt.timedelta(days=1))
    assert tomorrow.day == TODAY + dt.timedelta(days=1)
    assert tomorrow.projects[first] is not today.projects[first]
    assert (
        tomorrow.projects[first].figures.pct_time_elapsed
        >= today.projects[first].figures.pct_time_elapsed
    )


def test_write_and_read_sessions_share_one_snapshot(engine: Engine) -> None:
    _two_projects(engine)
    with db.read_session(engine) as session:
        read = snapshot.current(session, TODAY)
    with db.write_session(engine) as session:
        assert snapshot.current(session, TODAY) is read


def test_an_empty_database_has_an_empty_snapshot(engine: Engine) -> None:
    with Session(engine) as session:
        known = snapshot.current(session, TODAY)
    assert known.projects == {}
    assert known.mark == 0
