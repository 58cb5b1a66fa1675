"""Who sees what: every look-up goes through the scope helpers; out of scope is not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlmodel import Session, SQLModel, select

from grants.models import (
    Call,
    IssuedReport,
    Milestone,
    Organisation,
    OrganisationKind,
    PartnerRole,
    Programme,
    ProgressUpdate,
    Project,
    ReportKind,
    ReportScope,
    Role,
    Tranche,
)
from grants.services import programmes, progress, scope
from grants.services.access import SYSTEM, Principal
from grants.services.common import writes
from grants.services.errors import NotFound
from tests import factories as f


@dataclass
class World:
    """Two programmes run by two offices; a project in each; people in every role."""

    own: Project
    other: Project
    principals: dict[str, Principal]


@pytest.fixture
def world(tx_session: Session) -> World:
    s = tx_session
    office, other_office = (
        f.organisation(s, kind=OrganisationKind.IMPLEMENTING_AGENCY) for _ in range(2)
    )
    programme, other_programme = f.programme(s, office), f.programme(s, other_office)
    donor = f.organisation(s, kind=OrganisationKind.DONOR)
    programmes.add_funder(s, SYSTEM, programme, donor, Decimal(1000), "EUR")
    own, _ms, _ts = f.active_project(s, programme_=programme)
    other, _oms, _ots = f.active_project(s, programme_=other_programme)
    cso = f.partner(s, own, PartnerRole.CO_IMPLEMENTING, kind=OrganisationKind.CSO)
    funder = f.partner(s, own, PartnerRole.FUNDER, kind=OrganisationKind.DONOR)
    people = {
        "admin": (Role.ADMIN, None),
        "manager": (Role.GRANT_MANAGER, office),
        "other manager": (Role.GRANT_MANAGER, other_office),
        "donor": (Role.DONOR, donor),
        "lead editor": (Role.PARTNER_EDITOR, f.lead_of(s, own)),
        "cso viewer": (Role.PARTNER_VIEWER, cso),
        "funder partner": (Role.PARTNER_EDITOR, funder),
        "stranger": (Role.PARTNER_EDITOR, f.organisation(s)),
    }
    principals = {name: f.user(s, role, org)[1] for name, (role, org) in people.items()}
    return World(own, other, principals)


SEES_OWN = {
    "admin": True,
    "manager": True,
    "other manager": False,
    "donor": True,
    "lead editor": True,
    "cso viewer": True,
    "funder partner": False,
    "stranger": False,
}
SEES_OTHER = {"admin": True, "other manager": True}


@pytest.mark.parametrize("model", [Project, Milestone, Tranche, Programme, Call])
@pytest.mark.parametrize("who", sorted(SEES_OWN))
def test_who_sees_the_project_and_its_rows(
    tx_session: Session, world: World, who: str, model: type[SQLModel]
) -> None:
    principal = world.principals[who]
    for project, expected in (
        (world.own, SEES_OWN[who]),
        (world.other, SEES_OTHER.get(who, False)),
    ):
        ident = _row_of(tx_session, project, model)
        if expected:
            assert scope.get_visible(tx_session, principal, model, ident)
        else:
            with pytest.raises(NotFound):
                scope.get_visible(tx_session, principal, model, ident)


def _row_of(session: Session, project: Project, model: type[SQLModel]) -> int:
    if model is Project:
        return project.id
    if model is Call:
        return project.call_id
    if model is Programme:
        return f.programme_of(session, project).id
    row = session.exec(scope.visible(SYSTEM, model).where(model.project_id == project.id)).first()  # type: ignore[attr-defined]
    assert row is not None
    return int(row.id)


def test_the_project_list_holds_only_what_is_in_scope(tx_session: Session, world: World) -> None:
    assert [p.id for p in scope.visible_projects(tx_session, world.principals["lead editor"])] == [
        world.own.id
    ]
    assert scope.visible_projects(tx_session, world.principals["stranger"]) == []
    assert len(scope.visible_projects(tx_session, world.principals["admin"])) == 2


def test_a_draft_update_stays_with_the_organisation_writing_it(
    tx_session: Session, world: World
) -> None:
    draft = f.progress_update(tx_session, world.own)
    for who, sees in [
        ("lead editor", True),
        ("admin", True),
        ("manager", False),
        ("donor", False),
        ("cso viewer", False),
    ]:
        principal = world.principals[who]
        if sees:
            assert scope.get_visible(tx_session, principal, ProgressUpdate, draft.id)
        else:
            with pytest.raises(NotFound):
                scope.get_visible(tx_session, principal, ProgressUpdate, draft.id)
    progress.advance_update(tx_session, SYSTEM, draft, "submit", today=dt.date(2026, 6, 1))
    assert scope.get_visible(tx_session, world.principals["manager"], ProgressUpdate, draft.id)


def test_history_is_in_order_with_authors_and_in_scope(tx_session: Session, world: World) -> None:
    events = scope.project_history(tx_session, world.principals["manager"], world.own.id)
    assert events
    assert [(e.at, e.id) for e in events] == sorted((e.at, e.id) for e in events)
    assert {e.entity for e in events} >= {"project", "milestone", "tranche", "project_partner"}
    assert all(e.actor_label == "system" for e in events)
    assert {
        e.changes["status"]["after"]
        for e in events
        if e.entity == "project" and "status" in e.changes and isinstance(e.changes["status"], dict)
    } == {"contracting", "active"}
    with pytest.raises(NotFound):
        scope.project_history(tx_session, world.principals["stranger"], world.own.id)


@writes
def _store(session: Session, principal: Principal, row: SQLModel) -> None:
    session.add(row)


def _issue(session: Session, project: Project, scope_kind: ReportScope) -> int:
    """An issued report row (issuing itself is the reporting layer's job)."""
    programme = f.programme_of(session, project)
    is_project = scope_kind == ReportScope.PROJECT
    report = IssuedReport(
        kind=ReportKind.PROJECT if is_project else ReportKind.PORTFOLIO,
        scope=scope_kind,
        scope_id=project.id if is_project else programme.id,
        programme_id=programme.id,
        as_of=dt.date(2026, 6, 30),
        filename="report.pdf",
        pdf=b"%PDF-1.7",
        sha256=f"{project.id:0>2}{scope_kind.value:0>62}"[:64],
    )
    _store(session, SYSTEM, report)
    return report.id


SEES_PORTFOLIO = {"admin": True, "manager": True, "donor": True}


@pytest.mark.parametrize("who", sorted(SEES_OWN))
def test_issued_reports_follow_their_scope(tx_session: Session, world: World, who: str) -> None:
    project_report = _issue(tx_session, world.own, ReportScope.PROJECT)
    portfolio_report = _issue(tx_session, world.own, ReportScope.PROGRAMME)
    principal = world.principals[who]
    for ident, expected in (
        (project_report, SEES_OWN[who]),
        (portfolio_report, SEES_PORTFOLIO.get(who, False)),
    ):
        if expected:
            assert scope.get_visible(tx_session, principal, IssuedReport, ident)
        else:
            with pytest.raises(NotFound):
                scope.get_visible(tx_session, principal, IssuedReport, ident)


DIRECTORY = {"admin": True, "manager": True, "other manager": True}


@pytest.mark.parametrize("who", sorted(SEES_OWN))
def test_only_admins_and_managers_choose_from_the_whole_directory(
    tx_session: Session, world: World, who: str
) -> None:
    every = sorted(tx_session.exec(select(Organisation.name)).all())
    shown = programmes.organisation_directory(tx_session, world.principals[who])
    assert [o.name for o in shown] == (every if DIRECTORY.get(who) else [])


@pytest.mark.parametrize("who", sorted(SEES_OWN))
def test_the_new_project_form_offers_the_calls_in_scope_with_their_objectives(
    tx_session: Session, world: World, who: str
) -> None:
    expected = [
        project.call_id
        for project, sees in (
            (world.own, SEES_OWN[who]),
            (world.other, SEES_OTHER.get(who, False)),
        )
        if sees
    ]
    offered = programmes.calls_with_objectives(tx_session, world.principals[who])
    assert sorted(call.id for call, _objectives in offered) == sorted(expected)
    assert [call.code for call, _objectives in offered] == sorted(c.code for c, _o in offered)
    assert all([o.code for o in own] == ["A", "B"] for _call, own in offered)


def test_an_organisation_is_named_by_its_id(tx_session: Session, world: World) -> None:
    lead = f.lead_of(tx_session, world.own)
    assert programmes.organisation_name(tx_session, lead.id) == lead.name
    assert programmes.organisation_name(tx_session, None) == ""
