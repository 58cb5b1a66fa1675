"""Small factories with keyword overrides; every row is made through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from grants.models import (
    BudgetLine,
    BudgetLineCreate,
    Call,
    CallCreate,
    Expense,
    ExpenseCreate,
    Milestone,
    MilestoneCreate,
    MilestoneStatus,
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    OverallStatus,
    PartnerRole,
    Programme,
    ProgrammeCreate,
    ProgressUpdate,
    ProgressUpdateCreate,
    Project,
    ProjectCreate,
    ProjectPartner,
    ProjectStatus,
    ReviewStatus,
    Role,
    Tranche,
    TrancheCreate,
    TrancheStatus,
    User,
    UserCreate,
)
from grants.services import budgets, milestones, programmes, progress, projects, tranches, users
from grants.services.access import SYSTEM, Principal, principal_for

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"
START = dt.date(2026, 1, 1)
END = dt.date(2026, 12, 31)
TODAY = dt.date(2026, 6, 15)
REASON = "Agreed with the partner on the phone"


def organisation(session: Session, **overrides: Any) -> Organisation:
    n = next(_numbers)
    fields: dict[str, Any] = {
        "ref": f"ORG-{n}",
        "name": f"Organisation {n}",
        "kind": OrganisationKind.MUNICIPALITY,
        "country": "TN",
    }
    return programmes.create_organisation(
        session, SYSTEM, OrganisationCreate(**{**fields, **overrides})
    )


def programme(
    session: Session, manager_org: Organisation | None = None, **overrides: Any
) -> Programme:
    manager_org = manager_org or organisation(session, kind=OrganisationKind.IMPLEMENTING_AGENCY)
    n = next(_numbers)
    fields: dict[str, Any] = {
        "code": f"PRG-{n}",
        "title": f"Programme {n}",
        "currency": "EUR",
        "budget": Decimal("1000000"),
        "start_date": dt.date(2025, 1, 1),
        "end_date": dt.date(2027, 12, 31),
        "managing_organisation_id": manager_org.id,
    }
    return programmes.create_programme(session, SYSTEM, ProgrammeCreate(**{**fields, **overrides}))


def call(session: Session, programme_: Programme | None = None, **overrides: Any) -> Call:
    """A call (max EUR 50,000, open from 2025-01-01) with objectives A and B."""
    programme_ = programme_ or programme(session)
    n = next(_numbers)
    fields: dict[str, Any] = {
        "programme_id": programme_.id,
        "code": f"CALL-{n}",
        "title": f"Call {n}",
        "opens_on": dt.date(2025, 1, 1),
        "closes_on": dt.date(2025, 3, 31),
        "max_amount": Decimal("50000"),
        "currency": programme_.currency,
    }
    return programmes.create_call(
        session,
        SYSTEM,
        CallCreate(**{**fields, **overrides}),
        {"A": "Cooperation", "B": "Data"},
    )


def project(
    session: Session,
    *,
    programme_: Programme | None = None,
    lead: Organisation | None = None,
    **overrides: Any,
) -> Project:
    """A draft project in a new call of a (new) programme, with a lead grantee."""
    call_ = call(session, programme_)
    lead = lead or organisation(session)
    n = next(_numbers)
    fields: dict[str, Any] = {
        "reference": f"PRJ-{n}",
        "call_id": call_.id,
        "title": f"Project {n}",
        "city": "Sfax",
        "country": "TN",
        "awarded_amount": Decimal("50000"),
        "currency": call_.currency,
        "planned_start": START,
        "planned_end": END,
        "objective_codes": ["A"],
    }
    return projects.create_project(session, SYSTEM, ProjectCreate(**{**fields, **overrides}), lead)


def milestone(session: Session, project_: Project, **overrides: Any) -> Milestone:
    fields: dict[str, Any] = {"title": "Inception report", "due_date": dt.date(2026, 3, 31)}
    return milestones.add_milestone(
        session, SYSTEM, project_, MilestoneCreate(**{**fields, **overrides})
    )


def tranche(
    session: Session,
    project_: Project,
    amount: str,
    gates: list[Milestone] = (),  # type: ignore[assignment]
    **overrides: Any,
) -> Tranche:
    fields: dict[str, Any] = {
        "amount": Decimal(amount),
        "currency": project_.currency,
        "planned_date": dt.date(2026, 2, 1),
        "gate_milestone_ids": [m.id for m in gates],
    }
    return tranches.add_tranche(session, SYSTEM, project_, TrancheCreate(**{**fields, **overrides}))


def active_project(
    session: Session, **overrides: Any
) -> tuple[Project, list[Milestone], list[Tranche]]:
    """An active project: 3 milestones, tranches 60/30/10 (last two gated), a budget line."""
    project_ = project(session, **overrides)
    ms = [
        milestone(session, project_, title=t, due_date=d)
        for t, d in [
            ("Inception report", dt.date(2026, 3, 31)),
            ("Mid-term review", dt.date(2026, 7, 31)),
            ("Final report", dt.date(2026, 12, 15)),
        ]
    ]
    ts = [
        tranche(session, project_, "30000"),
        tranche(session, project_, "15000", [ms[1]]),
        tranche(session, project_, "5000", [ms[2]]),
    ]
    budgets.add_budget_line(
        session,
        SYSTEM,
        project_,
        BudgetLineCreate(
            code="1.1",
            category="staff",
            description="Project coordinator",
            amount=Decimal("20000"),
            currency=project_.currency,
        ),
    )
    projects.advance_project(session, SYSTEM, project_, "start_contracting", today=START)
    projects.advance_project(session, SYSTEM, project_, "activate", today=START)
    return project_, ms, ts


def user(
    session: Session,
    role: Role,
    organisation_: Organisation | None = None,
    email: str | None = None,
) -> tuple[User, Principal]:
    """A user with one membership, and their principal."""
    n = next(_numbers)
    created = users.create_user(
        session,
        SYSTEM,
        UserCreate(email=email or f"user{n}@example.org", full_name=f"User {n}", password=PASSWORD),
        role,
        organisation_,
    )
    return created, principal_for(session, created)


def programme_of(session: Session, project_: Project) -> Programme:
    """The programme a project was funded under."""
    call = session.get(Call, project_.call_id)
    assert call is not None
    programme_ = session.get(Programme, call.programme_id)
    assert programme_ is not None
    return programme_


def lead_of(session: Session, project_: Project) -> Organisation:
    """The project's lead grantee."""
    organisation_id = session.exec(
        select(ProjectPartner.organisation_id).where(
            ProjectPartner.project_id == project_.id, ProjectPartner.role == PartnerRole.LEAD
        )
    ).one()
    lead = session.get(Organisation, organisation_id)
    assert lead is not None
    return lead


