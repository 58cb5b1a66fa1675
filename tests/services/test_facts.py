"""Derived facts: lateness, what is due, key figures and at-risk projects, as of a given day.

Every expected number is worked out by hand in the comments. The period of the projects
built here is 2026-01-01 to 2026-12-31 (364 days) and "today" is 2026-06-15 (day 165).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, true
from sqlmodel import Session, select

from grants.models import (
    Milestone,
    MilestoneStatus,
    OverallStatus,
    ProgressUpdate,
    Project,
    ProjectStatus,
    TrancheStatus,
)
from grants.services import budgets, facts, milestones, progress, projects, tranches
from grants.services.access import SYSTEM
from tests import factories as f
from tests.factories import TODAY

D = dt.date
MAY_1 = D(2026, 5, 1)


# Lateness of one milestone (pure functions of the row and today)


@pytest.mark.parametrize(
    ("status", "due", "submitted", "overdue", "late_days", "completed_late"),
    [
        ("planned", D(2026, 6, 1), None, True, 14, False),
        ("planned", D(2026, 6, 15), None, False, 0, False),  # due today: not yet late
        ("in_progress", D(2026, 6, 14), None, True, 1, False),
        ("returned", D(2026, 5, 16), D(2026, 5, 10), True, 30, False),  # back with the partner
        ("returned", D(2026, 6, 1), D(2026, 5, 28), True, 14, False),  # sent in on time once
        # A submitted milestone waits for the manager: never overdue, its lateness fixed
        # on the day it was submitted.
        ("submitted", D(2026, 6, 1), D(2026, 6, 5), False, 4, False),
        ("submitted", D(2026, 3, 31), D(2026, 3, 31), False, 0, False),
        ("submitted", D(2026, 5, 1), D(2026, 4, 20), False, 0, False),
        ("accepted", D(2026, 6, 1), D(2026, 6, 5), False, 4, True),
        ("accepted", D(2026, 6, 1), D(2026, 6, 1), False, 0, False),
        ("accepted", D(2026, 6, 1), D(2026, 5, 20), False, 0, False),
        ("cancelled", D(2026, 3, 1), None, False, 0, False),
        ("planned", D(2026, 12, 15), None, False, 0, False),
    ],
)
def test_lateness_of_a_milestone(
    status: str,
    due: dt.date,
    submitted: dt.date | None,
    overdue: bool,
    late_days: int,
    completed_late: bool,
) -> None:
    milestone = Milestone(
        title="Workshop",
        due_date=due,
        baseline_due_date=due,
        status=MilestoneStatus(status),
        submitted_on=submitted,
        accepted_on=submitted if status == "accepted" else None,
    )

    found = facts.facts_of(milestone, TODAY)
    assert found.overdue is overdue
    assert found.days_late == late_days
    assert found.completed_late is completed_late
    assert found.shown == ("overdue" if overdue else status)


@pytest.mark.parametrize(
    "today",
    [D(2026, 6, 5), TODAY, D(2026, 12, 31), D(2027, 6, 1)],
    ids=["the day it was submitted", "ten days later", "at the end", "a year later"],
)
def test_a_submitted_milestone_stays_as_late_as_it_was_when_submitted(today: dt.date) -> None:
    milestone = Milestone(
        title="Workshop",
        due_date=D(2026, 6, 1),
        baseline_due_date=D(2026, 6, 1),
        status=MilestoneStatus.SUBMITTED,
        submitted_on=D(2026, 6, 5),
    )

    assert facts.facts_of(milestone, today).days_late == 4
    assert facts.facts_of(milestone, today).overdue is False


@pytest.mark.parametrize(
    ("as_of", "state", "overdue"),
    [
        (D(2026, 5, 31), "in_progress", False),  # before it was due
        (D(2026, 6, 3), "in_progress", True),  # due, not yet sent in
        (D(2026, 6, 5), "submitted", False),  # sent in 4 days late
        (D(2026, 6, 9), "submitted", False),
        (D(2026, 6, 10), "accepted", False),
    ],
)
def test_a_milestone_as_of_a_past_day(as_of: dt.date, state: str, overdue: bool) -> None:
    found = facts.milestone_facts("accepted", D(2026, 6, 1), D(2026, 6, 5), D(2026, 6, 10), as_of)

    assert (found.state.value, found.overdue) == (state, overdue)


# Lists of milestones and tranches


def _add(session: Session, project: Project, due: dt.date, status: MilestoneStatus) -> Milestone:
    milestone = f.milestone(session, project, title=f"Due {due}", due_date=due)
    return f.milestone_in(session, status, milestone)


def test_milestone_lists_as_of_today(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)  # its milestone is due 2026-03-31
    a = _add(tx_session, project, D(2026, 6, 14), MilestoneStatus.IN_PROGRESS)
    b = _add(tx_session, project, D(2026, 6, 15), MilestoneStatus.PLANNED)
    c = _add(tx_session, project, D(2026, 7, 15), MilestoneStatus.RETURNED)
    _add(tx_session, project, D(2026, 7, 16), MilestoneStatus.PLANNED)
    _add(tx_session, project, D(2026, 6, 20), MilestoneStatus.ACCEPTED)  # submitted 06-15
    late = _add(tx_session, project, D(2026, 5, 1), MilestoneStatus.ACCEPTED)  # submitted 06-15
    _add(tx_session, project, D(2026, 6, 1), MilestoneStatus.CANCELLED)
    sent_late = _add(tx_session, project, D(2026, 5, 2), MilestoneStatus.SUBMITTED)  # on 06-15
    _add(tx_session, project, D(2026, 6, 30), MilestoneStatus.SUBMITTED)  # waits for review
    sent_back = _add(tx_session, project, D(2026, 6, 10), MilestoneStatus.RETURNED)
    other = f.project_in(tx_session, ProjectStatus.ACTIVE)
    first = milestones.milestones_of(tx_session, project)[0]

    found = dict(facts.milestones_as_of(tx_session, TODAY, [project.id])[project.id])

    overdue = {mid for mid, facts_ in found.items() if facts_.overdue}
    assert overdue == {first.id, sent_back.id, a.id}
    assert [found[m].days_late for m in (first.id, sent_back.id, a.id)] == [76, 5, 1]
    assert {mid for mid, facts_ in found.items() if facts_.due_soon} == {b.id, c.id}
    assert {mid for mid, facts_ in found.items() if facts_.completed_late} == {late.id}
    assert found[late.id].days_late == 45
    assert found[sent_late.id].days_late == 44
    assert facts.facts_of(sent_late, D(2027, 1, 1)).days_late == 44
    assert len(found) == 10  # the cancelled one counts nowhere
    everywhere = facts.milestones_as_of(tx_session, TODAY, None)
    assert milestones.milestones_of(tx_session, other)[0].id in {
        m for m, _f in everywhere[other.id]
    }


def test_the_sql_conditions_pick_the_milestones_the_rules_call_overdue_and_due_soon(
    tx_session: Session,
) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)
    for due, status in (
        (D(2026, 6, 14), MilestoneStatus.IN_PROGRESS),
        (D(2026, 6, 15), MilestoneStatus.PLANNED),
        (D(2026, 7, 15), MilestoneStatus.RETURNED),
        (D(2026, 7, 16), MilestoneStatus.PLANNED),
        (D(2026, 5, 2), MilestoneStatus.SUBMITTED),
        (D(2026, 6, 1), MilestoneStatus.CANCELLED),
    ):
        _add(tx_session, project, due, status)
    found = dict(facts.milestones_as_of(tx_session, TODAY, [project.id])[project.id])

    def picked(condition: Any) -> set[int]:
        query = select(Milestone.id).where(Milestone.project_id == project.id, condition)
        return {int(mid) for mid in tx_session.exec(query)}

    assert picked(facts.overdue_condition(TODAY)) == {m for m, x in found.items() if x.overdue}
    assert picked(facts.due_soon_condition(TODAY)) == {m for m, x in found.items() if x.due_soon}


def test_releasable_tranches_across_projects_soonest_first(tx_session: Session) -> None:
    gated = f.project(tx_session)
    gate = f.milestone(tx_session, gated)
    f.tranche(tx_session, gated, "20000", planned_date=D(2026, 9, 1))
    f.tranche(tx_session, gated, "30000", [gate], planned_date=D(2026, 3, 1))
    f.activate(tx_session, gated)
    f.milestone_in(tx_session, MilestoneStatus.ACCEPTED, gate)
    plain = f.project_in(tx_session, ProjectStatus.ACTIVE)  # one tranche planned 2026-02-01
    f.project_in(tx_session, ProjectStatus.SUSPENDED)

    releasable = tranches.releasable_tranches(tx_session)

    assert [(t.project_id, t.position, t.planned_date) for t in releasable] == [
        (plain.id, 1, D(2026, 2, 1)),
        (gated.id, 2, D(2026, 3, 1)),
        (gated.id, 1, D(2026, 9, 1)),
    ]
    assert [t.position for t in tranches.releasable_tranches(tx_session, [gated.id])] == [2, 1]


# Key figures


def _expense(session: Session, project: Project, amount: str, on: dt.date = MAY_1) -> None:
    line = budgets.budget_lines_of(session, project)[0]
    f.expense(
        session, project, line, amount, on, today=TODAY, description="Interpreters for the workshop"
    )


def _submitted_update(
    session: Session,
    project: Project,
    on: dt.date,
    status: OverallStatus = OverallStatus.ON_TRACK,
) -> ProgressUpdate:
    update = f.progress_update(session, project, overall_status=status, today=on)
    progress.advance_update(session, SYSTEM, update, "submit", today=on)
    return update


def test_project_figures(tx_session: Session) -> None:
    project, ms, ts = f.active_project(tx_session)  # award 50,000; staff line 20,000
    f.budget_line(tx_session, project, amount=Decimal("5000"))
    f.tranche_in(tx_session, TrancheStatus.PAID, ts[0])  # 30,000 paid
    f.milestone_in(tx_session, MilestoneStatus.ACCEPTED, ms[0])
    _add(tx_session, project, D(2026, 5, 15), MilestoneStatus.IN_PROGRESS)  # 31 days overdue
    _add(tx_session, project, D(2026, 6, 1), MilestoneStatus.CANCELLED)  # does not count
    _expense(tx_session, project, "1234.56")
    _expense(tx_session, project, "765.44")
    _submitted_update(tx_session, project, D(2026, 6, 1), OverallStatus.AT_RISK)
    f.progress_update(tx_session, project, today=D(2026, 6, 10))  # a draft does not count
    untouched = f.project(tx_session)

    figures = facts.project_figures(tx_session, TODAY)

    mine = figures[project.id]
    assert mine.awarded == Decimal("50000")
    assert mine.disbursed == Decimal("30000")
    assert mine.undisbursed == Decimal("20000")
    assert mine.spent == Decimal("2000.00")
    assert mine.remaining == Decimal("48000")
    assert mine.budgeted == Decimal("25000")
    assert (mine.milestones, mine.milestones_accepted) == (4, 1)
    assert (mine.milestones_overdue, mine.max_days_overdue) == (1, 31)
    assert mine.pct_time_elapsed == Decimal("45.3")  # 165 / 364 days
    assert mine.pct_milestones_accepted == Decimal("25.0")  # 1 of 4
    assert mine.pct_budget_spent == Decimal("4.0")  # 2,000 of 50,000
    assert mine.pct_disbursed == Decimal("60.0")  # 30,000 of 50,000
    assert mine.last_update_on == D(2026, 6, 1)
    assert mine.latest_overall_status == "at_risk"
    empty = figures[untouched.id]
    assert (empty.disbursed, empty.spent, empty.budgeted) == (0, 0, 0)
    assert (empty.milestones, empty.pct_milestones_accepted, empty.pct_time_elapsed) == (
        0,
        Decimal("0.0"),
        Decimal("45.3"),
    )
    assert empty.last_update_on is None
    assert set(facts.project_figures(tx_session, TODAY, [project.id])) == {project.id}


@pytest.mark.parametrize(
    ("today", "elapsed"),
    [
        (D(2025, 12, 1), "0.0"),
        (D(2026, 1, 1), "0.0"),
        (D(2026, 1, 2), "0.3"),  # 1 / 364 = 0.27
        (D(2026, 7, 2), "50.0"),  # 182 / 364
        (D(2026, 12, 31), "100.0"),
        (D(2027, 3, 1), "100.0"),
    ],
)
def test_time_elapsed(tx_session: Session, today: dt.date, elapsed: str) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)

    assert facts.time_elapsed(project, today) == Decimal(elapsed)


def test_time_elapsed_of_a_closed_project_ends_at_its_actual_end(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.FINALISING)
    projects.advance_project(tx_session, SYSTEM, project, "close", today=D(2026, 7, 2))

    assert facts.time_elapsed(project, D(2026, 7, 2)) == Decimal("100.0")


# At-risk projects


def _healthy(session: Session) -> Project:
    """Active since 2026-01-01, its one milestone accepted, an on-track update of 06-01."""
    project = f.project_in(session, ProjectStatus.ACTIVE)
    f.milestone_in(session, MilestoneStatus.ACCEPTED, milestones.milestones_of(session, project)[0])
    f.budget_line(session, project)
    _submitted_update(session, project, D(2026, 6, 1))
    return project


def _milestones_due(*dues: dt.date) -> Callable[[Session, Project], None]:
    def add(session: Session, project: Project) -> None:
        for due in dues:
            f.milestone(session, project, due_date=due)

    return add


def _milestones_in(status: MilestoneStatus, *dues: dt.date) -> Callable[[Session, Project], None]:
    def add(session: Session, project: Project) -> None:
        for due in dues:
            f.milestone_in(session, status, f.milestone(session, project, due_date=due))

    return add


def _update(on: dt.date, status: OverallStatus) -> Callable[[Session, Project], None]:
    def submit(session: Session, project: Project) -> None:
        _submitted_update(session, project, on, status)

    return submit


def _suspend(session: Session, project: Project) -> None:
    projects.advance_project(
        session, SYSTEM, project, "suspend", today=TODAY, reason="Mayor replaced"
    )


def _nothing(session: Session, project: Project) -> None:
    return None


NOV, DEC = D(2026, 11, 30), D(2026, 12, 15)

RISKS: list[Any] = [
    pytest.param(_nothing, [], id="healthy"),
    pytest.param(_suspend, ["Suspended: Mayor replaced"], id="suspended"),
    pytest.param(
        _milestones_due(D(2026, 5, 15)),
        ["1 milestone overdue, the oldest by 31 days"],
        id="overdue by 31 days",
    ),
    pytest.param(_milestones_due(D(2026, 5, 16)), [], id="overdue by only 30 days"),
    pytest.param(
        _milestones_due(D(2026, 5, 1), D(2026, 6, 10)),
        ["2 milestones overdue, the oldest by 45 days"],
        id="two overdue",
    ),
    pytest.param(
        # submitted on 06-15, 45 days after its due date: late, but now the manager's turn
        _milestones_in(MilestoneStatus.SUBMITTED, D(2026, 5, 1)),
        [],
        id="submitted late, awaiting review",
    ),
    pytest.param(
        _milestones_in(MilestoneStatus.RETURNED, D(2026, 5, 15)),
        ["1 milestone overdue, the oldest by 31 days"],
        id="returned and overdue by 31 days",
    ),
    pytest.param(
        _update(D(2026, 6, 10), OverallStatus.AT_RISK),
        ["The latest progress update reports the action at risk"],
        id="latest update at risk",
    ),
    pytest.param(
        _update(D(2026, 6, 10), OverallStatus.OFF_TRACK),
        ["The latest progress update reports the action off track"],
        id="latest update off track",
    ),
    pytest.param(_update(D(2026, 5, 1), OverallStatus.OFF_TRACK), [], id="older update off track"),
    pytest.param(
        # 1 of 7 accepted = 14.3%, while 45.3% of the time is gone: 31.0 points behind
        _milestones_due(NOV, NOV, NOV, DEC, DEC, DEC),
        ["45.3% of the time has elapsed but only 14.3% of milestones are accepted"],
        id="schedule lag over 30 points",
    ),
    pytest.param(
        # 1 of 6 accepted = 16.7%: 28.6 points behind
        _milestones_due(NOV, NOV, DEC, DEC, DEC),
        [],
        id="schedule lag under 30 points",
    ),
    pytest.param(
        lambda session, project: _expense(session, project, "50000.01"),
        ["Expenses of €50,000.01 exceed the award of €50,000.00"],
        id="overspent",
    ),
    pytest.param(lambda session, project: _expense(session, project, "50000"), [], id="all spent"),
]


def _reasons(session: Session, project: Project) -> list[str]:
    return list(facts.project_figures(session, TODAY, [project.id])[project.id].reasons)


@pytest.mark.parametrize(("change", "reasons"), RISKS)
def test_why_a_project_is_at_risk(
    tx_session: Session, change: Callable[[Session, Project], None], reasons: list[str]
) -> None:
    project = _healthy(tx_session)
    change(tx_session, project)

    assert _reasons(tx_session, project) == reasons


@pytest.mark.parametrize(
    ("last_update", "reasons"),
    [
        (None, ["No progress update submitted for 165 days"]),  # since the start on 01-01
        (D(2026, 3, 16), ["No progress update submitted for 91 days"]),
        (D(2026, 3, 17), []),  # 90 days is still fine
    ],
)
def test_a_project_that_has_gone_quiet_is_at_risk(
    tx_session: Session, last_update: dt.date | None, reasons: list[str]
) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)
    f.milestone_in(
        tx_session, MilestoneStatus.ACCEPTED, milestones.milestones_of(tx_session, project)[0]
    )
    f.progress_update(tx_session, project, today=D(2026, 6, 1))  # drafts do not count
    if last_update is not None:
        _submitted_update(tx_session, project, last_update)

    assert _reasons(tx_session, project) == reasons


def test_a_project_whose_milestones_are_all_cancelled_shows_no_schedule_lag(
    tx_session: Session,
) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)
    f.milestone_in(
        tx_session, MilestoneStatus.CANCELLED, milestones.milestones_of(tx_session, project)[0]
    )
    _submitted_update(tx_session, project, D(2026, 6, 1))

    figures = facts.project_figures(tx_session, TODAY, [project.id])[project.id]

    assert (figures.milestones, figures.pct_time_elapsed) == (0, Decimal("45.3"))
    assert _reasons(tx_session, project) == []


def test_a_suspended_project_is_not_flagged_as_quiet(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)  # never reported since 01-01
    f.milestone_in(
        tx_session, MilestoneStatus.ACCEPTED, milestones.milestones_of(tx_session, project)[0]
    )
    _suspend(tx_session, project)

    assert _reasons(tx_session, project) == ["Suspended: Mayor replaced"]


@pytest.mark.parametrize(
    "status",
    [ProjectStatus.DRAFT, ProjectStatus.CONTRACTING, ProjectStatus.CLOSED, ProjectStatus.CANCELLED],
)
def test_only_running_projects_are_watched(tx_session: Session, status: ProjectStatus) -> None:
    project = f.project_in(tx_session, status)  # its milestone would be 76 days overdue

    assert facts.project_figures(tx_session, TODAY, [project.id])[project.id].reasons == ()


def test_at_risk_projects_come_in_reference_order_with_every_reason(tx_session: Session) -> None:
    second = f.project_in(tx_session, ProjectStatus.ACTIVE, reference="ZZ-SECOND")
    first = f.project_in(tx_session, ProjectStatus.ACTIVE, reference="AA-FIRST")

    found = facts.figures_in(tx_session, true(), TODAY, facts.Scope())
    flagged = [figures for figures in found if figures.reasons]
    assert {r.project_id for r in flagged} == {first.id, second.id}

    assert [r.reference for r in flagged] == ["AA-FIRST", "ZZ-SECOND"]
    assert list(flagged[0].reasons) == [
        "1 milestone overdue, the oldest by 76 days",  # due 03-31
        "45.3% of the time has elapsed but only 0.0% of milestones are accepted",
        "No progress update submitted for 165 days",
    ]


# Cost


def _busy_project(session: Session) -> None:
    project, ms, ts = f.active_project(session)
    f.tranche_in(session, TrancheStatus.PAID, ts[0])
    f.milestone_in(session, MilestoneStatus.ACCEPTED, ms[0])
    _expense(session, project, "100")
    _submitted_update(session, project, D(2026, 6, 1), OverallStatus.AT_RISK)


def test_figures_take_the_same_number_of_queries_for_2_or_8_projects(
    engine: Engine, session: Session
) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def queries(run: Callable[[], Any]) -> int:
        session.expire_all()
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            run()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    for _ in range(2):
        _busy_project(session)
    session.commit()
    few = queries(lambda: facts.project_figures(session, TODAY))
    few_risks = queries(lambda: facts.figures_in(session, true(), TODAY, facts.Scope()))
    for _ in range(6):
        _busy_project(session)
    session.commit()
    many = queries(lambda: facts.project_figures(session, TODAY))
    many_risks = queries(lambda: facts.figures_in(session, true(), TODAY, facts.Scope()))

    assert len(facts.project_figures(session, TODAY)) == 8
    assert len(facts.figures_in(session, true(), TODAY, facts.Scope())) == 8
    assert many == few
    assert many_risks == few_risks
    # projects; the money (paid, spent, budgeted, co-financed in one); milestones; gates,
    # tranches; updates
    assert few <= 7  # SQLite counts its BEGIN too
