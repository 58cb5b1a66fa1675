"""Small factories with keyword overrides; every row is made through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from grants.models import (
    BudgetLineCreate,
    CallCreate,
    Milestone,
    MilestoneCreate,
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    Programme,
    ProgrammeCreate,
    Project,
    ProjectCreate,
    Role,
    Tranche,
    TrancheCreate,
    User,
    UserCreate,
)
from grants.services import budgets, milestones, programmes, projects, tranches, users
from grants.services.access import SYSTEM, Principal, principal_for

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"
START = dt.date(2026, 1, 1)
END = dt.date(2026, 12, 31)


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


def project(
    session: Session,
    *,
    programme_: Programme | None = None,
    lead: Organisation | None = None,
    **overrides: Any,
) -> Project:
    """A draft project in a new call of a (new) programme, with a lead grantee."""
    programme_ = programme_ or programme(session)
    n = next(_numbers)
    call = programmes.create_call(
        session,
        SYSTEM,
        CallCreate(
            programme_id=programme_.id,
            code=f"CALL-{n}",
            title=f"Call {n}",
            opens_on=dt.date(2025, 1, 1),
            closes_on=dt.date(2025, 3, 31),
            max_amount=Decimal("50000"),
            currency=programme_.currency,
        ),
        {"A": "Cooperation", "B": "Data"},
    )
    lead = lead or organisation(session)
    fields: dict[str, Any] = {
        "reference": f"PRJ-{n}",
        "call_id": call.id,
        "title": f"Project {n}",
        "city": "Sfax",
        "country": "TN",
        "awarded_amount": Decimal("50000"),
        "currency": programme_.currency,
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
