"""What the load benchmark works on: a fresh demo database, tokens, web sessions, and what
the clients know of it before they start (projects open for reporting, who edits for whom,
budget lines, tranche gates, evidence files).

The database is loaded as a user would: ``grants db upgrade`` and ``grants demo --reset
--today DAY``. API tokens are made through ``grants.services.tokens`` (as ``grants token
create`` does); web sessions by signing in through ``POST /login`` with its CSRF cookie.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import _pg
from _http import Connection, form_body
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from grants import db
from grants.config import Settings
from grants.demo import DEMO_PASSWORD
from grants.models import (
    Attachment,
    BudgetLine,
    Membership,
    MilestoneStatus,
    Organisation,
    PartnerRole,
    Programme,
    Project,
    ProjectPartner,
    Role,
    Tranche,
    TrancheGate,
    TrancheStatus,
    User,
    utcnow,
)
from grants.models import Milestone as MilestoneRow
from grants.services import tokens
from grants.services.access import SYSTEM
from grants.services.workflow import REPORTING_OPEN

MANAGERS = ("manager@example.org", "manager2@example.org")
DONOR = "donor@example.org"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class ProjectFacts:
    """A project open for reporting, as its people know it."""

    id: int
    reference: str
    currency: str
    award: Decimal
    started: dt.date
    planned_start: dt.date
    planned_end: dt.date
    budget_lines: list[int]
    partners: list[int]  # the implementing partners (lead first), who record and submit
    editors: dict[int, str]  # organisation id -> the email of its partner editor


@dataclass
class World:
    """What the clients know when they start; ``tokens`` and ``cookies`` are by email."""

    today: dt.date
    programme_id: int
    projects: list[ProjectFacts]
    tokens: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    gates: dict[int, set[int]] = field(default_factory=dict)  # tranche id -> gate milestones
    accepted: set[int] = field(default_factory=set)  # accepted milestone ids
    attachments: list[tuple[int, int]] = field(default_factory=list)  # (id, project id)

    def project(self, project_id: int) -> ProjectFacts:
        return next(p for p in self.projects if p.id == project_id)

    @property
    def web_partners(self) -> list[tuple[ProjectFacts, str]]:
        """Each project with the email of its lead partner's editor (signed in on the web)."""
        return [(p, p.editors[p.partners[0]]) for p in self.projects]


def database(engine: str, name: str, work: Path, cluster: _pg.Cluster | None) -> str:
    """Return the URL of a new, empty database for one run."""
    if engine == "sqlite":
        return f"sqlite:///{work / 'grants.db'}"
    assert cluster is not None
    import psycopg

    with psycopg.connect(
        f"host=127.0.0.1 port={cluster.port} user=postgres", autocommit=True
    ) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # our own fixed name
    return cluster.url(name)


def load_demo(env: dict[str, str], today: dt.date, log: Path) -> None:
    """Run ``grants db upgrade`` and ``grants demo --reset --today``; raise with the log."""
    for command in (["db", "upgrade"], ["demo", "--reset", "--today", today.isoformat()]):
        with log.open("ab") as out:
            done = subprocess.run(  # noqa: S603 - our own interpreter and command
                [sys.executable, "-m", "grants", *command], env=env, stdout=out, stderr=out
            )
        if done.returncode:
            raise RuntimeError(f"grants {' '.join(command)} failed:\n{log.read_text()[-2000:]}")


def world_of(url: str, settings: Settings, today: dt.date) -> World:
    """Read what the clients start from, and give each of their accounts an API token."""
    engine = db.make_engine(url, settings)
    try:
        with db.write_session(engine) as session:
            projects = _reporting_projects(session)
            emails = {*MANAGERS, DONOR, *(e for p in projects for e in p.editors.values())}
            world = World(today, _programme_id(session), projects, _tokens(session, emails))
            _delivery_facts(session, world)
        return world
    finally:
        engine.dispose()


def _programme_id(session: Session) -> int:
    return int(session.exec(select(Programme.id).order_by(col(Programme.id))).first() or 0)


def _reporting_projects(session: Session) -> list[ProjectFacts]:
    found = []
    query = select(Project).where(col(Project.status).in_(REPORTING_OPEN)).order_by(Project.id)
    for project in session.exec(query):
        partners = session.exec(
            select(ProjectPartner.organisation_id, ProjectPartner.role).where(
                ProjectPartner.project_id == project.id,
                col(ProjectPartner.role).in_([PartnerRole.LEAD, PartnerRole.CO_IMPLEMENTING]),
            )
        ).all()
        ordered = [org for org, role in sorted(partners, key=lambda p: p[1] != PartnerRole.LEAD)]
        editors = _editors(session, ordered)
        lines = session.exec(
            select(BudgetLine.id).where(BudgetLine.project_id == project.id).order_by(BudgetLine.id)
        ).all()
        assert project.awarded_amount is not None
        assert project.planned_start is not None
        assert project.planned_end is not None
        found.append(
            ProjectFacts(
                id=project.id,
                reference=project.reference,
                currency=project.currency,
                award=Decimal(project.awarded_amount),
                started=project.actual_start or project.planned_start,
                planned_start=project.planned_start,
                planned_end=project.planned_end,
                budget_lines=list(lines),
                partners=[org for org in ordered if org in editors],
                editors=editors,
            )
        )
    return [p for p in found if p.partners and p.budget_lines]


