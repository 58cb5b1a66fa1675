"""What the IATI and 360Giving publications say about each project, read in a few queries.

Everything is read as of a date: a payment counts from its payment date, an expense from the
day it was spent, an indicator value once its period has ended, an actual date once reached.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, col, select

from grants.models import (
    Call,
    Expense,
    Indicator,
    IndicatorValue,
    Organisation,
    PartnerRole,
    Programme,
    ProgrammeFunder,
    Project,
    ProjectPartner,
    ProjectSector,
    Tranche,
    TrancheStatus,
)
from grants.services import facts as facts_
from grants.services import scope
from grants.services.access import Principal
from grants.services.facts import ProjectFigures


@dataclass
class IndicatorFacts:
    """An indicator with the values reported for periods ended by the as-of date."""

    indicator: Indicator
    values: list[IndicatorValue] = field(default_factory=list)


@dataclass
class ProjectFacts:
    """One project and what a publication says about it."""

    project: Project
    call: Call
    programme: Programme
    manager: Organisation
    figures: ProjectFigures | None = None
    funders: list[Organisation] = field(default_factory=list)
    partners: list[tuple[Organisation, PartnerRole]] = field(default_factory=list)
    sectors: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    payments: list[Tranche] = field(default_factory=list)
    monthly_spending: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    indicators: list[IndicatorFacts] = field(default_factory=list)

    @property
    def lead(self) -> Organisation | None:
        """The lead grantee."""
        return next((org for org, role in self.partners if role == PartnerRole.LEAD), None)

    def actual_start(self, as_of: dt.date) -> dt.date | None:
        """The actual start, if reached by ``as_of``."""
        start = self.project.actual_start
        return start if start is not None and start <= as_of else None

    def actual_end(self, as_of: dt.date) -> dt.date | None:
        """The actual end, if reached by ``as_of`` (only closed projects have one)."""
        end = self.project.actual_end
        return end if end is not None and end <= as_of else None


def _by_project(session: Session, principal: Principal) -> dict[int, ProjectFacts]:
    rows = session.exec(
        select(Project, Call, Programme, Organisation)
        .join(Call, col(Call.id) == col(Project.call_id))
        .join(Programme, col(Programme.id) == col(Call.programme_id))
        .join(Organisation, col(Organisation.id) == col(Programme.managing_organisation_id))
        .where(col(Project.id).in_(scope.visible_project_ids(principal)))
        .where(col(Project.status).in_(sorted(facts_.COUNTED_STATES)))
        .order_by(col(Project.reference))
    ).all()
    return {p.id: ProjectFacts(p, c, prog, org) for p, c, prog, org in rows}


def project_facts(session: Session, principal: Principal, as_of: dt.date) -> list[ProjectFacts]:
    """Return the facts of every visible project counted in totals, by reference."""
    facts = _by_project(session, principal)
    ids = list(facts)
    if not ids:
        return []
    _add_funders(session, facts)
    for project_id, figures in facts_.project_figures(session, as_of, ids).items():
        facts[project_id].figures = figures
    for project_id, org, role in session.exec(
        select(ProjectPartner.project_id, Organisation, ProjectPartner.role)
        .join(Organisation, col(Organisation.id) == col(ProjectPartner.organisation_id))
        .where(col(ProjectPartner.project_id).in_(ids))
        .order_by(col(ProjectPartner.role) != PartnerRole.LEAD, col(Organisation.ref))
    ):
        facts[project_id].partners.append((org, PartnerRole(role)))
    for sector in session.exec(
        select(ProjectSector)
        .where(col(ProjectSector.project_id).in_(ids))
        .order_by(col(ProjectSector.code))
    ):
        facts[sector.project_id].sectors.setdefault(sector.vocabulary, {})[sector.code] = (
            sector.percentage
        )
    for tranche in session.exec(
        select(Tranche)
        .where(col(Tranche.project_id).in_(ids), Tranche.status == TrancheStatus.PAID)
        .where(col(Tranche.paid_on) <= as_of)
        .order_by(col(Tranche.paid_on), col(Tranche.position))
    ):
        facts[tranche.project_id].payments.append(tranche)
    _add_spending(session, facts, as_of)
    _add_indicators(session, facts, as_of)
    return list(facts.values())


def _add_funders(session: Session, facts: dict[int, ProjectFacts]) -> None:
    programme_ids = {f.programme.id for f in facts.values()}
    funders: dict[int, list[Organisation]] = defaultdict(list)
    for programme_id, org in session.exec(
        select(ProgrammeFunder.programme_id, Organisation)
        .join(Organisation, col(Organisation.id) == col(ProgrammeFunder.organisation_id))
        .where(col(ProgrammeFunder.programme_id).in_(programme_ids))
        .order_by(col(Organisation.ref))
    ):
        funders[programme_id].append(org)
    for fact in facts.values():
        fact.funders = funders[fact.programme.id]


def _add_spending(session: Session, facts: dict[int, ProjectFacts], as_of: dt.date) -> None:
    """Sum expenses per project and calendar month, dated by the month's last expense."""
    months: dict[int, dict[tuple[int, int], tuple[dt.date, Decimal]]] = defaultdict(dict)
    for project_id, spent_on, amount in session.exec(
        select(Expense.project_id, col(Expense.spent_on), col(Expense.amount))
        .where(col(Expense.project_id).in_(list(facts)), col(Expense.spent_on) <= as_of)
        .order_by(col(Expense.spent_on))
    ):
        month = (spent_on.year, spent_on.month)
        _last, total = months[project_id].get(month, (spent_on, Decimal(0)))
        months[project_id][month] = (spent_on, total + amount)
    for project_id, by_month in months.items():
        facts[project_id].monthly_spending = list(by_month.values())


def _add_indicators(session: Session, facts: dict[int, ProjectFacts], as_of: dt.date) -> None:
    by_id: dict[int, IndicatorFacts] = {}
    for indicator in session.exec(
        select(Indicator)
        .where(col(Indicator.project_id).in_(list(facts)))
        .order_by(col(Indicator.code))
    ):
        by_id[indicator.id] = IndicatorFacts(indicator)
        facts[indicator.project_id].indicators.append(by_id[indicator.id])
    for value in session.exec(
        select(IndicatorValue)
        .where(
            col(IndicatorValue.project_id).in_(list(facts)), col(IndicatorValue.period_end) <= as_of
        )
        .order_by(col(IndicatorValue.period_end))
    ):
        by_id[value.indicator_id].values.append(value)
