"""``grants demo``: the counts and the status mix a newcomer should find, on both engines."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlmodel import Session

from grants.models import (
    AuditEvent,
    BudgetLine,
    Call,
    Expense,
    IndicatorValue,
    Milestone,
    MilestoneStatus,
    Objective,
    Organisation,
    OrganisationKind,
    PartnerRole,
    ProgressUpdate,
    Project,
    ProjectPartner,
    ProjectStatus,
    ReviewStatus,
    Role,
    Tranche,
    TrancheStatus,
)
from grants.services import facts, tranches
from tests.conftest import cli_env

TODAY = dt.date(2026, 6, 15)


def run_demo(url: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grants", "demo", *args],
        cwd=folder,
        env=cli_env(url, folder / "var"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("demo")
    result = run_demo(module_database_url, folder, "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stderr
    assert re.search(r"14 projects, 70 milestones", result.stdout)
    engine = create_engine(module_database_url)
    yield engine
    engine.dispose()


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return int(
            session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        )


def statuses(engine: Engine, column: object) -> Counter[str]:
    with Session(engine) as session:
        return Counter(str(s) for (s,) in session.execute(select(column)).all())


def test_programme_shape(demo: Engine) -> None:
    assert count(demo, Call) >= 2
    assert count(demo, Objective) == 8
    assert count(demo, Project) >= 12
    with Session(demo) as session:
        countries = session.execute(select(func.count(func.distinct(Project.country)))).scalar_one()
    assert countries >= 4


def test_every_project_has_a_lead_and_one_to_three_civil_society_partners(demo: Engine) -> None:
    with Session(demo) as session:
        rows = session.execute(
            select(ProjectPartner.project_id, ProjectPartner.role, Organisation.kind).join(
                Organisation,
                Organisation.id == ProjectPartner.organisation_id,  # type: ignore[arg-type]
            )
        ).all()
    leads = Counter(project for project, role, _kind in rows if role == PartnerRole.LEAD)
    csos = Counter(
        project
        for project, role, kind in rows
        if kind == OrganisationKind.CSO and role != PartnerRole.LEAD
    )
    assert set(leads.values()) == {1}
    assert len(leads) == count(demo, Project)
    assert all(1 <= csos[project] <= 3 for project in leads)


def test_milestones_cover_every_status_with_four_to_six_per_project(demo: Engine) -> None:
    assert set(statuses(demo, Milestone.status)) == {s.value for s in MilestoneStatus}
    with Session(demo) as session:
        per_project = (
            session.execute(
                select(func.count()).select_from(Milestone).group_by(Milestone.project_id)
            )
            .scalars()
            .all()
        )
    assert all(4 <= n <= 6 for n in per_project)


def test_dates_around_today_give_overdue_due_soon_late_and_closed(demo: Engine) -> None:
    with Session(demo) as session:
        totals = facts.totals(facts.project_figures(session, TODAY).values())
        assert totals.milestones_overdue
        assert totals.milestones_due_soon
        assert totals.milestones_completed_late
        assert totals.tranches_releasable
        assert tranches.releasable_tranches(session)
        at_risk = [f for f in facts.project_figures(session, TODAY).values() if f.reasons]
    assert len(at_risk) >= 3
    assert all(item.reasons for item in at_risk)
    projects = statuses(demo, Project.status)
    assert projects[ProjectStatus.CLOSED.value] >= 2
    assert {
        ProjectStatus.ACTIVE.value,
        ProjectStatus.SUSPENDED.value,
        ProjectStatus.CANCELLED.value,
    } <= set(projects)


def test_money_and_reporting_are_there(demo: Engine) -> None:
    assert statuses(demo, Tranche.status)[TrancheStatus.PAID.value] > 0
    assert count(demo, BudgetLine) > 0
    assert count(demo, Expense) > 0
    assert count(demo, IndicatorValue) > 0
    assert set(statuses(demo, ProgressUpdate.status)) == {s.value for s in ReviewStatus}
    with Session(demo) as session:
        paid = session.execute(select(func.sum(Tranche.paid_amount))).scalar_one()
        awarded = session.execute(select(func.sum(Project.awarded_amount))).scalar_one()
    assert 0 < paid < awarded


def test_accounts_for_every_role_and_fictional_names_marked(demo: Engine) -> None:
    from grants.models import Membership

    assert set(statuses(demo, Membership.role)) == {r.value for r in Role}
    with Session(demo) as session:
        names = session.execute(select(Organisation.name, Organisation.is_fictional)).all()
    assert all(("(fictional)" in name) == fictional for name, fictional in names)


def test_the_history_has_real_authors(demo: Engine) -> None:
    labels = statuses(demo, AuditEvent.actor_label)
    assert labels["manager@example.org"] > 0
    assert any(label.startswith("editor.") for label in labels)


def test_demo_refuses_a_database_with_data_and_reset_replaces_it(
    demo: Engine, module_database_url: str, tmp_path: Path
) -> None:
    before = count(demo, AuditEvent)
    refused = run_demo(module_database_url, tmp_path, "--today", TODAY.isoformat())
    assert refused.returncode == 2
    assert "already holds data; use --reset" in refused.stderr
    assert count(demo, AuditEvent) == before
    replaced = run_demo(module_database_url, tmp_path, "--today", TODAY.isoformat(), "--reset")
    assert replaced.returncode == 0, replaced.stderr
    assert count(demo, Project) == 14


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow", "15/06/2026", "20260615"])
def test_demo_refuses_a_bad_date(bad: str, tmp_path: Path) -> None:
    result = run_demo(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, "--today", bad)
    assert result.returncode == 2
    assert f"error: --today: not a date in YYYY-MM-DD form (got '{bad}')" in result.stderr
