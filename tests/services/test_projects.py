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
from grants.services.errors import Conflict, Invalid
from tests import factories as f
from tests.factories import END, REASON, START, TODAY


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


# The call opens on 2025-01-01 and the programme ends on 2027-12-31.
PERIODS = [
    pytest.param(
        dt.date(2024, 12, 31),
        END,
        ("planned_start", "2024-12-31", "must not be before the call opens (2025-01-01)"),
        id="starts the day before the call opens",
    ),
    pytest.param(dt.date(2025, 1, 1), END, None, id="starts the day the call opens"),
    pytest.param(START, dt.date(2027, 12, 31), None, id="ends the day the programme ends"),
    pytest.param(
        START,
        dt.date(2028, 1, 1),
        ("planned_end", "2028-01-01", "must not be after the programme ends (2027-12-31)"),
        id="ends the day after the programme ends",
    ),
]


@pytest.mark.parametrize(("start", "end", "refusal"), PERIODS)
def test_project_runs_between_the_calls_opening_and_the_programmes_end(
    tx_session: Session, start: dt.date, end: dt.date, refusal: tuple[str, str, str] | None
) -> None:
    programme = f.programme(tx_session, end_date=dt.date(2027, 12, 31))
    call = f.call(tx_session, programme, opens_on=dt.date(2025, 1, 1))
    data = _data(call, planned_start=start, planned_end=end)

    if refusal is None:
        project = projects.create_project(tx_session, SYSTEM, data, f.organisation(tx_session))
        assert (project.planned_start, project.planned_end) == (start, end)
        return
    with pytest.raises(Invalid) as refused:
        projects.create_project(tx_session, SYSTEM, data, f.organisation(tx_session))
    assert (refused.value.field, refused.value.value, refused.value.reason) == refusal
    assert _count(tx_session, Project) == 0


def test_the_award_above_the_calls_maximum_is_shown_as_money(tx_session: Session) -> None:
    call = f.call(tx_session, max_amount=Decimal("50000"))

    with pytest.raises(Invalid) as refused:
        projects.create_project(
            tx_session,
            SYSTEM,
            _data(call, awarded_amount=Decimal("50000.01")),
            f.organisation(tx_session),
        )

    assert refused.value.reason == "exceeds the call's maximum of €50,000.00"


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
    """Another programme's manager does not see the call: it is none they may name."""
    call = f.call(tx_session)
    other_programme = f.programme(tx_session)
    other_managers = tx_session.get(Organisation, other_programme.managing_organisation_id)
    _, outsider = f.user(tx_session, Role.GRANT_MANAGER, other_managers)

    with pytest.raises(Invalid) as refused:
        projects.create_project(tx_session, outsider, _data(call), f.organisation(tx_session))
    assert refused.value.field == "call_id"


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
    assert refused.value.reason == (
        "tranches must add up to the award of €50,000.00 before the project starts"
    )
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
    ("award", "why"),
    [
        ("49999.99", "is below the €50,000.00 already scheduled in tranches"),
        ("50000", None),
        ("50000.01", "exceeds the call's maximum of €50,000.00"),
    ],
)
def test_award_stays_between_scheduled_tranches_and_call_maximum(
    tx_session: Session, award: str, why: str | None
) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE, awarded_amount=Decimal("45000"))
    f.tranche_in(tx_session, TrancheStatus.SCHEDULED, tranches.tranches_of(tx_session, project)[0])
    projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(awarded_amount=50000))
    f.tranche(tx_session, project, "5000")
    update = ProjectUpdate(awarded_amount=Decimal(award))

    if why is None:
        projects.update_project(tx_session, SYSTEM, project, update)
        assert project.awarded_amount == Decimal(award)
    else:
        with pytest.raises(Invalid) as refused:
            projects.update_project(tx_session, SYSTEM, project, update)
        assert (refused.value.field, refused.value.reason) == ("awarded_amount", why)
        tx_session.refresh(project)
        assert project.awarded_amount == Decimal("50000")


