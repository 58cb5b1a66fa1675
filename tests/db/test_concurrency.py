"""Concurrent writers: no "database is locked", no lost update, no double payment; exact money."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, func, select

from grants import db
from grants.config import Settings
from grants.models import (
    AuditEvent,
    Milestone,
    MilestoneUpdate,
    ProjectStatus,
    Tranche,
    TrancheStatus,
)
from grants.services import facts, milestones, tranches
from grants.services.access import SYSTEM
from grants.services.errors import Conflict, InvalidTransition
from tests import factories as f
from tests.factories import TODAY


def _run_together(workers: list[Callable[[], Any]]) -> list[Any]:
    """Run ``workers`` in threads started at once; return each result or raised exception."""
    results: list[Any] = [None] * len(workers)

    def run(index: int) -> None:
        try:
            results[index] = workers[index]()
        except Exception as error:  # collected and asserted on by the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return results


def _milestone(engine: Engine) -> int:
    with db.write_session(engine) as session:
        project = f.project(session)
        return f.milestone(session, project, description="0").id


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path, settings: Settings) -> Iterator[Engine]:
    """A migrated SQLite database of its own (the write-lock test is about SQLite only)."""
    path = tmp_path / "grants.db"
    shutil.copy(sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}", settings)
    yield engine
    engine.dispose()


def test_sqlite_writers_queue_up_instead_of_failing_or_losing_updates(
    sqlite_engine: Engine,
) -> None:
    milestone_id = _milestone(sqlite_engine)
    threads, increments = 4, 25
    start = threading.Barrier(threads)

    def increment_many() -> int:
        start.wait()
        for _ in range(increments):
            with db.write_session(sqlite_engine) as session:
                milestone = session.get(Milestone, milestone_id)
                assert milestone is not None
                count = int(milestone.description) + 1
                milestones.update_milestone(
                    session, SYSTEM, milestone, MilestoneUpdate(description=str(count))
                )
        return increments

    results = _run_together([increment_many] * threads)

    assert results == [increments] * threads  # no "database is locked", no Conflict
    with db.read_session(sqlite_engine) as session:
        milestone = session.get(Milestone, milestone_id)
        assert milestone is not None
        assert milestone.description == str(threads * increments)
        assert milestone.version == 1 + threads * increments
        edits = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "milestone", AuditEvent.action == "update")
        ).one()
        assert edits == threads * increments


def test_the_version_counter_refuses_a_lost_update(engine: Engine) -> None:
    milestone_id = _milestone(engine)
    # Two people open the same milestone; each screen keeps what it read.
    with (
        Session(engine, expire_on_commit=False) as first,
        Session(engine, expire_on_commit=False) as second,
    ):
        mine = first.get(Milestone, milestone_id)
        theirs = second.get(Milestone, milestone_id)
        assert mine is not None
        assert theirs is not None
        first.commit()
        second.commit()

        milestones.update_milestone(first, SYSTEM, mine, MilestoneUpdate(title="First edit"))
        first.commit()
        with pytest.raises((Conflict, StaleDataError)):
            milestones.update_milestone(
                second, SYSTEM, theirs, MilestoneUpdate(title="Second edit")
            )
        second.rollback()

    with db.read_session(engine) as session:
        stored = session.get(Milestone, milestone_id)
        assert stored is not None
        assert (stored.title, stored.version) == ("First edit", 2)


def test_a_tranche_paid_twice_at_once_is_paid_once(engine: Engine) -> None:
    with db.write_session(engine) as session:
        tranche = f.tranche_in(session, TrancheStatus.APPROVED)
        tranche_id, project_id, amount = tranche.id, tranche.project_id, tranche.amount
    start = threading.Barrier(2)
    # Both engines let one writer in at a time (see the test below), so the second payer
    # reads the tranche only after the first has committed its payment.

    def pay() -> str:
        start.wait()
        with db.write_session(engine) as session:
            tranche = session.get(Tranche, tranche_id)
            assert tranche is not None
            tranches.advance_tranche(session, SYSTEM, tranche, "pay", today=TODAY)
        return "paid"

    results = _run_together([pay, pay])

    assert results.count("paid") == 1
    [refusal] = [r for r in results if r != "paid"]
    assert isinstance(refusal, InvalidTransition | Conflict), refusal
    with db.read_session(engine) as session:
        assert tranches.paid_total(session, project_id) == amount
        changes = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "tranche",
                AuditEvent.entity_id == str(tranche_id),
                AuditEvent.action == "update",
            )
        ).all()
        assert [e.changes["status"]["after"] for e in changes] == ["approved", "paid"]


def test_money_sums_are_exact(session: Session) -> None:
    project = f.project_in(session, ProjectStatus.ACTIVE)
    line = f.budget_line(session, project)
    for _ in range(1000):
        f.expense(
            session,
            project,
            line,
            "0.10",
            dt.date(2026, 3, 1),
            today=TODAY,
            description="Bus ticket",
        )
    session.commit()

    figures = facts.project_figures(session, TODAY, [project.id])[project.id]

    assert sum([0.10] * 1000) != 100  # what a float column would have summed to
    assert isinstance(figures.spent, Decimal)
    assert figures.spent == Decimal("100.00")
    assert figures.pct_budget_spent == Decimal("0.2")  # 100 of 50,000


def test_write_transactions_queue_up_so_audit_ids_appear_in_order(engine: Engine) -> None:
    """A second writer starts only once the first has committed, on both engines.

    So an audit event's id is never below one already visible, and a reader that has seen
    event N can fetch "events after N" without missing a transaction that committed late.
    """
    from sqlalchemy import text

    first_began = threading.Event()
    moments: dict[str, float] = {}

    def first() -> None:
        with db.write_session(engine) as session:
            session.execute(text("SELECT 1"))
            first_began.set()
            time.sleep(0.4)
            moments["first_commits"] = time.monotonic()

    def second() -> None:
        assert first_began.wait(10)
        with db.write_session(engine) as session:
            session.execute(text("SELECT 1"))
            moments["second_began"] = time.monotonic()

    results = _run_together([first, second])
    assert results == [None, None]
    assert moments["second_began"] >= moments["first_commits"]


def test_reads_do_not_wait_for_a_writer(engine: Engine) -> None:
    from sqlalchemy import text

    with db.write_session(engine) as writing:
        writing.execute(text("SELECT 1"))
        started = time.monotonic()
        with db.read_session(engine) as reading:
            assert reading.execute(text("SELECT count(*) FROM project")).scalar_one() >= 0
        assert time.monotonic() - started < 2
