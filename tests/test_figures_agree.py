"""Every surface shows the same figures, and they are the figures plain SQL finds.

For the demo programme, and then for the demo with a randomly generated set of projects added,
each figure is computed here from the tables with plain SQL and the rules the README states
(no code of the product's own), and read back from the dashboard, the donor's report room, the
project list, its CSV download, the API (as a manager and as a donor) and the text of the
portfolio PDF. The random set's seed is printed when an assertion fails; set
``GRANTS_TEST_SEED`` to replay it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import lxml.html
import pypdf
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlmodel import select

from grants import db
from grants.i18n import format_money
from grants.models import (
    BudgetLineCreate,
    OverallStatus,
    Programme,
)
from grants.services import budgets, milestones, progress, projects, tranches
from grants.services.access import SYSTEM
from tests import factories
from tests.conftest import Browsers, Demo
from tests.helpers import DONOR, MANAGER, TODAY, api

SEED = int(os.environ.get("GRANTS_TEST_SEED") or random.randrange(1_000_000))
OPEN = ("planned", "in_progress", "returned")
DUE_SOON_DAYS = 30
QUIET_DAYS = 90


@dataclass(frozen=True)
class Expected:
    """The figures of the demo programme, as plain SQL and the stated rules find them."""

    projects: int
    drafts: int
    awarded: Decimal
    co_financed: Decimal
    disbursed: Decimal
    spent: Decimal
    milestones: int
    accepted: int
    overdue: int
    due_soon: int
    completed_late: int
    releasable: int
    at_risk: int


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def _money(engine: Engine, value: Any) -> Decimal:
    """A stored amount: SQLite keeps ten-thousandths as an integer, PostgreSQL a numeric."""
    if value is None:
        return Decimal(0)
    return Decimal(value) / 10_000 if engine.dialect.name == "sqlite" else Decimal(value)


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def expected(engine: Engine, programme_id: int) -> Expected:
    """Compute every figure of the programme with plain SQL (amounts summed here)."""
    projects_ = {
        row.id: row
        for row in _rows(
            engine,
            "SELECT p.id, p.status, p.status_reason, p.awarded_amount, p.planned_start,"
            " p.planned_end, p.actual_start, p.actual_end, p.currency"
            " FROM project p JOIN call c ON c.id = p.call_id"
            " WHERE c.programme_id = :programme AND p.status <> 'draft'",
            programme=programme_id,
        )
    }
    ids = set(projects_)

    def per_project(sql: str) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = {}
        for pid, amount in _rows(engine, sql, today=TODAY):
            totals[pid] = totals.get(pid, Decimal(0)) + _money(engine, amount)
        return totals

    paid = per_project(
        "SELECT project_id, paid_amount FROM tranche WHERE status = 'paid' AND paid_on <= :today"
    )
    spent = per_project("SELECT project_id, amount FROM expense WHERE spent_on <= :today")
    co = per_project(
        "SELECT f.project_id, f.amount FROM co_financing f"
        " JOIN project p ON p.id = f.project_id WHERE f.currency = p.currency"
    )
    milestones_ = [
        m
        for m in _rows(engine, "SELECT project_id, status, due_date, submitted_on FROM milestone")
        if m.project_id in ids and m.status != "cancelled"
    ]
    releasable = _rows(
        engine,
        "SELECT t.project_id FROM tranche t JOIN project p ON p.id = t.project_id"
        " WHERE t.status = 'scheduled' AND p.status IN ('active', 'finalising')"
        " AND NOT EXISTS (SELECT 1 FROM tranche_gate g JOIN milestone m ON m.id = g.milestone_id"
        "  WHERE g.tranche_id = t.id AND m.status <> 'accepted')",
    )
    awarded = {
        pid: paid.get(pid, Decimal(0))
        if p.status == "cancelled"
        else _money(engine, p.awarded_amount)
        for pid, p in projects_.items()
    }
    horizon = TODAY + dt.timedelta(days=DUE_SOON_DAYS)
    return Expected(
        projects=len(ids),
        drafts=len(
            _rows(
                engine,
                "SELECT p.id FROM project p JOIN call c ON c.id = p.call_id"
                " WHERE c.programme_id = :programme AND p.status = 'draft'",
                programme=programme_id,
            )
        ),
        awarded=sum(awarded.values(), Decimal(0)),
        co_financed=sum((v for pid, v in co.items() if pid in ids), Decimal(0)),
        disbursed=sum((v for pid, v in paid.items() if pid in ids), Decimal(0)),
        spent=sum((v for pid, v in spent.items() if pid in ids), Decimal(0)),
        milestones=len(milestones_),
        accepted=sum(m.status == "accepted" for m in milestones_),
        overdue=sum(m.status in OPEN and _day(m.due_date) < TODAY for m in milestones_),
        due_soon=sum(
            m.status in OPEN and TODAY <= _day(m.due_date) <= horizon for m in milestones_
        ),
        completed_late=sum(
            m.status == "accepted" and _day(m.submitted_on) > _day(m.due_date) for m in milestones_
        ),
        releasable=sum(1 for row in releasable if row.project_id in ids),
        at_risk=_at_risk(engine, projects_, milestones_, awarded, spent),
    )


def _at_risk(
    engine: Engine,
    projects_: dict[int, Any],
    milestones_: list[Any],
    awarded: dict[int, Decimal],
    spent: dict[int, Decimal],
) -> int:
    """Count the running projects at risk by the rules the README states."""
    latest: dict[int, tuple[dt.date, str]] = {}
    for pid, on, status in _rows(
        engine,
        "SELECT project_id, submitted_on, overall_status FROM progress_update"
        " WHERE submitted_on IS NOT NULL AND submitted_on <= :today ORDER BY submitted_on, id",
        today=TODAY,
    ):
        latest[pid] = (_day(on), status)  # type: ignore[assignment]
    count = 0
    for pid, p in projects_.items():
        if p.status not in ("active", "finalising", "suspended"):
            continue
        mine = [m for m in milestones_ if m.project_id == pid]
        late = [(TODAY - _day(m.due_date)).days for m in mine if m.status in OPEN]
        done = sum(m.status == "accepted" for m in mine)
        start, end = _day(p.actual_start) or _day(p.planned_start), _day(p.planned_end)
        elapsed = min(100.0, max(0.0, 100 * (TODAY - start).days / (end - start).days))
        last = latest.get(pid)
        quiet = (TODAY - (last[0] if last else start)).days
        flags = [
            p.status == "suspended",
            max(late, default=0) > 30,
            bool(last) and last[1] in ("at_risk", "off_track"),
            bool(mine) and round(elapsed, 1) - round(100 * done / len(mine), 1) > 30,
            spent.get(pid, Decimal(0)) > awarded[pid],
            p.status != "suspended" and quiet > QUIET_DAYS,
        ]
        count += any(flags)
    return count


# Reading the surfaces


def _text(html: str) -> str:
    return " ".join(lxml.html.fromstring(html).text_content().split())


def _kpi(html: str, label: str) -> int:
    """The number shown beside a key figure whose label starts with ``label``."""
    for item in lxml.html.fromstring(html).xpath("//ul[contains(@class, 'kpis')]/li"):
        value, name = (" ".join(span.text_content().split()) for span in item.xpath("span"))
        if name.startswith(label):
            return int(value)
    raise AssertionError(f"no key figure labelled {label!r}")


def _dd(html: str, term: str) -> str:
    """The text beside ``term`` in a definition list."""
    for dt_ in lxml.html.fromstring(html).xpath("//dt"):
        if " ".join(dt_.text_content().split()) == term:
            return " ".join(dt_.getnext().text_content().split())
    raise AssertionError(f"no figure named {term!r}")


def _eur(amount: Decimal) -> str:
    return format_money(amount, "EUR")


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def check_every_surface(app: FastAPI, demo: Demo, browsers: Browsers, why: str) -> None:
    """Assert that each surface shows the figures plain SQL finds for the demo programme."""
    with db.read_session(demo.engine) as session:
        programme = session.exec(select(Programme).where(Programme.code == "MC2CM")).one()
    want = expected(demo.engine, programme.id)
    counted = f"{want.projects} projects"

    page = browsers[MANAGER].get("/").text
    assert counted in _text(page), why
    assert _dd(page, "Awarded") == _eur(want.awarded), why
    assert _dd(page, "Co-financed") == _eur(want.co_financed), why
    assert _dd(page, "Disbursed") == _eur(want.disbursed), why
    assert _dd(page, "Spent (reported by partners)") == _eur(want.spent), why
    assert _kpi(page, "milestones overdue") == want.overdue, why
    assert _kpi(page, "due in 30 days") == want.due_soon, why
    assert _kpi(page, "tranches to release") == want.releasable, why
    assert _kpi(page, "projects at risk") == want.at_risk, why

    room = browsers[DONOR].get("/donor").text
    assert f"The totals count {counted}" in _text(room), why
    assert _kpi(room, "projects") == want.projects, why
    assert _kpi(room, "milestones overdue") == want.overdue, why
    assert _kpi(room, "projects at risk") == want.at_risk, why
    assert _dd(room, "Awarded") == _eur(want.awarded), why
    assert _dd(room, "Co-financed") == _eur(want.co_financed), why
    assert _dd(room, "Disbursed").startswith(_eur(want.disbursed)), why
    assert _dd(room, "Spent (reported by partners)").startswith(_eur(want.spent)), why
    drafts = [
        r.reference
        for r in _rows(demo.engine, "SELECT reference FROM project WHERE status = 'draft'")
    ]
    assert drafts, "the data set has drafts, which no donor may see"
    shown = _text(room)
    assert not [ref for ref in drafts if re.search(rf"\b{re.escape(ref)}\b", shown)], why

    listed = _text(browsers[MANAGER].get("/projects").text)
    assert f"The matching projects: {counted}" in listed, why
    assert f"awarded {_eur(want.awarded)}." in listed, why

    download = browsers[MANAGER].get("/projects.csv")
    rows = [r for r in csv.DictReader(io.StringIO(download.text)) if r["Status"] != "draft"]
    assert len(rows) == want.projects, why

    def column(name: str) -> Decimal:
        return sum((Decimal(r[name] or 0) for r in rows), Decimal(0))

    assert column("Awarded (as totals count it)") == want.awarded, why
    assert column("Disbursed") == want.disbursed, why
    assert column("Spent") == want.spent, why
    assert column("Milestones overdue") == want.overdue, why

    for holder in (MANAGER, DONOR):
        answer = api(app, demo.tokens[holder]).get(f"/api/v1/figures?programme_id={programme.id}")
        assert answer.status_code == 200, answer.text
        got = answer.json()
        (money,) = got["money"]
        assert got["projects"] == want.projects, why
        # Managers are told how many drafts the totals leave out; donors never see drafts.
        assert got["drafts_not_counted"] == (want.drafts if holder == MANAGER else 0), why
        assert Decimal(money["awarded"]) == want.awarded, why
        assert Decimal(money["co_financed"]) == want.co_financed, why
        assert Decimal(money["disbursed"]) == want.disbursed, why
        assert Decimal(money["spent"]) == want.spent, why
        assert got["milestones"] == want.milestones, why
        assert got["milestones_accepted"] == want.accepted, why
        assert got["milestones_overdue"] == want.overdue, why
        assert got["milestones_due_soon"] == want.due_soon, why
        assert got["milestones_completed_late"] == want.completed_late, why
        assert got["tranches_releasable"] == want.releasable, why
        assert got["projects_at_risk"] == want.at_risk, why

    pdf = api(app, demo.tokens[DONOR]).get(f"/api/v1/programmes/{programme.id}/report")
    assert pdf.status_code == 200, pdf.text
    printed = _pdf_text(pdf.content)
    assert f"The totals count {counted}" in printed, why
    for amount in (want.awarded, want.co_financed, want.disbursed, want.spent):
        assert _eur(amount) in printed, why
    assert re.search(rf"\b{want.overdue} Milestones overdue", printed), why
    assert re.search(rf"\b{want.at_risk} Projects at risk", printed), why


def test_the_demo_shows_the_same_figures_everywhere(
    app: FastAPI, demo: Demo, browsers: Browsers
) -> None:
    check_every_surface(app, demo, browsers, "the demo")


def test_a_random_portfolio_shows_the_same_figures_everywhere(
    app: FastAPI, demo: Demo, browsers: Browsers
) -> None:
    rng = random.Random(SEED)
    with db.write_session(demo.engine) as session:
        programme = session.exec(select(Programme).where(Programme.code == "MC2CM")).one()
        for n in range(rng.randint(8, 14)):
            _random_project(session, programme, rng, n)
    check_every_surface(app, demo, browsers, f"the random portfolio of seed {SEED}")


def _random_project(session: Any, programme: Programme, rng: random.Random, n: int) -> None:
    """A project of the demo programme in a random state, with random delivery and money."""
    award = Decimal(rng.randrange(20_000, 50_001, 500))
    start = max(programme.start_date, TODAY - dt.timedelta(days=rng.randint(-60, 500)))
    length = min(rng.randint(200, 700), (programme.end_date - start).days)
    project = factories.project(
        session,
        programme_=programme,
        reference=f"RND-{SEED}-{n}",
        title=f"Random action {n} (fictional)",
        country=rng.choice(["TN", "JO", "MA", "LB"]),
        city=rng.choice(["Sfax", "Zarqa", "Oujda", "Saida"]),
        awarded_amount=award,
        planned_start=start,
        planned_end=start + dt.timedelta(days=length),
    )
    due = [start + dt.timedelta(days=rng.randint(10, length)) for _ in range(rng.randint(1, 5))]
    steps = [
        factories.milestone(session, project, title=f"Step {i}", due_date=d)
        for i, d in enumerate(due)
    ]
    first = factories.tranche(session, project, str(award * Decimal("0.6")))
    factories.tranche(session, project, str(award * Decimal("0.4")), steps[:1])
    if rng.random() < 0.5:
        projects.add_co_financing(
            session,
            SYSTEM,
            project,
            factories.lead_of(session, project),
            Decimal(rng.randrange(1_000, 10_000)),
            rng.choice(["EUR", "EUR", "USD"]),
        )
    fate = rng.choice(
        ["draft", "contracting", "active", "active", "active", "suspended", "cancelled"]
    )
    if fate == "draft":
        return
    projects.advance_project(session, SYSTEM, project, "start_contracting", today=min(start, TODAY))
    if fate == "contracting":
        return
    projects.advance_project(session, SYSTEM, project, "activate", today=min(start, TODAY))
    if rng.random() < 0.7:
        tranches.advance_tranche(session, SYSTEM, first, "approve", today=TODAY)
        tranches.advance_tranche(session, SYSTEM, first, "pay", today=TODAY)
    for step in steps:
        path = rng.choice(
            [[], ["start"], ["submit"], ["submit", "accept"], ["submit", "return"], ["cancel"]]
        )
        for name in path:
            reason = "Not enough" if name in {"return", "cancel"} else None
            milestones.advance_milestone(session, SYSTEM, step, name, today=TODAY, reason=reason)
    line = budgets.add_budget_line(
        session,
        SYSTEM,
        project,
        BudgetLineCreate(
            code="1.1", category="staff", description="Staff", amount=award, currency="EUR"
        ),
    )
    since = min(100, (TODAY - (project.actual_start or TODAY)).days)
    for _ in range(rng.randint(0, 4)):
        factories.expense(
            session,
            project,
            line,
            Decimal(rng.randrange(100, 20_000)),
            TODAY - dt.timedelta(days=rng.randint(0, since)),
            today=TODAY,
        )
    begun = max(project.actual_start or TODAY, project.planned_start)
    if begun <= TODAY and rng.random() < 0.5:
        update = factories.progress_update(
            session, project, today=TODAY, period_start=begun, period_end=TODAY
        )
        update.overall_status = rng.choice(list(OverallStatus))
        progress.advance_update(session, SYSTEM, update, "submit", today=TODAY)
    if fate == "suspended":
        projects.advance_project(
            session, SYSTEM, project, "suspend", today=TODAY, reason="Elections"
        )
    elif fate == "cancelled":
        projects.advance_project(
            session, SYSTEM, project, "cancel", today=TODAY, reason="No partner"
        )
