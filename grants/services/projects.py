"""Projects: creation, partners, edits and the project workflow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from grants.i18n import _, format_money
from grants.models import (
    Call,
    CoFinancing,
    Milestone,
    MilestoneStatus,
    Objective,
    Organisation,
    OrganisationKind,
    PartnerRole,
    Programme,
    Project,
    ProjectBase,
    ProjectCreate,
    ProjectObjective,
    ProjectPartner,
    ProjectSector,
    ProjectStatus,
    ProjectUpdate,
    Tranche,
    TrancheStatus,
)
from grants.models.programmes import ObjectiveCodes
from grants.services import references
from grants.services.access import (
    Principal,
    require_manager,
    require_programme_manager,
)
from grants.services.common import (
    checked_amount,
    checked_currency,
    flush,
    get_or_404,
    note_reason,
    step_reason,
    validated,
    writes,
)
from grants.services.errors import Invalid
from grants.services.forms import checked_text
from grants.services.rules import (
    check_version,
    require_open,
    tranche_total,
)
from grants.services.workflow import PROJECT


@writes
def create_project(
    session: Session, principal: Principal, data: ProjectCreate, lead: Organisation
) -> Project:
    """Create and return a draft project with its lead grantee and objectives."""
    call = references.named(session, principal, Call, data.call_id, "call_id")
    programme = get_or_404(session, Programme, call.programme_id, "Programme")
    require_programme_manager(principal, programme)
    _check_terms(call, programme, data)
    references.check_manager(session, programme, data.manager_id)
    if lead.kind == OrganisationKind.DONOR:
        # Checked before anything is written, so a refusal leaves no half-made project.
        raise Invalid("organisation", lead.ref, _("a donor cannot lead a project"))
    objectives = _objectives(session, call, data.objective_codes)
    project = Project.model_validate(data.model_dump(exclude={"objective_codes"}))
    session.add(project)
    flush(session)  # a reference in use is a Conflict, not a 500
    session.add_all(ProjectObjective(project_id=project.id, objective_id=o.id) for o in objectives)
    _add_partner(session, project, lead, PartnerRole.LEAD)
    return project


def _check_terms(call: Call, programme: Programme, data: ProjectBase) -> None:
    """Raise ``Invalid`` unless the project fits its call: currency, amount and dates."""
    if data.currency != call.currency:
        raise Invalid(
            "currency",
            data.currency,
            _("must be the call's currency ({currency})").format(currency=call.currency),
        )
    if data.awarded_amount > call.max_amount:
        raise Invalid(
            "awarded_amount",
            data.awarded_amount,
            _("exceeds the call's maximum of {amount}").format(
                amount=format_money(call.max_amount, call.currency)
            ),
        )
    if data.planned_start < call.opens_on:
        raise Invalid(
            "planned_start",
            data.planned_start.isoformat(),
            _("must not be before the call opens ({date})").format(date=call.opens_on),
        )
    if data.planned_end > programme.end_date:
        raise Invalid(
            "planned_end",
            data.planned_end.isoformat(),
            _("must not be after the programme ends ({date})").format(date=programme.end_date),
        )


def _check_milestones_fit(session: Session, project: Project, start: dt.date, end: dt.date) -> None:
    """Raise ``Invalid`` when open, never re-planned milestones would fall outside the period."""
    stranded = session.exec(
        select(Milestone)
        .where(
            Milestone.project_id == project.id,
            col(Milestone.status).not_in([MilestoneStatus.ACCEPTED, MilestoneStatus.CANCELLED]),
            col(Milestone.replan_reason).is_(None),
            (col(Milestone.due_date) < start) | (col(Milestone.due_date) > end),
        )
        .order_by(col(Milestone.position))
    ).first()
    if stranded is not None:
        raise Invalid(
            "planned_end" if stranded.due_date > end else "planned_start",
            (end if stranded.due_date > end else start).isoformat(),
            _("milestone {n} is due on {due}, outside the new period; re-plan it first").format(
                n=stranded.position, due=stranded.due_date
            ),
        )


def _objectives(session: Session, call: Call, codes: list[str]) -> list[Objective]:
    codes = checked_text("objective_codes", codes, ObjectiveCodes)
    if not codes:
        raise Invalid("objective_codes", codes, _("a project serves at least one objective"))
    found = session.exec(
        select(Objective).where(Objective.call_id == call.id, col(Objective.code).in_(codes))
    ).all()
    missing = sorted(set(codes) - {o.code for o in found})
    if missing:
        raise Invalid(
            "objective_codes", missing, _("not objectives of call {call}").format(call=call.code)
        )
    return list(found)


def _add_partner(
    session: Session, project: Project, organisation: Organisation, role: PartnerRole
) -> ProjectPartner:
    if role == PartnerRole.LEAD and organisation.kind == OrganisationKind.DONOR:
        raise Invalid("organisation", organisation.ref, _("a donor cannot lead a project"))
    existing = session.exec(
        select(ProjectPartner).where(ProjectPartner.project_id == project.id)
    ).all()
    if any(p.organisation_id == organisation.id for p in existing):
        raise Invalid("organisation", organisation.ref, _("is already a partner of this project"))
    if role == PartnerRole.LEAD and any(p.role == PartnerRole.LEAD for p in existing):
        raise Invalid("role", role.value, _("the project already has a lead grantee"))
    partner = ProjectPartner(project_id=project.id, organisation_id=organisation.id, role=role)
    session.add(partner)
    return partner


@writes
def add_partner(
    session: Session,
    principal: Principal,
    project: Project,
    organisation: Organisation,
    role: PartnerRole,
) -> ProjectPartner:
    """Add ``organisation`` to ``project`` in ``role`` and return the partnership."""
    require_manager(session, principal, project)
    require_open(project)
    return _add_partner(session, project, organisation, role)


@writes
def set_sectors(
    session: Session,
    principal: Principal,
    project: Project,
    sectors: dict[str, Decimal],
    vocabulary: str = "1",
) -> None:
    """Replace the project's sector codes; the percentages must add up to 100."""
    require_manager(session, principal, project)
    require_open(project)
    if any(not 0 < share <= 100 for share in sectors.values()):
        raise Invalid(
            "sectors",
            {k: str(v) for k, v in sectors.items()},
            _("each sector percentage must be above 0 and at most 100"),
        )
    if sum(sectors.values(), Decimal(0)) != 100:
        raise Invalid(
            "sectors",
            {k: str(v) for k, v in sectors.items()},
            _("sector percentages must add up to 100"),
        )
    for old in session.exec(select(ProjectSector).where(ProjectSector.project_id == project.id)):
        session.delete(old)
    session.flush()
    session.add_all(
        ProjectSector(project_id=project.id, vocabulary=vocabulary, code=code, percentage=share)
        for code, share in sectors.items()
    )