def partner(
    session: Session,
    project_: Project,
    role: PartnerRole = PartnerRole.CO_IMPLEMENTING,
    **overrides: Any,
) -> Organisation:
    """A new organisation taking part in ``project_`` in ``role``."""
    organisation_ = organisation(session, **overrides)
    projects.add_partner(session, SYSTEM, project_, organisation_, role)
    return organisation_


def budget_line(session: Session, project_: Project, **overrides: Any) -> BudgetLine:
    fields: dict[str, Any] = {
        "code": f"{next(_numbers)}.1",
        "category": "services",
        "description": "Workshops",
        "amount": Decimal("10000"),
        "currency": project_.currency,
    }
    return budgets.add_budget_line(
        session, SYSTEM, project_, BudgetLineCreate(**{**fields, **overrides})
    )


def expense(
    session: Session,
    project_: Project,
    line: BudgetLine,
    amount: Decimal | str,
    spent_on: dt.date,
    *,
    today: dt.date | None = None,
    description: str = "Expense",
) -> Expense:
    """Record an expense of the project's lead grantee on ``line``, through the service."""
    return budgets.record_expense(
        session,
        SYSTEM,
        project_,
        ExpenseCreate(
            budget_line_id=line.id,
            spent_on=spent_on,
            amount=Decimal(amount),
            currency=project_.currency,
            description=description,
        ),
        today=today or spent_on,
        organisation_id=lead_of(session, project_).id,
    )


def progress_update(
    session: Session,
    project_: Project,
    organisation_: Organisation | None = None,
    *,
    today: dt.date = TODAY,
    **overrides: Any,
) -> ProgressUpdate:
    """A draft progress update, by the lead grantee unless ``organisation_`` is given."""
    organisation_ = organisation_ or lead_of(session, project_)
    fields: dict[str, Any] = {
        "period_start": START,
        "period_end": dt.date(2026, 5, 31),
        "overall_status": OverallStatus.ON_TRACK,
        "percent_complete": 40,
        "achievements": "Two workshops with the migrant associations of the city.",
    }
    return progress.start_update(
        session,
        SYSTEM,
        project_,
        ProgressUpdateCreate(**{**fields, **overrides}),
        today=today,
        organisation_id=organisation_.id,
    )


