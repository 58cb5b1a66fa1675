"""The dashboard's lists, read from the snapshot, are exactly what the tables say.

The page takes its lists from the per-process snapshot; the downloads read them from the
tables. Both must agree, item for item and in the same order, for every role that has a
dashboard, before and after a change.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from grants import db
from grants.models import Milestone, MilestoneUpdate, Organisation, OrganisationUpdate, User
from grants.services import dashboard, milestones, programmes, worklist
from grants.services.access import SYSTEM, Principal, principal_for
from tests.conftest import Demo
from tests.helpers import ADMIN, MANAGER

TODAY = dt.date(2026, 6, 15)


def _principal(session: Session, email: str) -> Principal:
    return principal_for(session, session.exec(select(User).where(User.email == email)).one())


def _agree(demo: Demo, email: str, today: dt.date) -> dict[str, int]:
    with db.read_session(demo.engine) as session:
        principal = _principal(session, email)
        shown = dashboard.overview(session, principal, today).lists
        totals = {}
        for kind in worklist.KINDS:
            read = dashboard.work(session, principal, kind, today, dashboard.PANEL_ROWS)
            assert shown[kind].items == read.items, kind
            assert shown[kind].total == read.total, kind
            totals[kind] = read.total
    return totals


@pytest.mark.parametrize("email", [ADMIN, MANAGER])
def test_the_lists_match_the_tables(demo: Demo, email: str) -> None:
    totals = _agree(demo, email, TODAY)
    assert totals["overdue"] > 0
    assert totals["due-soon"] > 0


def test_the_lists_follow_a_change_and_a_new_day(demo: Demo) -> None:
    before = _agree(demo, MANAGER, TODAY)
    with db.write_session(demo.engine) as session:
        principal = _principal(session, MANAGER)
        [first] = dashboard.work(session, principal, "overdue", TODAY, 1).items
        overdue = session.get(Milestone, first["id"])
        assert overdue is not None
        data = MilestoneUpdate(due_date=TODAY + dt.timedelta(days=10))
        milestones.update_milestone(session, SYSTEM, overdue, data)
    after = _agree(demo, MANAGER, TODAY)
    assert after["overdue"] == before["overdue"] - 1
    assert after["due-soon"] == before["due-soon"] + 1
    _agree(demo, MANAGER, TODAY + dt.timedelta(days=40))


def test_renaming_an_organisation_renames_it_in_the_lists(demo: Demo) -> None:
    _agree(demo, MANAGER, TODAY)
    with db.write_session(demo.engine) as session:
        principal = _principal(session, MANAGER)
        [first] = dashboard.work(session, principal, "overdue", TODAY, 1).items
        milestone = session.get(Milestone, first["id"])
        assert milestone is not None
        assert milestone.responsible_organisation_id is not None
        organisation = session.get(Organisation, milestone.responsible_organisation_id)
        assert organisation is not None
        programmes.update_organisation(
            session, SYSTEM, organisation, OrganisationUpdate(name="Renamed municipality")
        )
    _agree(demo, MANAGER, TODAY)
    with db.read_session(demo.engine) as session:
        shown = dashboard.overview(session, _principal(session, MANAGER), TODAY).lists
    assert "Renamed municipality" in {item["responsible"] for item in shown["overdue"].items}