@writes
def add_co_financing(
    session: Session,
    principal: Principal,
    project: Project,
    organisation: Organisation,
    amount: Decimal,
    currency: str,
    *,
    in_kind: bool = False,
    description: str = "",
) -> CoFinancing:
    """Record a contribution to ``project`` beyond the grant and return it."""
    require_manager(session, principal, project)
    require_open(project)
    currency = checked_currency(currency)
    checked_amount("amount", amount, currency)
    contribution = CoFinancing(
        project_id=project.id,
        organisation_id=organisation.id,
        amount=amount,
        currency=currency,
        in_kind=in_kind,
        description=description.strip(),
    )
    session.add(contribution)
    return contribution


@writes
def update_project(
    session: Session,
    principal: Principal,
    project: Project,
    data: ProjectUpdate,
    expected_version: int | None = None,
) -> Project:
    """Apply the fields set in ``data`` to ``project`` and return it."""
    require_manager(session, principal, project)
    check_version(project, expected_version)
    require_open(project)
    changes = data.model_dump(exclude_unset=True)
    merged = validated(ProjectCreate, {**project.model_dump(), **changes, "objective_codes": ["-"]})
    call = get_or_404(session, Call, project.call_id, "Call")
    programme = get_or_404(session, Programme, call.programme_id, "Programme")
    _check_terms(call, programme, merged)
    if "manager_id" in changes:
        references.check_manager(session, programme, merged.manager_id)
    if "awarded_amount" in changes:
        _check_award(session, project, merged.awarded_amount)
    if {"planned_start", "planned_end"} & changes.keys():
        _check_milestones_fit(session, project, merged.planned_start, merged.planned_end)
    for key in changes:
        setattr(project, key, getattr(merged, key))
    session.add(project)
    return project


