"""Totals over projects, each saying what it counts, for a scope (programme, call, country...)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter

from sqlalchemy import ColumnElement, and_, true
from sqlalchemy.orm import Session
from sqlmodel import col, select

from grants.i18n import _, ngettext
from grants.models import Call, PartnerRole, Project, ProjectPartner
from grants.services.facts.projects import ProjectFigures, project_figures
from grants.services.facts.rules import COUNTED_STATES, PS, percent

ZERO = Decimal(0)


@dataclass(frozen=True)
class Money:
    """The money of the counted projects in one currency."""

    currency: str
    awarded: Decimal = ZERO
    co_financed: Decimal = ZERO
    disbursed: Decimal = ZERO
    spent: Decimal = ZERO
    budgeted: Decimal = ZERO
    releasable: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        """The awards not spent yet."""
        return self.awarded - self.spent

    @property
    def undisbursed(self) -> Decimal:
        """The awards not paid out yet."""
        return self.awarded - self.disbursed

    @property
    def pct_disbursed(self) -> Decimal:
        """The share of the awards paid out, in percent."""
        return percent(self.disbursed, self.awarded)

    @property
    def pct_spent(self) -> Decimal:
        """The share of the awards spent, in percent."""
        return percent(self.spent, self.awarded)

    @property
    def absorption_rate(self) -> Decimal:
        """The share of the money paid out that partners have spent, in percent."""
        return percent(self.spent, self.disbursed)


@dataclass(frozen=True)
class Totals:
    """The counted projects of a scope, added up; ``counts`` says which ones those are."""

    projects: int = 0
    drafts: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    countries: int = 0
    cities: int = 0
    money: dict[str, Money] = field(default_factory=dict)
    milestones: int = 0
    milestones_accepted: int = 0
    milestones_due: int = 0
    milestones_due_accepted: int = 0
    milestones_overdue: int = 0
    milestones_due_soon: int = 0
    milestones_completed_late: int = 0
    milestones_on_time: int = 0
    tranches_releasable: int = 0
    at_risk: int = 0

    @property
    def active(self) -> int:
        """How many counted projects are active."""
        return self.by_status.get(PS.ACTIVE.value, 0)

    @property
    def cancelled(self) -> int:
        """How many counted projects were cancelled."""
        return self.by_status.get(PS.CANCELLED.value, 0)

    def in_currency(self, currency: str) -> Money:
        """Return the money in ``currency`` (zeros when no project is in it)."""
        return self.money.get(currency, Money(currency))

    @property
    def pct_milestones_accepted(self) -> Decimal:
        """The share of the milestones accepted, in percent."""
        return percent(self.milestones_accepted, self.milestones)

    @property
    def completion_rate(self) -> Decimal:
        """The share of the milestones fallen due that were accepted, in percent."""
        return percent(self.milestones_due_accepted, self.milestones_due)

    @property
    def on_time_rate(self) -> Decimal:
        """The share of the accepted milestones that were submitted on time, in percent."""
        return percent(self.milestones_on_time, self.milestones_accepted)

    @property
    def counts(self) -> str:
        """What the totals count, in a donor's words: "14 projects; 2 drafts not counted"."""
        parts = [ngettext("{n} project", "{n} projects", self.projects).format(n=self.projects)]
        if self.cancelled:
            parts.append(
                ngettext(
                    "{n} of them cancelled, counted with what was paid to it",
                    "{n} of them cancelled, counted with what was paid to them",
                    self.cancelled,
                ).format(n=self.cancelled)
            )
        if self.drafts:
            parts.append(
                ngettext("{n} draft not counted", "{n} drafts not counted", self.drafts).format(
                    n=self.drafts
                )
            )
        return _("; ").join(parts)


MONEY_FIELDS = ("awarded", "co_financed", "disbursed", "spent", "budgeted", "releasable_amount")
COUNT_FIELDS = (
    "milestones",
    "milestones_accepted",
    "milestones_due",
    "milestones_due_accepted",
    "milestones_overdue",
    "milestones_due_soon",
    "milestones_completed_late",
    "milestones_on_time",
    "tranches_releasable",
)


def totals(figures: Iterable[ProjectFigures]) -> Totals:
    """Return the totals of the counted projects among ``figures``; drafts are only counted.

    Each figure is added up in one pass of C-level ``sum``/``map``: the dashboard adds up
    every managed project again after each change.
    """
    found = list(figures)
    counted = [f for f in found if f.status in COUNTED_STATES]
    by_currency: dict[str, list[ProjectFigures]] = defaultdict(list)
    for f in counted:
        by_currency[f.currency].append(f)
    places = set(map(attrgetter("country", "city"), counted))
    return Totals(
        projects=len(counted),
        drafts=len(found) - len(counted),
        by_status={
            status.value: n for status, n in Counter(map(attrgetter("status"), counted)).items()
        },
        countries=len({country for country, _city in places}),
        cities=len(places),
        money={
            currency: Money(
                currency, *(sum(map(attrgetter(name), group), ZERO) for name in MONEY_FIELDS)
            )
            for currency, group in sorted(by_currency.items())
        },
        at_risk=sum(map(bool, map(attrgetter("reasons"), counted))),
        **{name: sum(map(attrgetter(name), counted)) for name in COUNT_FIELDS},
    )


@dataclass(frozen=True)
class Scope:
    """Which projects a question is about; every part left out means "any"."""

    programme_id: int | None = None
    call_id: int | None = None
    country: str | None = None
    organisation_id: int | None = None  # a partner (lead, co-implementing or associated)

    def condition(self) -> ColumnElement[bool]:
        """Return the condition on Project rows of this scope."""
        conditions: list[ColumnElement[bool]] = []
        if self.programme_id is not None:
            calls = select(Call.id).where(col(Call.programme_id) == self.programme_id)
            conditions.append(col(Project.call_id).in_(calls))
        if self.call_id is not None:
            conditions.append(col(Project.call_id) == self.call_id)
        if self.country is not None:
            conditions.append(col(Project.country) == self.country)
        if self.organisation_id is not None:
            partnered = select(ProjectPartner.project_id).where(
                col(ProjectPartner.organisation_id) == self.organisation_id,
                col(ProjectPartner.role) != PartnerRole.FUNDER,
            )
            conditions.append(col(Project.id).in_(partnered))
        return and_(true(), *conditions)


def scope_project_ids(
    session: Session, seen: ColumnElement[bool], scope: Scope, *, counted_only: bool = False
) -> list[int]:
    """Return the ids of the projects of ``scope`` that ``seen`` lets through, by reference."""
    query = select(Project.id).where(seen, scope.condition())
    if counted_only:
        query = query.where(col(Project.status).in_(sorted(COUNTED_STATES)))
    return [int(pid) for pid in session.scalars(query.order_by(col(Project.reference)))]


def figures_in(
    session: Session, seen: ColumnElement[bool], as_of: dt.date, scope: Scope
) -> list[ProjectFigures]:
    """Return the figures, by reference, of the projects of ``scope`` that ``seen`` lets
    through (``scope.project_condition(principal)``: those a principal may see)."""
    ids = scope_project_ids(session, seen, scope)
    found = project_figures(session, as_of, ids)
    return [found[pid] for pid in ids]
