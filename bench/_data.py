"""A large, realistic data set for the benchmarks, bulk-loaded with SQLAlchemy Core.

One programme with two calls, 40 organisations (a municipality and a civil-society partner
per project, in TN, MA, JO, LB and EG), ``projects`` projects with six milestones each (the
rows come from ``_rows``), and one grant manager with an API token. With ``finances`` each
project also gets what its reports show (the rows come from ``_finance_rows``): budget
lines, monthly expenses, three tranches (gated by milestones, some paid), three indicators
with quarterly values and quarterly progress updates; ``milestones`` sets how many
milestones a project has (6 to 12).

Rows go in through each model's table in a few big ``INSERT``s (the schema comes from the
Alembic migrations), bypassing the ORM and its audit hook; the user, their membership and
the token are made through the services, as ``grants user add`` and ``grants token create``.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import _finance_rows
import _rows
from sqlalchemy import Connection, Engine, Table, func, insert, select

from grants import db
from grants.models import (
    BudgetLine,
    Call,
    Expense,
    Indicator,
    IndicatorValue,
    Milestone,
    Objective,
    Organisation,
    PartnerRole,
    Programme,
    ProgrammeFunder,
    ProgressUpdate,
    Project,
    ProjectObjective,
    ProjectPartner,
    ProjectStatus,
    Role,
    Tranche,
    TrancheGate,
    User,
    UserCreate,
    utcnow,
)
from grants.services import tokens, users
from grants.services.access import SYSTEM

MANAGER_EMAIL = "manager@bench.example.org"


@dataclass
class Loaded:
    """What a load made: how long it took, row counts, the token and ids to query."""

    seconds: float
    steps: dict[str, float]
    counts: dict[str, int]
    token: str
    detail_ids: list[int] = field(default_factory=list)
    active_tn: int = 0
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())


def load(
    url: str,
    projects: int,
    seed: int = 2026,
    *,
    milestones: int = 6,
    finances: bool = False,
    password: str | None = None,
) -> Loaded:
    """Create the schema at ``url`` and load the data set; return what was made.

    The grant manager signs in with ``password`` (a random one when none is given).
    """
    random.seed(seed)
    clock = [time.perf_counter()]

    def lap() -> float:
        clock.append(time.perf_counter())
        return clock[-1] - clock[-2]

    db.upgrade(url)
    seconds = {"schema": lap()}
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            org_ids = _organisations(conn)
        with db.write_session(engine) as session:
            org = session.get(Organisation, org_ids["PROG-OFFICE"])
            data = UserCreate(
                email=MANAGER_EMAIL,
                full_name="Bench Manager",
                password=password or secrets.token_urlsafe(18),
            )
            manager_id = users.create_user(session, SYSTEM, data, Role.GRANT_MANAGER, org).id
        with engine.begin() as conn:
            counts = _programme(conn, org_ids, manager_id, projects, milestones, finances)
            active_tn = _ids(conn, Project, status=ProjectStatus.ACTIVE, country="TN")
        with db.write_session(engine) as session:
            user = session.get(User, manager_id)
            assert user is not None
            raw, _token = tokens.create_token(session, SYSTEM, user, "bench", utcnow())
        seconds["rows"] = lap()
        _settle(engine)
        seconds["settle"] = lap()
    finally:
        engine.dispose()
    sample = random.sample(active_tn, min(20, len(active_tn)))
    return Loaded(clock[-1] - clock[0], seconds, counts, raw, sample, len(active_tn))


def _settle(engine: Engine) -> None:
    """Leave the database as it would be a while after the load, so no run pays for it.

    PostgreSQL: what autovacuum would soon do (VACUUM ANALYZE), then a checkpoint.
    SQLite: move the write-ahead log into the database file.
    """
    connection = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            connection.driver_connection.autocommit = True  # type: ignore[union-attr]
            statements = ["VACUUM ANALYZE", "CHECKPOINT"]
        else:
            statements = ["PRAGMA wal_checkpoint(TRUNCATE)"]
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()
    finally:
        connection.close()


def _ids(conn: Connection, model: Any, **where: Any) -> list[int]:
    table: Table = model.__table__
    conditions = [table.c[name] == value for name, value in where.items()]
    return list(conn.execute(select(table.c.id).where(*conditions)).scalars())


def _insert(conn: Connection, model: Any, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows`` through the model's table (its types bind the values) in one call."""
    now = utcnow()
    table: Table = model.__table__
    if "version" in table.c:
        rows = [{"version": 1, "created_at": now, "updated_at": now, **row} for row in rows]
    conn.execute(insert(table), rows)
    return len(rows)


def _organisations(conn: Connection) -> dict[str, int]:
    _insert(conn, Organisation, _rows.organisations())
    table = Organisation.__table__
    return dict(conn.execute(select(table.c.ref, table.c.id)).tuples().all())