def test_cancelled_tranches_do_not_hold_the_award(tx_session: Session) -> None:
    project = f.project_in(tx_session, ProjectStatus.ACTIVE)
    f.tranche_in(tx_session, TrancheStatus.CANCELLED, tranches.tranches_of(tx_session, project)[0])

    projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(awarded_amount=20000))

    assert project.awarded_amount == Decimal("20000")


def _unchanged(session: Session, project: Project) -> tuple[Any, ...]:
    """What a refused edit must leave as it was, audit trail included."""
    session.refresh(project)
    return (
        project.planned_start,
        project.planned_end,
        project.awarded_amount,
        project.country,
        project.version,
        _project_events(session, project),
    )


# The call opens on 2025-01-01 and the programme ends on 2027-12-31.
@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        pytest.param(
            {"planned_start": dt.date(2024, 12, 31)},
            "planned_start",
            "must not be before the call opens (2025-01-01)",
            id="start before the call opens",
        ),
        pytest.param(
            {"planned_end": dt.date(2028, 1, 1)},
            "planned_end",
            "must not be after the programme ends (2027-12-31)",
            id="end after the programme ends",
        ),
        pytest.param(
            {"awarded_amount": Decimal("50000.01")},
            "awarded_amount",
            "exceeds the call's maximum of €50,000.00",
            id="award above the call's maximum",
        ),
    ],
)
def test_an_edit_is_held_to_the_terms_of_the_call(
    tx_session: Session, change: dict[str, Any], field: str, reason: str
) -> None:
    project = f.project(tx_session, awarded_amount=Decimal("40000"))
    before = _unchanged(tx_session, project)

    with pytest.raises(Invalid) as refused:
        projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(**change))

    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert _unchanged(tx_session, project) == before


def test_an_edit_within_the_terms_of_the_call_applies(tx_session: Session) -> None:
    project = f.project(tx_session, awarded_amount=Decimal("40000"))

    projects.update_project(
        tx_session,
        SYSTEM,
        project,
        ProjectUpdate(
            planned_start=dt.date(2025, 1, 1),
            planned_end=dt.date(2027, 12, 31),
            awarded_amount=Decimal("50000"),
        ),
    )

    tx_session.refresh(project)
    assert (project.planned_start, project.planned_end, project.awarded_amount) == (
        dt.date(2025, 1, 1),
        dt.date(2027, 12, 31),
        Decimal("50000"),
    )


# The project runs from 2026-01-01 to 2026-12-31. Each change passes ProjectUpdate on its
# own but breaks a rule once merged with the rest of the project.
# case: change, what the message says, field, value
BAD_EDITS: dict[str, tuple[dict[str, Any], str, str, str]] = {
    "end before start": (
        {"planned_end": dt.date(2025, 12, 31)},
        "must not be before planned_start",
        "planned_end",
        "2025-12-31",
    ),
    "unknown country": (
        {"country": "XX"},
        "not an ISO 3166-1 alpha-2 country code",
        "country",
        "XX",
    ),
    "fraction of a cent": (
        {"awarded_amount": Decimal("100.001")},
        "more than 2 decimal places",
        "awarded_amount",
        "100.001",
    ),
    "negative award": ({"awarded_amount": Decimal("-1")}, "is negative", "awarded_amount", "-1"),
}


@pytest.mark.parametrize("case", list(BAD_EDITS))
def test_a_bad_edit_is_invalid_and_changes_nothing(tx_session: Session, case: str) -> None:
    change, problem, _, _ = BAD_EDITS[case]
    project = f.project(tx_session)
    before = _unchanged(tx_session, project)

    with pytest.raises(Invalid, match=problem):  # not a pydantic ValidationError
        projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(**change))

    assert _unchanged(tx_session, project) == before


