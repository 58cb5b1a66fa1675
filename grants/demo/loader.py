"""Load the demo programme through the services, replaying each project's dated events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from grants import db
from grants.demo import data
from grants.demo.data import Scenario
from grants.demo.story import Story
from grants.i18n import _
from grants.models import (
    AuditEvent,
    BudgetCategory,
    BudgetLineCreate,
    CallCreate,
    IndicatorCreate,
    Milestone,
    MilestoneCreate,
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    PartnerRole,
    ProgrammeCreate,
    Project,
    ProjectCreate,
    Role,
    Tranche,
    TrancheCreate,
    User,
    UserCreate,
)
from grants.services import budgets, indicators, milestones, programmes, projects, tranches, users
from grants.services.access import SYSTEM, Principal, principal_for
from grants.services.errors import Conflict

DEMO_PASSWORD = "grants-demo-2026"  # noqa: S105 - the documented password of every demo account
TRANCHE_SPLIT = (60, 30, 10)


@dataclass
class Cast:
    """The demo's organisations by reference, and the principals who act."""

    orgs: dict[str, Organisation]
    manager: Principal
    editors: dict[str, Principal] = field(default_factory=dict)


def load_demo(engine: Engine, today: dt.date, *, reset: bool = False) -> dict[str, int]:
    """Load the demo programme laid out around ``today``; return counts of what was made."""
    with db.write_session(engine) as session:
        if reset:
            for table in reversed(SQLModel.metadata.sorted_tables):
                session.execute(table.delete())
        elif session.exec(select(func.count()).select_from(Organisation)).one():
            raise Conflict(_("The database already holds data; use --reset to replace it."))
        cast = _cast(session)
        call_ids = _programme(session, cast, today)
        for scenario in data.scenarios():
            _project(session, cast, call_ids[scenario.call], scenario, today)
        return _counts(session)


def _counts(session: Session) -> dict[str, int]:
    def count(model: type[SQLModel]) -> int:
        return int(session.exec(select(func.count()).select_from(model)).one())

    models: dict[str, type[SQLModel]] = {
        "organisations": Organisation,
        "users": User,
        "projects": Project,
        "milestones": Milestone,
        "tranches": Tranche,
        "audit events": AuditEvent,
    }
    return {name: count(model) for name, model in models.items()}


def _cast(session: Session) -> Cast:
    orgs = {}
    for ref, name, kind, country, city, org_id, fictional in data.cast()["organisations"]["rows"]:
        orgs[ref] = programmes.create_organisation(
            session,
            SYSTEM,
            OrganisationCreate(
                ref=ref,
                name=name,
                kind=OrganisationKind(kind),
                country=country or None,
                city=city or None,
                org_identifier=org_id or None,
                is_fictional=fictional,
            ),
        )
    password_hash = users.hash_password(DEMO_PASSWORD)

    def person(email: str, name: str, role: str, org: str) -> Principal:
        user = users.create_user(
            session,
            SYSTEM,
            UserCreate(email=email, full_name=name, password=DEMO_PASSWORD),
            Role(role),
            orgs[org] if org else None,
            password_hash=password_hash,
        )
        return principal_for(session, user)

    principals = {row[0]: person(*row) for row in data.cast()["users"]["rows"]}
    cast = Cast(orgs, principals["manager@example.org"])
    scenarios = data.scenarios()
    implementers = {s.lead for s in scenarios} | {ref for s in scenarios for ref, _ in s.partners}
    for ref in sorted(implementers):
        cast.editors[ref] = person(
            f"editor.{ref.lower()}@example.org", f"{orgs[ref].name} editor", "partner_editor", ref
        )
    return cast


