"""The dashboard and the project page run a fixed number of SQL statements, whatever the data."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from grants import db
from grants.models import Milestone, Project
from tests import factories
from tests.api.test_query_counts import statements
from tests.conftest import Browsers, Demo
from tests.helpers import ADMIN, MANAGER


def _count(browsers: Browsers, demo: Demo, email: str, path: str) -> int:
    browser = browsers[email]
    assert browser.get(path).status_code == 200  # the session's last use is now recorded
    with statements(demo.engine) as seen:
        response = browser.get(path)
    assert response.status_code == 200, response.text
    return len(seen)


def _add_projects(demo: Demo, count: int) -> None:
    with db.write_session(demo.engine) as session:
        for _ in range(count):
            factories.active_project(session)


def test_the_dashboard_costs_the_same_for_more_projects(browsers: Browsers, demo: Demo) -> None:
    before = {email: _count(browsers, demo, email, "/") for email in (ADMIN, MANAGER)}
    _add_projects(demo, 3)
    after = {email: _count(browsers, demo, email, "/") for email in (ADMIN, MANAGER)}
    assert before == after
    assert max(after.values()) <= 40


def test_the_project_page_costs_the_same_for_more_milestones(
    browsers: Browsers, demo: Demo
) -> None:
    with db.write_session(demo.engine) as session:
        project, _milestones, _tranches = factories.active_project(session)
        ident = project.id
    path = f"/projects/{ident}"
    before = _count(browsers, demo, ADMIN, path)
    with db.write_session(demo.engine) as session:
        found = session.exec(select(Project).where(Project.id == ident)).one()
        for day in range(5):
            factories.milestone(
                session, found, title=f"Extra {day}", due_date=dt.date(2026, 9, 1 + day)
            )
    after = _count(browsers, demo, ADMIN, path)
    with db.read_session(demo.engine) as session:
        assert len(session.exec(select(Milestone).where(Milestone.project_id == ident)).all()) == 8
    assert before == after
    assert after <= 40
