"""The grant manager's dashboard: key figures and the lists that need attention today.

The page reads the figures, the risks and the first items of each list from the per-process
snapshot (``grants.services.snapshot``), which follows every write; the downloads read the
whole lists from the tables, one or two queries each, whatever the number of projects.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session

from grants.services import access, facts, snapshot, worklist
from grants.services.access import (
    Principal,
    managed_project_condition,
)

PANEL_ROWS = 10


@dataclass(frozen=True)
class Rows:
    """Some rows of a list (as mappings) and how many rows the whole list has."""

    items: list[dict[str, Any]]
    total: int


def _rows(session: Session, query: Any, limit: int | None) -> Rows:
    """Return up to ``limit`` rows of ``query`` (all when None) and the count of all."""
    if limit is None:
        items = [dict(row._mapping) for row in session.execute(query)]
        return Rows(items, len(items))
    total = session.execute(
        query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    ).scalar_one()
    items = [dict(row._mapping) for row in session.execute(query.limit(limit))]
    return Rows(items, int(total))


def work(
    session: Session, principal: Principal, kind: str, today: dt.date, limit: int | None
) -> Rows:
    """Return the first ``limit`` items of one list (see ``worklist``), read from the tables."""
    found = _rows(session, worklist.query(kind, today, managed_project_condition(principal)), limit)
    for row in found.items:
        worklist.annotate(kind, row, today)
    return found


def managed_calls(session: Session, principal: Principal) -> set[int] | None:
    """Return the calls of the programmes the principal manages (None: every call)."""
    if principal.is_admin:
        return None
    found = session.exec(access.managed_calls_select(principal)).all()
    return {int(call_id) for call_id in found if call_id is not None}


def managed_facts(
    session: Session, principal: Principal, today: dt.date
) -> list[snapshot.ProjectFacts]:
    """Return the figures, risks and waiting items of every project the principal manages."""
    calls = managed_calls(session, principal)
    known = snapshot.current(session, today).projects.values()
    return [found for found in known if calls is None or found.call_id in calls]


def at_risk_of(managed: list[snapshot.ProjectFacts]) -> list[snapshot.ProjectFacts]:
    """Return the projects of ``managed`` at risk, by reference."""
    return sorted((found for found in managed if found.reasons), key=lambda f: f.reference)


def projects_at_risk(
    session: Session, principal: Principal, today: dt.date
) -> list[snapshot.ProjectFacts]:
    """Return the managed projects at risk, by reference, each with its reasons."""
    return at_risk_of(managed_facts(session, principal, today))


def _first(items: list[dict[str, Any]], kind: str, limit: int) -> Rows:
    first = heapq.nsmallest(limit, items, key=worklist.ORDER[kind])
    return Rows([dict(item) for item in first], len(items))


@dataclass(frozen=True)
class Overview:
    """What the dashboard shows: figures, the first projects at risk, the first of each list."""

    figures: facts.Totals
    at_risk: list[snapshot.ProjectFacts]
    at_risk_total: int
    lists: dict[str, Rows]


def overview(session: Session, principal: Principal, today: dt.date) -> Overview:
    """Return the dashboard of the projects the principal manages, from the snapshot."""
    managed = managed_facts(session, principal, today)
    at_risk = at_risk_of(managed)
    waiting: dict[str, list[dict[str, Any]]] = {kind: [] for kind in worklist.KINDS}
    for found in managed:
        for kind, items in found.worklist.items():
            waiting[kind].extend(items)
    return Overview(
        figures=facts.totals(found.figures for found in managed),
        at_risk=at_risk[:PANEL_ROWS],
        at_risk_total=len(at_risk),
        lists={kind: _first(items, kind, PANEL_ROWS) for kind, items in waiting.items()},
    )


def scope_key(principal: Principal) -> tuple[bool, tuple[int, ...]]:
    """Return what the dashboard's answers depend on of the principal: whose projects."""
    return principal.is_admin, tuple(sorted(principal.manager_org_ids))