def _programme(session: Session, cast: Cast, today: dt.date) -> list[int]:
    spec = data.cast()["programme"]

    def day(offset: int) -> dt.date:
        return today + dt.timedelta(days=offset)

    programme = programmes.create_programme(
        session,
        SYSTEM,
        ProgrammeCreate(
            code=spec["code"],
            title=spec["title"],
            description=spec["description"],
            currency="EUR",
            budget=Decimal(spec["budget"]),
            start_date=day(spec["start"]),
            end_date=day(spec["end"]),
            managing_organisation_id=cast.orgs[spec["manager"]].id,
        ),
    )
    for ref, amount in spec["funders"]:
        programmes.add_funder(session, SYSTEM, programme, cast.orgs[ref], Decimal(amount), "EUR")
    return [
        programmes.create_call(
            session,
            cast.manager,
            CallCreate(
                programme_id=programme.id,
                code=call["code"],
                title=call["title"],
                opens_on=day(call["opens"]),
                closes_on=day(call["closes"]),
                max_amount=Decimal(50000),
                currency="EUR",
            ),
            data.cast()["objectives"],
        ).id
        for call in data.cast()["calls"]
    ]


def _project(session: Session, cast: Cast, call_id: int, s: Scenario, today: dt.date) -> None:
    start, end = today + dt.timedelta(days=s.start), today + dt.timedelta(days=s.end)
    m, award = cast.manager, Decimal(s.award)
    project = projects.create_project(
        session,
        m,
        ProjectCreate(
            reference=s.ref,
            call_id=call_id,
            title=s.title,
            summary=s.summary or s.title,
            city=s.city,
            country=s.country,
            awarded_amount=award,
            currency="EUR",
            planned_start=start,
            planned_end=end,
            manager_id=m.user_id,
            objective_codes=list(s.objectives),
        ),
        cast.orgs[s.lead],
    )
    for ref, role in s.partners:
        projects.add_partner(session, m, project, cast.orgs[ref], PartnerRole(role))
    projects.set_sectors(session, m, project, {k: Decimal(v) for k, v in s.sectors.items()})
    projects.add_co_financing(
        session,
        m,
        project,
        cast.orgs[s.lead],
        award / 10,
        "EUR",
        in_kind=True,
        description="Meeting rooms and municipal staff time",
    )
    length = (end - start).days
    ms = [
        milestones.add_milestone(
            session,
            m,
            project,
            MilestoneCreate(
                title=title,
                description=title,
                evidence_required=evidence,
                due_date=start + dt.timedelta(days=round(length * share)),
                responsible_organisation_id=cast.orgs[_responsible(s, index)].id,
            ),
        )
        for index, (title, evidence, share) in enumerate(data.MILESTONES)
    ]
    gates = [(start + dt.timedelta(days=15), None), (ms[2].due_date, ms[2]), (end, ms[4])]
    ts = [
        tranches.add_tranche(
            session,
            m,
            project,
            TrancheCreate(
                amount=award * pct / 100,
                currency="EUR",
                planned_date=planned + dt.timedelta(days=15),
                gate_milestone_ids=[gate.id] if gate else [],
            ),
        )
        for pct, (planned, gate) in zip(TRANCHE_SPLIT, gates, strict=True)
    ]
    lines = [
        budgets.add_budget_line(
            session,
            m,
            project,
            BudgetLineCreate(
                code=code,
                category=BudgetCategory(category),
                description=text,
                amount=award * share / 100,
                currency="EUR",
            ),
        )
        for code, category, text, share in data.BUDGET_SHARES
    ]
    inds = [
        indicators.add_indicator(
            session,
            m,
            project,
            IndicatorCreate(
                code=code, title=title, unit=unit, baseline=Decimal(0), target=Decimal(target)
            ),
        )
        for code, title, unit, target in data.INDICATORS
    ]
    story = Story(session, cast.manager, cast.editors, project, s, today)
    story.lifecycle()
    story.milestone_events(ms, ts)
    story.monthly_expenses(lines)
    story.quarterly_reports(inds)
    story.run()


def _responsible(s: Scenario, index: int) -> str:
    """The co-implementing CSO runs the workshop milestone; the lead grantee the rest."""
    cso = [ref for ref, role in s.partners if role == "co_implementing"]
    return cso[0] if index == 1 and cso else s.lead
