"""Milestones and payment tranches: lists, one object, creation, edits and workflow steps."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from grants.api.cache import cached_read
from grants.api.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    Ident,
    IfMatch,
    OptionalIfMatch,
    Page,
    add_steps,
    matching,
    one,
    page_of,
    reason_step,
)
from grants.api.deps import ApiPrincipal
from grants.api.schemas import (
    MilestoneIn,
    MilestoneOut,
    MilestonePatch,
    PaymentIn,
    ReasonIn,
    ReplanIn,
    TrancheIn,
    TranchePatch,
)
from grants.http.deps import ReadDB, Today, WriteDB
from grants.models import Milestone, Project, Tranche, TrancheRead
from grants.services import milestones, scope, search, tranches
from grants.services.access import Principal
from grants.services.workflow import MILESTONE, TRANCHE

router = APIRouter(responses=READ_ERRORS)


@router.get("/milestones", response_model=Page[MilestoneOut])
@cached_read
def list_milestones(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    day: Today,
    filters: Annotated[search.MilestoneFilters, Query()],
) -> Response:
    """List milestones of the projects you see: overdue, due in a window, by status..."""
    rows = search.milestones(db, principal, filters, day)
    return page_of(request, rows, MilestoneOut)


@router.get("/milestones/{milestone_id}", response_model=MilestoneOut)
@cached_read
def get_milestone(
    request: Request, response: Response, milestone_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one milestone."""
    milestone = scope.get_visible(db, principal, Milestone, milestone_id)
    return one(request, response, milestone, MilestoneOut)


@router.post(
    "/projects/{project_id}/milestones",
    response_model=MilestoneOut,
    status_code=201,
    responses=WRITE_ERRORS,
)
def create_milestone(
    request: Request,
    response: Response,
    project_id: Ident,
    body: MilestoneIn,
    principal: ApiPrincipal,
    db: WriteDB,
) -> Response:
    """Add a milestone at the end of the project's list (its grant manager)."""
    project = scope.get_visible(db, principal, Project, project_id)
    milestone = milestones.add_milestone(db, principal, project, body)
    return one(request, response, milestone, MilestoneOut)


@router.patch("/milestones/{milestone_id}", response_model=MilestoneOut, responses=WRITE_ERRORS)
def patch_milestone(
    request: Request,
    response: Response,
    milestone_id: Ident,
    body: MilestonePatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
) -> Response:
    """Change an open milestone (its grant manager); a due date set here becomes the baseline
    until the milestone is re-planned."""
    milestone = scope.get_visible(db, principal, Milestone, milestone_id)
    version = matching(milestone, MilestoneOut, if_match)
    milestone = milestones.update_milestone(db, principal, milestone, body, version)
    return one(request, response, milestone, MilestoneOut)


@router.post(
    "/milestones/{milestone_id}/replan", response_model=MilestoneOut, responses=WRITE_ERRORS
)
def replan_milestone(
    request: Request,
    response: Response,
    milestone_id: Ident,
    body: ReplanIn,
    principal: ApiPrincipal,
    db: WriteDB,
    expected: OptionalIfMatch,
) -> Response:
    """Move an open milestone's due date with a reason, keeping its baseline date."""
    milestone = scope.get_visible(db, principal, Milestone, milestone_id)
    version = matching(milestone, MilestoneOut, expected)
    milestone = milestones.replan_milestone(
        db, principal, milestone, body.due_date, body.reason, expected_version=version
    )
    return one(request, response, milestone, MilestoneOut)


add_steps(
    router,
    workflow=MILESTONE,
    path="milestones",
    model=Milestone,
    read=MilestoneOut,
    take=reason_step(milestones.advance_milestone),
)


@router.get("/tranches", response_model=Page[TrancheRead])
@cached_read
def list_tranches(
    request: Request,
    principal: ApiPrincipal,
    db: ReadDB,
    filters: Annotated[search.TrancheFilters, Query()],
) -> Response:
    """List payment tranches of the projects you see."""
    return page_of(request, search.tranches(db, principal, filters), TrancheRead)


@router.get("/tranches/{tranche_id}", response_model=TrancheRead)
@cached_read
def get_tranche(
    request: Request, response: Response, tranche_id: Ident, principal: ApiPrincipal, db: ReadDB
) -> Response:
    """Return one tranche."""
    tranche = scope.get_visible(db, principal, Tranche, tranche_id)
    return one(request, response, tranche, TrancheRead)


@router.post(
    "/projects/{project_id}/tranches",
    response_model=TrancheRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def create_tranche(
    request: Request,
    response: Response,
    project_id: Ident,
    body: TrancheIn,
    principal: ApiPrincipal,
    db: WriteDB,
) -> Response:
    """Schedule a tranche gated by milestones of the project (its grant manager)."""
    project = scope.get_visible(db, principal, Project, project_id)
    tranche = tranches.add_tranche(db, principal, project, body)
    return one(request, response, tranche, TrancheRead)


@router.patch("/tranches/{tranche_id}", response_model=TrancheRead, responses=WRITE_ERRORS)
def patch_tranche(
    request: Request,
    response: Response,
    tranche_id: Ident,
    body: TranchePatch,
    principal: ApiPrincipal,
    db: WriteDB,
    if_match: IfMatch,
) -> Response:
    """Re-plan a scheduled tranche's date, or before activation its amount."""
    tranche = scope.get_visible(db, principal, Tranche, tranche_id)
    version = matching(tranche, TrancheRead, if_match)
    project = scope.get_visible(db, principal, Project, tranche.project_id)
    tranche = tranches.update_tranche(db, principal, project, tranche, body, version)
    return one(request, response, tranche, TrancheRead)


def _take_tranche(
    db: Session,
    principal: Principal,
    tranche: Tranche,
    step: str,
    day: dt.date,
    body: ReasonIn | PaymentIn | None,
    version: int | None,
) -> Tranche:
    payment = body if isinstance(body, PaymentIn) else PaymentIn()
    return tranches.advance_tranche(
        db,
        principal,
        tranche,
        step,
        today=day,
        reason=body.reason if isinstance(body, ReasonIn) else None,
        paid_amount=payment.paid_amount,
        reference=payment.reference,
        expected_version=version,
    )


add_steps(
    router,
    workflow=TRANCHE,
    path="tranches",
    model=Tranche,
    read=TrancheRead,
    take=_take_tranche,
    bodies={"pay": PaymentIn},
)
