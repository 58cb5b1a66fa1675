"""Projects: creation rules, the activation and closing guards, edits and closed projects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, func, select

from grants.models import (
    AuditEvent,
    Call,
    IndicatorCreate,
    MilestoneCreate,
    MilestoneStatus,
    Objective,
    Organisation,
    OrganisationKind,
    PartnerRole,
    Project,
    ProjectCreate,
    ProjectObjective,
    ProjectPartner,
    ProjectSector,
    ProjectStatus,
    ProjectUpdate,
    Role,
    TrancheCreate,
    TrancheStatus,
)
from grants.services import indicators, milestones, projects, tranches
from grants.services.access import SYSTEM
from grants.services.errors import Conflict, Invalid, NotAllowed
from tests import factories as f
from tests.factories import END, START, TODAY


def _data(call: Call, **overrides: Any) -> ProjectCreate:
    fields: dict[str, Any] = {
        "reference": "ACMALS-SFAX",
        "call_id": call.id,
        "title": "Access to rights for migrants in Sfax",
        "city": "Sfax",
        "country": "TN",
        "awarded_amount": Decimal("48000"),
        "currency": "EUR",
        "planned_start": START,
        "planned_end": END,
        "objective_codes": ["A", "B"],
    }
    return ProjectCreate(**{**fields, **overrides})


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _project_events(session: Session, project: Project) -> int:
    return session.exec(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.project_id == project.id)
    ).one()


def test_create_project_makes_a_draft_led_by_the_lead_grantee(tx_session: Session) -> None:
    call = f.call(tx_session)
    lead = f.organisation(tx_session, name="Municipality of Sfax")

    project = projects.create_project(tx_session, SYSTEM, _data(call), lead)

    assert project.status == ProjectStatus.DRAFT
    partners = tx_session.exec(
        select(ProjectPartner.organisation_id, ProjectPartner.role).where(
            ProjectPartner.project_id == project.id
        )
    ).all()
    assert partners == [(lead.id, PartnerRole.LEAD)]
    codes = tx_session.exec(
        select(Objective.code)
        .join(ProjectObjective, ProjectObjective.objective_id == Objective.id)  # type: ignore[arg-type]
        .where(ProjectObjective.project_id == project.id)
        .order_by(Objective.code)
    ).all()
    assert codes == ["A", "B"]


def test_award_may_equal_the_calls_maximum(tx_session: Session) -> None:
    call = f.call(tx_session, max_amount=Decimal("50000"))

    project = projects.create_project(
        tx_session,
        SYSTEM,
        _data(call, awarded_amount=Decimal("50000")),
        f.organisation(tx_session),
    )

    assert project.awarded_amount == Decimal("50000")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"currency": "USD"}, "currency", id="currency other than the call's"),
        pytest.param(
            {"awarded_amount": Decimal("50000.01")}, "awarded_amount", id="award above call max"
        ),
        pytest.param(
            {"planned_start": dt.date(2024, 12, 31)},
            "planned_start",
            id="starts before the call opens",
        ),
        pytest.param({"objective_codes": []}, "objective_codes", id="no objective"),
        pytest.param({"objective_codes": ["A", "Z"]}, "objective_codes", id="unknown objective"),
    ],
)
def test_create_project_refuses(tx_session: Session, overrides: dict[str, Any], field: str) -> None:
    call = f.call(tx_session)
    lead = f.organisation(tx_session)
    before = _count(tx_session, Project)

    with pytest.raises(Invalid) as refused:
        projects.create_project(tx_session, SYSTEM, _data(call, **overrides), lead)

    assert refused.value.field == field
    assert _count(tx_session, Project) == before


def test_project_must_end_by_the_programmes_end(tx_session: Session) -> None:
    programme = f.programme(tx_session, end_date=dt.date(2027, 12, 31))
    call = f.call(tx_session, programme)

    with pytest.raises(Invalid, match="programme's end"):
        projects.create_project(
            tx_session,
            SYSTEM,
            _data(call, planned_end=dt.date(2028, 1, 1)),
            f.organisation(tx_session),
        )


def test_an_objective_of_another_call_does_not_count(tx_session: Session) -> None:
    call = f.call(tx_session)
    f.call(tx_session)  # has an objective "A" too, but not the one of ``call``
    with pytest.raises(Invalid) as refused:
        projects.create_project(
            tx_session, SYSTEM, _data(call, objective_codes=["C"]), f.organisation(tx_session)
        )
    assert refused.value.value == ["C"]


def test_donor_cannot_lead_and_nothing_is_created(tx_session: Session) -> None:
    call = f.call(tx_session)
    donor = f.organisation(tx_session, kind=OrganisationKind.DONOR)
    projects_before = _count(tx_session, Project)
    events_before = _count(tx_session, AuditEvent)

    with pytest.raises(Invalid) as refused:
        projects.create_project(tx_session, SYSTEM, _data(call), donor)

    assert refused.value.field == "organisation"
    assert not tx_session.new
    assert _count(tx_session, Project) == projects_before
    assert _count(tx_session, AuditEvent) == events_before


def test_only_the_programmes_manager_creates_projects(tx_session: Session) -> None:
    call = f.call(tx_session)
    other_programme = f.programme(tx_session)
    other_managers = tx_session.get(Organisation, other_programme.managing_organisation_id)
    _, outsider = f.user(tx_session, Role.GRANT_MANAGER, other_managers)

    with pytest.raises(NotAllowed):
        projects.create_project(tx_session, outsider, _data(call), f.organisation(tx_session))


def test_programmes_manager_creates_projects(tx_session: Session) -> None:
    manager_org = f.organisation(tx_session, kind=OrganisationKind.IMPLEMENTING_AGENCY)
    call = f.call(tx_session, f.programme(tx_session, manager_org))
    _, manager = f.user(tx_session, Role.GRANT_MANAGER, manager_org)

    project = projects.create_project(tx_session, manager, _data(call), f.organisation(tx_session))

    assert project.status == ProjectStatus.DRAFT


def test_a_project_has_one_lead_only(tx_session: Session) -> None:
    project = f.project(tx_session)

    with pytest.raises(Invalid) as refused:
        projects.add_partner(
            tx_session, SYSTEM, project, f.organisation(tx_session), PartnerRole.LEAD
        )

    assert refused.value.field == "role"


def test_an_organisation_is_a_partner_once(tx_session: Session) -> None:
    project = f.project(tx_session)
    partner = f.partner(tx_session, project)

    with pytest.raises(Invalid) as refused:
        projects.add_partner(tx_session, SYSTEM, project, partner, PartnerRole.ASSOCIATED)

    assert refused.value.field == "organisation"


# Activation and closing guards


def test_activation_needs_tranches_adding_up_to_the_award(tx_session: Session) -> None:
    project = f.project(tx_session, awarded_amount=Decimal("50000"))
    f.milestone(tx_session, project)
    f.tranche(tx_session, project, "30000")
    f.tranche(tx_session, project, "19999.99")
    projects.advance_project(tx_session, SYSTEM, project, "start_contracting", today=START)

    with pytest.raises(Invalid) as refused:
        projects.advance_project(tx_session, SYSTEM, project, "activate", today=START)

    assert refused.value.field == "tranches"
    assert Decimal(refused.value.value) == Decimal("49999.99")
    assert project.status == ProjectStatus.CONTRACTING
    assert project.actual_start is None


def test_activation_needs_milestones(tx_session: Session) -> None:
    project = f.project(tx_session)
    f.tranche(tx_session, project, "50000")
    projects.advance_project(tx_session, SYSTEM, project, "start_contracting", today=START)

    with pytest.raises(Invalid) as refused:
        projects.advance_project(tx_session, SYSTEM, project, "activate", today=START)

    assert refused.value.field == "milestones"
    assert project.status == ProjectStatus.CONTRACTING


def test_activation_records_the_actual_start(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.CONTRACTING)

    projects.advance_project(tx_session, SYSTEM, project, "activate", today=dt.date(2026, 1, 12))

    assert project.status == ProjectStatus.ACTIVE
    assert project.actual_start == dt.date(2026, 1, 12)


def _finalising(session: Session, milestone: MilestoneStatus, tranche: TrancheStatus) -> Project:
    project = f.project_in(session, ProjectStatus.ACTIVE)
    f.milestone_in(session, milestone, milestones.milestones_of(session, project)[0])
    f.tranche_in(session, tranche, tranches.tranches_of(session, project)[0])
    projects.advance_project(session, SYSTEM, project, "finalise", today=TODAY)
    return project


@pytest.mark.parametrize(
    ("milestone", "tranche", "field"),
    [
        (MilestoneStatus.SUBMITTED, TrancheStatus.PAID, "milestones"),
        (MilestoneStatus.RETURNED, TrancheStatus.PAID, "milestones"),
        (MilestoneStatus.ACCEPTED, TrancheStatus.APPROVED, "tranches"),
        (MilestoneStatus.ACCEPTED, TrancheStatus.SCHEDULED, "tranches"),
    ],
)
def test_closing_needs_every_milestone_and_tranche_settled(
    tx_session: Session, milestone: MilestoneStatus, tranche: TrancheStatus, field: str
) -> None:
    project = _finalising(tx_session, milestone, tranche)

    with pytest.raises(Invalid) as refused:
        projects.advance_project(tx_session, SYSTEM, project, "close", today=TODAY)

    assert refused.value.field == field
    assert project.status == ProjectStatus.FINALISING
    assert project.actual_end is None


@pytest.mark.parametrize(
    ("milestone", "tranche"),
    [
        (MilestoneStatus.ACCEPTED, TrancheStatus.PAID),
        (MilestoneStatus.CANCELLED, TrancheStatus.CANCELLED),
    ],
)
def test_closing_records_the_actual_end(
    tx_session: Session, milestone: MilestoneStatus, tranche: TrancheStatus
) -> None:
    project = _finalising(tx_session, milestone, tranche)

    projects.advance_project(tx_session, SYSTEM, project, "close", today=dt.date(2027, 1, 20))

    assert project.status == ProjectStatus.CLOSED
    assert project.actual_end == dt.date(2027, 1, 20)


@pytest.mark.parametrize("step", ["suspend", "cancel"])
def test_suspending_and_cancelling_keep_the_reason(tx_session: Session, step: str) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)

    projects.advance_project(
        tx_session, SYSTEM, project, step, today=TODAY, reason="Mayor replaced"
    )

    tx_session.refresh(project)
    assert project.status_reason == "Mayor replaced"


def test_resuming_clears_the_suspension_reason(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.SUSPENDED)

    projects.advance_project(tx_session, SYSTEM, project, "resume", today=TODAY)

    assert project.status == ProjectStatus.ACTIVE
    assert project.status_reason is None


# Edits


def test_update_with_the_current_version_applies(tx_session: Session) -> None:
    project = f.project(tx_session, title="Old title")
    version = project.version

    projects.update_project(
        tx_session, SYSTEM, project, ProjectUpdate(title="New title"), expected_version=version
    )

    tx_session.refresh(project)
    assert project.title == "New title"
    assert project.version == version + 1


def test_update_with_a_stale_version_is_a_conflict(tx_session: Session) -> None:
    project = f.project(tx_session, title="Old title")
    stale = project.version
    projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(summary="Edited"))

    with pytest.raises(Conflict):
        projects.update_project(
            tx_session, SYSTEM, project, ProjectUpdate(title="Mine"), expected_version=stale
        )

    tx_session.refresh(project)
    assert project.title == "Old title"


@pytest.mark.parametrize(
    ("award", "accepted"),
    [
        ("49999.99", False),  # below the 50,000 already scheduled in tranches
        ("50000", True),
        ("50000.01", False),  # above the call's maximum
    ],
)
def test_award_stays_between_scheduled_tranches_and_call_maximum(
    tx_session: Session, award: str, accepted: bool
) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE, awarded_amount=Decimal("45000"))
    f.tranche_in(tx_session, TrancheStatus.SCHEDULED, tranches.tranches_of(tx_session, project)[0])
    projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(awarded_amount=50000))
    f.tranche(tx_session, project, "5000")
    update = ProjectUpdate(awarded_amount=Decimal(award))

    if accepted:
        projects.update_project(tx_session, SYSTEM, project, update)
        assert project.awarded_amount == Decimal(award)
    else:
        with pytest.raises(Invalid) as refused:
            projects.update_project(tx_session, SYSTEM, project, update)
        assert refused.value.field == "awarded_amount"
        tx_session.refresh(project)
        assert project.awarded_amount == Decimal("50000")


def test_cancelled_tranches_do_not_hold_the_award(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)
    f.tranche_in(tx_session, TrancheStatus.CANCELLED, tranches.tranches_of(tx_session, project)[0])

    projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(awarded_amount=20000))

    assert project.awarded_amount == Decimal("20000")


def test_sector_shares_must_add_up_to_100(tx_session: Session) -> None:
    project = f.project(tx_session)
    projects.set_sectors(tx_session, SYSTEM, project, {"15150": Decimal(100)})

    with pytest.raises(Invalid) as refused:
        projects.set_sectors(
            tx_session, SYSTEM, project, {"15150": Decimal(60), "15160": Decimal("39.9")}
        )
    assert refused.value.field == "sectors"

    projects.set_sectors(tx_session, SYSTEM, project, {"15150": Decimal(60), "15160": Decimal(40)})
    shares = tx_session.exec(
        select(ProjectSector.code, ProjectSector.percentage)
        .where(ProjectSector.project_id == project.id)
        .order_by(ProjectSector.code)
    ).all()
    assert shares == [("15150", Decimal(60)), ("15160", Decimal(40))]


CHANGES: dict[str, Callable[[Session, Project], Any]] = {
    "update_project": lambda s, p: projects.update_project(
        s, SYSTEM, p, ProjectUpdate(title="Renamed")
    ),
    "add_partner": lambda s, p: projects.add_partner(
        s, SYSTEM, p, f.organisation(s), PartnerRole.ASSOCIATED
    ),
    "set_sectors": lambda s, p: projects.set_sectors(s, SYSTEM, p, {"15150": Decimal(100)}),
    "add_milestone": lambda s, p: milestones.add_milestone(
        s, SYSTEM, p, MilestoneCreate(title="Extra", due_date=dt.date(2026, 9, 30))
    ),
    "add_tranche": lambda s, p: tranches.add_tranche(
        s,
        SYSTEM,
        p,
        TrancheCreate(amount=Decimal(0), currency="EUR", planned_date=dt.date(2026, 9, 30)),
    ),
    "add_budget_line": lambda s, p: f.budget_line(s, p),
    "add_indicator": lambda s, p: indicators.add_indicator(
        s,
        SYSTEM,
        p,
        IndicatorCreate(
            code="I1", title="People served", unit="people", baseline=0, target=Decimal(300)
        ),
    ),
}


@pytest.mark.parametrize("status", [ProjectStatus.CLOSED, ProjectStatus.CANCELLED])
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_closed_or_cancelled_project_no_longer_changes(
    tx_session: Session, change: str, status: ProjectStatus
) -> None:
    project = f.project_in(tx_session, status)
    events = _project_events(tx_session, project)

    with pytest.raises(Conflict, match=status.value):
        CHANGES[change](tx_session, project)

    assert _project_events(tx_session, project) == events
    tx_session.refresh(project)
    assert project.title != "Renamed"