def _editors(session: Session, organisation_ids: list[int]) -> dict[int, str]:
    rows = session.exec(
        select(Membership.organisation_id, User.email)
        .join(User, col(User.id) == col(Membership.user_id))
        .join(Organisation, col(Organisation.id) == col(Membership.organisation_id))
        .where(
            Membership.role == Role.PARTNER_EDITOR,
            col(Membership.organisation_id).in_(organisation_ids),
            col(User.is_active).is_(True),
        )
        .order_by(col(User.email))
    ).all()
    editors: dict[int, str] = {}
    for organisation_id, email in rows:
        editors.setdefault(int(organisation_id or 0), email)
    return editors


def _tokens(session: Session, emails: set[str]) -> dict[str, str]:
    made = {}
    for user in session.exec(select(User).where(col(User.email).in_(sorted(emails)))):
        raw, _token = tokens.create_token(session, SYSTEM, user, "load benchmark", utcnow())
        made[user.email] = raw
    missing = emails - set(made)
    if missing:
        raise RuntimeError(f"demo accounts not found: {', '.join(sorted(missing))}")
    return made


def _delivery_facts(session: Session, world: World) -> None:
    ids = [p.id for p in world.projects]
    for tranche_id, milestone_id in session.exec(
        select(TrancheGate.tranche_id, TrancheGate.milestone_id)
        .join(Tranche, col(Tranche.id) == col(TrancheGate.tranche_id))
        .where(col(Tranche.project_id).in_(ids), Tranche.status == TrancheStatus.SCHEDULED)
    ):
        world.gates.setdefault(tranche_id, set()).add(milestone_id)
    world.accepted = set(
        session.exec(
            select(MilestoneRow.id).where(
                col(MilestoneRow.project_id).in_(ids),
                MilestoneRow.status == MilestoneStatus.ACCEPTED,
            )
        ).all()
    )
    world.attachments = [
        (a, p)
        for a, p in session.exec(
            select(Attachment.id, Attachment.project_id).where(col(Attachment.project_id).in_(ids))
        )
    ]


def sign_in_all(base: str, world: World) -> None:
    """Sign the managers, the donor and each project's lead editor in on the web."""
    emails = sorted({*MANAGERS, DONOR, *(email for _p, email in world.web_partners)})
    host, port = base.removeprefix("http://").split(":")
    asyncio.run(_sign_in_all(host, int(port), base, emails, world))


async def _sign_in_all(host: str, port: int, base: str, emails: list[str], world: World) -> None:
    connection = Connection(host, port, timeout=60)
    try:
        for email in emails:
            world.cookies[email] = await _sign_in(connection, base, email)
        for project, email in world.web_partners:
            page = await connection.request(
                "GET",
                f"/projects/{project.id}/expenses/new",
                {"Cookie": f"grants_session={world.cookies[email]}"},
            )
            found = CSRF.search(page.body.decode())
            if page.status != 200 or found is None:
                raise RuntimeError(f"the expense form of {email} answered {page.status}")
            world.csrf[email] = found[1]
    finally:
        await connection.close()


async def _sign_in(connection: Connection, base: str, email: str) -> str:
    form = await connection.request("GET", "/login")
    token = CSRF.search(form.body.decode())
    csrf_cookie = form.cookies.get("grants_login_csrf")
    if form.status != 200 or token is None or csrf_cookie is None:
        raise RuntimeError(f"the sign-in page answered {form.status} without a CSRF token")
    body, media = form_body(
        {"email": email, "password": DEMO_PASSWORD, "csrf_token": token[1], "next": "/"}
    )
    answer = await connection.request(
        "POST",
        "/login",
        {"Content-Type": media, "Origin": base, "Cookie": f"grants_login_csrf={csrf_cookie}"},
        body,
    )
    cookie = answer.cookies.get("grants_session")
    if answer.status != 303 or not cookie:
        raise RuntimeError(f"signing {email} in answered {answer.status}")
    return cookie


def engine_for(url: str, settings: Settings) -> Engine:
    """Return an engine on the run's database (for the checks)."""
    return db.make_engine(url, settings)