def activate(session: Session, project_: Project, today: dt.date = START) -> Project:
    """Take a draft project through contracting to active."""
    projects.advance_project(session, SYSTEM, project_, "start_contracting", today=today)
    projects.advance_project(session, SYSTEM, project_, "activate", today=today)
    return project_


# Workflow states reached through the services, for the rule tables.


def project_in(session: Session, status: ProjectStatus, **overrides: Any) -> Project:
    """A project in ``status``: one milestone, and one ungated tranche of the whole award.

    Finalising and closed projects have their milestone accepted and their tranche paid.
    """
    project_ = project(session, **overrides)
    milestone(session, project_)
    tranche(session, project_, str(project_.awarded_amount))

    def step(name: str, today: dt.date = TODAY) -> None:
        reason = REASON if name in {"suspend", "cancel"} else None
        projects.advance_project(session, SYSTEM, project_, name, today=today, reason=reason)

    if status is ProjectStatus.CANCELLED:
        step("cancel")
    if status in {ProjectStatus.DRAFT, ProjectStatus.CANCELLED}:
        return project_
    if status is ProjectStatus.CONTRACTING:
        step("start_contracting", START)
        return project_
    activate(session, project_)
    if status is ProjectStatus.SUSPENDED:
        step("suspend")
    if status in {ProjectStatus.FINALISING, ProjectStatus.CLOSED}:
        milestone_in(
            session, MilestoneStatus.ACCEPTED, milestones.milestones_of(session, project_)[0]
        )
        tranche_in(session, TrancheStatus.PAID, tranches.tranches_of(session, project_)[0])
        step("finalise")
    if status is ProjectStatus.CLOSED:
        step("close")
    return project_


MILESTONE_PATHS: dict[MilestoneStatus, list[str]] = {
    MilestoneStatus.PLANNED: [],
    MilestoneStatus.IN_PROGRESS: ["start"],
    MilestoneStatus.SUBMITTED: ["submit"],
    MilestoneStatus.ACCEPTED: ["submit", "accept"],
    MilestoneStatus.RETURNED: ["submit", "return"],
    MilestoneStatus.CANCELLED: ["cancel"],
}


def milestone_in(
    session: Session, status: MilestoneStatus, milestone_: Milestone | None = None
) -> Milestone:
    """``milestone_`` (by default the milestone of a new active project) moved to ``status``."""
    if milestone_ is None:
        project_ = project_in(session, ProjectStatus.ACTIVE)
        milestone_ = milestones.milestones_of(session, project_)[0]
    for name in MILESTONE_PATHS[status]:
        reason = REASON if name in {"return", "cancel"} else None
        milestones.advance_milestone(session, SYSTEM, milestone_, name, today=TODAY, reason=reason)
    return milestone_


TRANCHE_PATHS: dict[TrancheStatus, list[str]] = {
    TrancheStatus.SCHEDULED: [],
    TrancheStatus.APPROVED: ["approve"],
    TrancheStatus.PAID: ["approve", "pay"],
    TrancheStatus.CANCELLED: ["cancel"],
}


def tranche_in(session: Session, status: TrancheStatus, tranche_: Tranche | None = None) -> Tranche:
    """``tranche_`` (by default the releasable tranche of a new active project) in ``status``."""
    if tranche_ is None:
        project_ = project_in(session, ProjectStatus.ACTIVE)
        tranche_ = tranches.tranches_of(session, project_)[0]
    for name in TRANCHE_PATHS[status]:
        reason = REASON if name == "cancel" else None
        tranche_ = tranches.advance_tranche(
            session, SYSTEM, tranche_, name, today=TODAY, reason=reason
        )
    return tranche_


UPDATE_PATHS: dict[ReviewStatus, list[str]] = {
    ReviewStatus.DRAFT: [],
    ReviewStatus.SUBMITTED: ["submit"],
    ReviewStatus.APPROVED: ["submit", "approve"],
    ReviewStatus.RETURNED: ["submit", "return"],
}


def update_in(
    session: Session, status: ReviewStatus, update: ProgressUpdate | None = None
) -> ProgressUpdate:
    """``update`` (by default a lead's draft on a new active project) moved to ``status``."""
    if update is None:
        update = progress_update(session, project_in(session, ProjectStatus.ACTIVE))
    for name in UPDATE_PATHS[status]:
        reason = REASON if name == "return" else None
        progress.advance_update(session, SYSTEM, update, name, today=TODAY, reason=reason)
    return update