def _programme(
    conn: Connection,
    org_ids: dict[str, int],
    manager_id: int,
    projects: int,
    per_project: int = 6,
    finances: bool = False,
) -> dict[str, int]:
    today = dt.datetime.now(dt.UTC).date()
    eur = Decimal(50_000)
    _insert(conn, Programme, [{
        "code": "BENCH", "title": "City-to-City Migration (benchmark programme)",
        "description": "", "currency": "EUR", "budget": eur * projects,
        "start_date": today - dt.timedelta(days=1100), "end_date": today + dt.timedelta(days=600),
        "managing_organisation_id": org_ids["PROG-OFFICE"],
    }])  # fmt: skip
    programme_id = _ids(conn, Programme, code="BENCH")[0]
    _insert(conn, ProgrammeFunder, [{
        "programme_id": programme_id, "organisation_id": org_ids["EU-NEAR"],
        "amount": eur * projects, "currency": "EUR",
    }])  # fmt: skip
    calls = []
    for n, opens in enumerate((-1000, -430), start=1):
        calls.append({
            "programme_id": programme_id, "code": f"BENCH-CALL-{n}",
            "title": f"Call {n} for Targeted City Actions", "currency": "EUR", "max_amount": eur,
            "opens_on": today + dt.timedelta(days=opens),
            "closes_on": today + dt.timedelta(days=opens + 60),
        })  # fmt: skip
    _insert(conn, Call, calls)
    call_ids = [_ids(conn, Call, code=call["code"])[0] for call in calls]
    _insert(conn, Objective, [
        {"call_id": call_id, "code": code, "title": f"Objective {code}"}
        for call_id in call_ids for code in "ABCD"
    ])  # fmt: skip
    objectives = {(call_id, code): _ids(conn, Objective, call_id=call_id, code=code)[0]
                  for call_id in call_ids for code in "ABCD"}  # fmt: skip

    plans = [_rows.project(n, calls, call_ids, org_ids, manager_id, today) for n in range(projects)]
    counts = {"projects": _insert(conn, Project, [row for row, _lead, _cso in plans])}
    project = Project.__table__
    project_ids: dict[str, int] = dict(
        conn.execute(select(project.c.reference, project.c.id)).tuples().all()
    )
    partners, links, milestones = [], [], []
    by_project: dict[int, list[dict[str, Any]]] = {}
    for row, lead, cso in plans:
        pid = project_ids[row["reference"]]
        partners.append({"project_id": pid, "organisation_id": lead, "role": PartnerRole.LEAD})
        partners.append(
            {"project_id": pid, "organisation_id": cso, "role": PartnerRole.CO_IMPLEMENTING}
        )
        for code in random.sample("ABCD", random.randint(1, 2)):
            links.append({"project_id": pid, "objective_id": objectives[row["call_id"], code]})
        by_project[pid] = _rows.milestones(pid, row, lead, cso, today, per_project)
        milestones.extend(by_project[pid])
    counts["partners"] = _insert(conn, ProjectPartner, partners)
    counts["project objectives"] = _insert(conn, ProjectObjective, links)
    counts["milestones"] = _insert(conn, Milestone, milestones)
    counts["overdue milestones"] = sum(
        m["due_date"] < today and m["status"] not in _rows.DONE for m in milestones
    )
    counts["organisations"] = conn.execute(select(func.count()).select_from(Organisation)).one()[0]
    if finances:
        leads = {project_ids[row["reference"]]: (row, lead) for row, lead, _cso in plans}
        counts |= _finances(conn, leads, by_project, today)
    return counts


def _keyed(conn: Connection, model: Any, key: str) -> dict[tuple[int, Any], int]:
    """Return the ids of a model's rows by (project id, ``key``)."""
    table: Table = model.__table__
    rows = conn.execute(select(table.c.project_id, table.c[key], table.c.id)).tuples()
    return {(project_id, value): ident for project_id, value, ident in rows}


def _finances(
    conn: Connection,
    projects: dict[int, tuple[dict[str, Any], int]],
    milestones: dict[int, list[dict[str, Any]]],
    today: dt.date,
) -> dict[str, int]:
    """Load what the reports show besides milestones; every row is the lead's."""
    counts = {"budget lines": _insert(conn, BudgetLine, [
        line
        for pid, (row, _lead) in projects.items()
        for line in _finance_rows.budget_lines(pid, row)
    ])}  # fmt: skip
    line_ids = _keyed(conn, BudgetLine, "code")
    expenses: list[dict[str, Any]] = []
    tranches: list[dict[str, Any]] = []
    gates: list[tuple[int, int, int]] = []
    indicators = {pid: _finance_rows.indicators(pid) for pid in projects}
    for pid, (row, lead) in projects.items():
        lines = {code: line_ids[pid, code] for code, *_rest in _finance_rows.BUDGET_SHARES}
        expenses.extend(_finance_rows.expenses(pid, row, lines, lead, today))
        made, gated = _finance_rows.tranches(pid, row, milestones[pid], today)
        tranches.extend(made)
        gates.extend((pid, tranche, milestone) for tranche, milestone in gated)
    counts["expenses"] = _insert(conn, Expense, expenses)
    counts["tranches"] = _insert(conn, Tranche, tranches)
    tranche_ids = _keyed(conn, Tranche, "position")
    milestone_ids = _keyed(conn, Milestone, "position")
    counts["tranche gates"] = _insert(conn, TrancheGate, [
        {"project_id": pid, "tranche_id": tranche_ids[pid, tranche],
         "milestone_id": milestone_ids[pid, milestone]}
        for pid, tranche, milestone in gates
    ])  # fmt: skip
    counts["indicators"] = _insert(
        conn, Indicator, [i for rows in indicators.values() for i in rows]
    )
    indicator_ids = _keyed(conn, Indicator, "code")
    values, updates = [], []
    for pid, (row, lead) in projects.items():
        ids = {code: indicator_ids[pid, code] for code, *_rest in _finance_rows.INDICATORS}
        values.extend(_finance_rows.indicator_values(pid, row, indicators[pid], ids, lead, today))
        updates.extend(_finance_rows.progress_updates(pid, row, lead, today))
    counts["indicator values"] = _insert(conn, IndicatorValue, values)
    counts["progress updates"] = _insert(conn, ProgressUpdate, updates)
    return counts
