"""Figures: the totals of a scope and one project's figures, as every page and report shows them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from grants.api.common import READ_ERRORS, Ident
from grants.api.deps import ApiPrincipal
from grants.http.deps import ReadDB, Today
from grants.models import Project, ProjectStatus
from grants.models.base import Day, Id
from grants.services import facts, scope

R = TypeVar("R", bound=BaseModel)
router = APIRouter(responses=READ_ERRORS)


class FiguresQuery(BaseModel):
    """Which projects to add up, and as of which day; every part left out means "any"."""

    programme_id: Id | None = None
    call_id: Id | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1.")
    organisation_id: Id | None = Field(default=None, description="A partner of the projects.")
    as_of: Day | None = Field(default=None, description="The day (default: today).")


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


def _read(model: type[R], found: object, **others: Any) -> R:
    """Return ``model`` filled from the figures' attributes of the same names, and ``others``."""
    named = {name: getattr(found, name) for name in model.model_fields if hasattr(found, name)}
    return model.model_validate(named | others)


def totals_read(totals: facts.Totals, as_of: dt.date) -> TotalsRead:
    """Return ``totals`` as the API writes them."""
    return _read(
        TotalsRead,
        totals,
        as_of=as_of,
        drafts_not_counted=totals.drafts,
        money=[_read(MoneyRead, money) for money in totals.money.values()],
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
    as_of: Annotated[Day | None, Query(description="The day (default: today).")] = None,
) -> ProjectFiguresRead:
    """Return one project's figures as of a day, and why it is at risk."""
    scope.get_visible(db, principal, Project, project_id)
    on = as_of or day
    found = facts.project_figures(db, on, [project_id])[project_id]
    return _read(ProjectFiguresRead, found, as_of=on, risks=list(found.reasons))