@pytest.mark.parametrize("case", list(BAD_EDITS))
def test_a_bad_edit_names_the_field_and_the_value(tx_session: Session, case: str) -> None:
    change, _, field, value = BAD_EDITS[case]
    project = f.project(tx_session)

    with pytest.raises(Invalid) as refused:
        projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(**change))

    assert (refused.value.field, str(refused.value.value)) == (field, value)


# Moving the project's period: its open milestones must still fall inside it. The project
# runs from 2026-01-01 to 2026-12-31; milestone 1 is due 2026-03-31, milestone 2 2026-11-30.


def _with_two_milestones(session: Session) -> tuple[Project, list[Any]]:
    project = f.project_in(session, ProjectStatus.ACTIVE)
    f.milestone(session, project, title="Final report", due_date=dt.date(2026, 11, 30))
    return project, milestones.milestones_of(session, project)


@pytest.mark.parametrize(
    ("change", "field", "value", "reason"),
    [
        pytest.param(
            {"planned_start": dt.date(2026, 4, 1)},
            "planned_start",
            "2026-04-01",
            "milestone 1 is due on 2026-03-31, outside the new period; re-plan it first",
            id="start after milestone 1",
        ),
        pytest.param(
            {"planned_end": dt.date(2026, 11, 29)},
            "planned_end",
            "2026-11-29",
            "milestone 2 is due on 2026-11-30, outside the new period; re-plan it first",
            id="end before milestone 2",
        ),
    ],
)
def test_a_new_period_may_not_strand_an_open_milestone(
    tx_session: Session, change: dict[str, Any], field: str, value: str, reason: str
) -> None:
    project, _ = _with_two_milestones(tx_session)
    before = _unchanged(tx_session, project)

    with pytest.raises(Invalid) as refused:
        projects.update_project(tx_session, SYSTEM, project, ProjectUpdate(**change))

    assert (refused.value.field, refused.value.value, refused.value.reason) == (
        field,
        value,
        reason,
    )
    assert _unchanged(tx_session, project) == before


def test_a_new_period_may_start_and_end_on_milestone_due_dates(tx_session: Session) -> None:
    project, _ = _with_two_milestones(tx_session)

    projects.update_project(
        tx_session,
        SYSTEM,
        project,
        ProjectUpdate(planned_start=dt.date(2026, 3, 31), planned_end=dt.date(2026, 11, 30)),
    )

    tx_session.refresh(project)
    assert (project.planned_start, project.planned_end) == (
        dt.date(2026, 3, 31),
        dt.date(2026, 11, 30),
    )


@pytest.mark.parametrize(
    ("status", "replanned", "blocks"),
    [
        (MilestoneStatus.PLANNED, False, True),
        (MilestoneStatus.IN_PROGRESS, False, True),
        (MilestoneStatus.SUBMITTED, False, True),
        (MilestoneStatus.RETURNED, False, True),
        (MilestoneStatus.PLANNED, True, False),
        (MilestoneStatus.ACCEPTED, False, False),
        (MilestoneStatus.CANCELLED, False, False),
    ],
    ids=["planned", "in progress", "submitted", "returned", "re-planned", "accepted", "cancelled"],
)
def test_which_milestones_hold_the_period_in_place(
    tx_session: Session, status: MilestoneStatus, replanned: bool, blocks: bool
) -> None:
    project, (first, _) = _with_two_milestones(tx_session)
    if replanned:
        milestones.replan_milestone(tx_session, SYSTEM, first, dt.date(2026, 3, 15), REASON)
    f.milestone_in(tx_session, status, first)
    later = ProjectUpdate(planned_start=dt.date(2026, 4, 1))

    if blocks:
        with pytest.raises(Invalid, match="milestone 1 is due on 2026-03-31") as refused:
            projects.update_project(tx_session, SYSTEM, project, later)
        assert refused.value.field == "planned_start"
        tx_session.refresh(project)
        assert project.planned_start == START
    else:
        projects.update_project(tx_session, SYSTEM, project, later)
        tx_session.refresh(project)
        assert project.planned_start == dt.date(2026, 4, 1)


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