def _check_award(session: Session, project: Project, award: Decimal) -> None:
    call = get_or_404(session, Call, project.call_id, "Call")
    if award > call.max_amount:
        raise Invalid(
            "awarded_amount",
            award,
            _("exceeds the call's maximum of {amount}").format(
                amount=format_money(call.max_amount, call.currency)
            ),
        )
    scheduled = tranche_total(session, project)
    if award < scheduled:
        raise Invalid(
            "awarded_amount",
            award,
            _("is below the {amount} already scheduled in tranches").format(
                amount=format_money(scheduled, project.currency)
            ),
        )


def _guard_activate(session: Session, project: Project) -> None:
    scheduled = tranche_total(session, project)
    if scheduled != project.awarded_amount:
        raise Invalid(
            "tranches",
            str(scheduled),
            _("tranches must add up to the award of {award} before the project starts").format(
                award=format_money(project.awarded_amount, project.currency)
            ),
        )
    milestones = session.exec(
        select(func.count()).select_from(Milestone).where(Milestone.project_id == project.id)
    ).one()
    if not milestones:
        raise Invalid("milestones", 0, _("a project needs milestones before it starts"))


def _guard_close(session: Session, project: Project) -> None:
    open_milestones = session.exec(
        select(func.count())
        .select_from(Milestone)
        .where(
            Milestone.project_id == project.id,
            col(Milestone.status).not_in([MilestoneStatus.ACCEPTED, MilestoneStatus.CANCELLED]),
        )
    ).one()
    if open_milestones:
        raise Invalid(
            "milestones",
            open_milestones,
            _("every milestone must be accepted or cancelled before closing"),
        )
    open_tranches = session.exec(
        select(func.count())
        .select_from(Tranche)
        .where(
            Tranche.project_id == project.id,
            col(Tranche.status).not_in([TrancheStatus.PAID, TrancheStatus.CANCELLED]),
        )
    ).one()
    if open_tranches:
        raise Invalid(
            "tranches", open_tranches, _("every tranche must be paid or cancelled before closing")
        )


def _cancel_open_work(session: Session, project: Project, reason: str | None) -> None:
    """Cancel the open milestones and unpaid tranches of a project being cancelled."""
    for milestone in session.exec(
        select(Milestone).where(
            Milestone.project_id == project.id,
            col(Milestone.status).not_in([MilestoneStatus.ACCEPTED, MilestoneStatus.CANCELLED]),
        )
    ):
        milestone.status = MilestoneStatus.CANCELLED
        milestone.review_note = reason
        session.add(milestone)
    for tranche in session.exec(
        select(Tranche).where(
            Tranche.project_id == project.id,
            col(Tranche.status).in_([TrancheStatus.SCHEDULED, TrancheStatus.APPROVED]),
        )
    ):
        tranche.status = TrancheStatus.CANCELLED
        tranche.cancel_reason = reason
        session.add(tranche)


GUARDS: dict[str, Callable[[Session, Project], None]] = {
    "activate": _guard_activate,
    "close": _guard_close,
}


@writes
def advance_project(
    session: Session,
    principal: Principal,
    project: Project,
    step: str,
    *,
    today: dt.date,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Project:
    """Take workflow ``step`` on ``project`` as of ``today`` and return it."""
    PROJECT.step(step)
    require_manager(session, principal, project)
    transition = PROJECT.check(step, project.status)
    check_version(project, expected_version)
    reason = step_reason(reason, required=transition.needs_reason)
    if transition.needs_reason:
        note_reason(session, reason)
    GUARDS.get(step, lambda _s, _p: None)(session, project)
    if step == "activate":
        project.actual_start = today
    if step == "close":
        project.actual_end = max(today, project.actual_start or today)
    if step == "cancel":
        _cancel_open_work(session, project, reason)
    project.status = ProjectStatus(transition.target)
    project.status_reason = reason if transition.needs_reason else None
    session.add(project)
    return project
