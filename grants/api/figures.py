"""Figures: the totals of a scope and one project's figures, as every page and report shows them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from grants.api.common import READ_ERRORS, Ident
from grants.api.deps import ApiPrincipal
from grants.http.deps import ReadDB, Today
from grants.models import Project, ProjectStatus
from grants.services import facts, scope
from grants.services.listing import Id

router = APIRouter(responses=READ_ERRORS)


class FiguresQuery(BaseModel):
    """Which projects to add up, and as of which day; every part left out means "any"."""

    programme_id: Id | None = None
    call_id: Id | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1.")
    organisation_id: Id | None = Field(default=None, description="A partner of the projects.")
    as_of: dt.date | None = Field(default=None, description="The day (default: today).")


class MoneyRead(BaseModel):
    """The money of the counted projects in one currency."""

    currency: str
    awarded: Decimal
    co_financed: Decimal
    disbursed: Decimal
    spent: Decimal
    remaining: Decimal
    budgeted: Decimal
    releasable: Decimal
    pct_disbursed: Decimal
    pct_spent: Decimal


class TotalsRead(BaseModel):
    """The counted projects of a scope, added up; ``counts`` says which ones those are."""

    as_of: dt.date
    counts: str
    projects: int
    drafts_not_counted: int
    by_status: dict[str, int]
    countries: int
    cities: int
    money: list[MoneyRead]
    milestones: int
    milestones_accepted: int
    milestones_due: int
    milestones_overdue: int
    milestones_due_soon: int
    milestones_completed_late: int
    completion_rate: Decimal
    on_time_rate: Decimal
    tranches_releasable: int
    projects_at_risk: int


class ProjectFiguresRead(BaseModel):
    """One project's figures as of a day, and why it is at risk."""

    project_id: int
    reference: str
    as_of: dt.date
    status: ProjectStatus
    counted: bool
    currency: str
    contract_award: Decimal
    awarded: Decimal
    co_financed: Decimal
    disbursed: Decimal
    spent: Decimal
    remaining: Decimal
    milestones: int
    milestones_accepted: int
    milestones_due: int
    milestones_overdue: int
    milestones_due_soon: int
    milestones_completed_late: int
    tranches_releasable: int
    pct_time_elapsed: Decimal
    risks: list[str]


def _money(money: facts.Money) -> MoneyRead:
    return MoneyRead(
        currency=money.currency,
        awarded=money.awarded,
        co_financed=money.co_financed,
        disbursed=money.disbursed,
        spent=money.spent,
        remaining=money.remaining,
        budgeted=money.budgeted,
        releasable=money.releasable,
        pct_disbursed=money.pct_disbursed,
        pct_spent=money.pct_spent,
    )


def totals_read(totals: facts.Totals, as_of: dt.date) -> TotalsRead:
    """Return ``totals`` as the API writes them."""
    return TotalsRead(
        as_of=as_of,
        counts=totals.counts,
        projects=totals.projects,
        drafts_not_counted=totals.drafts,
        by_status=totals.by_status,
        countries=totals.countries,
        cities=totals.cities,
        money=[_money(money) for money in totals.money.values()],
        milestones=totals.milestones,
        milestones_accepted=totals.milestones_accepted,
        milestones_due=totals.milestones_due,
        milestones_overdue=totals.milestones_overdue,
        milestones_due_soon=totals.milestones_due_soon,
        milestones_completed_late=totals.milestones_completed_late,
        completion_rate=totals.completion_rate,
        on_time_rate=totals.on_time_rate,
        tranches_releasable=totals.tranches_releasable,
        projects_at_risk=totals.at_risk,
    )


@router.get("/figures", response_model=TotalsRead)
def get_totals(
    principal: ApiPrincipal, db: ReadDB, day: Today, query: Annotated[FiguresQuery, Query()]
) -> TotalsRead:
    """Return the totals of the projects you may see in a programme, call, country or partner."""
    as_of = query.as_of or day
    chosen = facts.Scope(
        programme_id=query.programme_id,
        call_id=query.call_id,
        country=query.country,
        organisation_id=query.organisation_id,
    )
    found = facts.figures_in(db, scope.project_condition(principal), as_of, chosen)
    return totals_read(facts.totals(found), as_of)


@router.get("/projects/{project_id}/figures", response_model=ProjectFiguresRead)
def get_project_figures(
    project_id: Ident,
    principal: ApiPrincipal,
    db: ReadDB,
    day: Today,
    as_of: Annotated[dt.date | None, Query(description="The day (default: today).")] = None,
) -> ProjectFiguresRead:
    """Return one project's figures as of a day, and why it is at risk."""
    scope.get_visible(db, principal, Project, project_id)
    on = as_of or day
    found = facts.project_figures(db, on, [project_id])[project_id]
    return ProjectFiguresRead(
        project_id=found.project_id,
        reference=found.reference,
        as_of=on,
        status=found.status,
        counted=found.counted,
        currency=found.currency,
        contract_award=found.contract_award,
        awarded=found.awarded,
        co_financed=found.co_financed,
        disbursed=found.disbursed,
        spent=found.spent,
        remaining=found.remaining,
        milestones=found.milestones,
        milestones_accepted=found.milestones_accepted,
        milestones_due=found.milestones_due,
        milestones_overdue=found.milestones_overdue,
        milestones_due_soon=found.milestones_due_soon,
        milestones_completed_late=found.milestones_completed_late,
        tranches_releasable=found.tranches_releasable,
        pct_time_elapsed=found.pct_time_elapsed,
        risks=list(found.reasons),
    )
