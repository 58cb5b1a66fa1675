"""Payment tranches: scheduling, gates, approval and payment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ColumnElement, Exists, and_, exists, func
from sqlmodel import Session, col, select

from grants.i18n import _, format_money
from grants.models import (
    Milestone,
    MilestoneStatus,
    Project,
    ProjectStatus,
    Tranche,
    TrancheCreate,
    TrancheGate,
    TrancheStatus,
    TrancheUpdate,
)
from grants.models.base import PaymentReference
from grants.services.access import Principal, require_manager
from grants.services.common import checked_amount, note_reason, step_reason, writes
from grants.services.errors import Conflict, Invalid
from grants.services.forms import checked_text
from grants.services.rules import (
    check_project_money,
    check_version,
    require_open,
    rows_of,
    tranche_total,
)
from grants.services.workflow import REPORTING_OPEN, TRANCHE


def paid_total(session: Session, project_id: int) -> Decimal:
    """Return the sum paid so far on the project's tranches."""
    total = session.exec(
        select(func.coalesce(func.sum(Tranche.paid_amount), 0)).where(
            Tranche.project_id == project_id, Tranche.status == TrancheStatus.PAID
        )
    ).one()
    return Decimal(total or 0)


@writes
def add_tranche(
    session: Session, principal: Principal, project: Project, data: TrancheCreate
) -> Tranche:
    """Schedule a tranche, gated by milestones of the same project, and return it."""
    require_manager(session, principal, project)
    require_open(project)
    check_project_money(project, "amount", data.amount, data.currency)
    scheduled = tranche_total(session, project)
    if scheduled + data.amount > project.awarded_amount:
        raise Invalid(
            "amount",
            data.amount,
            _("tranches would total {total}, more than the award of {award}").format(
                total=format_money(scheduled + data.amount, project.currency),
                award=format_money(project.awarded_amount, project.currency),
            ),
        )
    gates = set(data.gate_milestone_ids)
    found = set(
        session.exec(
            select(Milestone.id).where(
                Milestone.project_id == project.id, col(Milestone.id).in_(gates)
            )
        ).all()
    )
    if gates - found:
        raise Invalid(
            "gate_milestone_ids",
            sorted(gates - found),
            _("gates must be milestones of the same project"),
        )
    last = session.exec(
        select(func.max(Tranche.position)).where(Tranche.project_id == project.id)
    ).one()
    tranche = Tranche.model_validate(
        data, update={"project_id": project.id, "position": (last or 0) + 1}
    )
    session.add(tranche)
    session.flush()
    session.add_all(
        TrancheGate(tranche_id=tranche.id, milestone_id=m, project_id=project.id)
        for m in sorted(gates)
    )
    return tranche


@writes
def update_tranche(
    session: Session,
    principal: Principal,
    project: Project,
    tranche: Tranche,
    data: TrancheUpdate,
    expected_version: int | None = None,
) -> Tranche:
    """Re-plan a scheduled tranche's date, or, before activation, its amount."""
    require_manager(session, principal, project)
    check_version(tranche, expected_version)
    require_open(project)
    if tranche.status != TrancheStatus.SCHEDULED:
        raise Conflict(_("Only a scheduled tranche can be changed."))
    changes = data.model_dump(exclude_unset=True)
    if "amount" in changes and changes["amount"] != tranche.amount:
        if project.status not in {ProjectStatus.DRAFT, ProjectStatus.CONTRACTING}:
            raise Invalid(
                "amount", changes["amount"], _("amounts are fixed once the project is active")
            )
        check_project_money(project, "amount", changes["amount"], tranche.currency)
        total = tranche_total(session, project) - tranche.amount + changes["amount"]
        if total > project.awarded_amount:
            raise Invalid(
                "amount",
                changes["amount"],
                _("tranches would total {total}, more than the award of {award}").format(
                    total=format_money(total, project.currency),
                    award=format_money(project.awarded_amount, project.currency),
                ),
            )
    for key, value in changes.items():
        setattr(tranche, key, value)
    session.add(tranche)
    return tranche


def _gate_not_accepted() -> Exists:
    return exists().where(
        col(TrancheGate.tranche_id) == col(Tranche.id),
        col(Milestone.id) == col(TrancheGate.milestone_id),
        col(Milestone.status) != MilestoneStatus.ACCEPTED,
    )


def releasable_condition() -> ColumnElement[bool]:
    """Return the condition, on tranches joined to their project, of a releasable tranche."""
    return and_(
        col(Tranche.status) == TrancheStatus.SCHEDULED,
        col(Project.status).in_(REPORTING_OPEN),
        ~_gate_not_accepted(),
    )


def releasable_tranches(session: Session, project_ids: list[int] | None = None) -> list[Tranche]:
    """Return scheduled tranches whose gates are all accepted, on active or finalising projects."""
    query = (
        select(Tranche)
        .join(Project, and_(Project.id == Tranche.project_id))  # type: ignore[arg-type]
        .where(
            Tranche.status == TrancheStatus.SCHEDULED,
            col(Project.status).in_(REPORTING_OPEN),
            ~_gate_not_accepted(),
        )
        .order_by(col(Tranche.planned_date), col(Tranche.id))
    )
    if project_ids is not None:
        query = query.where(col(Tranche.project_id).in_(project_ids))
    return list(session.exec(query).all())


def is_releasable(session: Session, tranche: Tranche) -> bool:
    """Return whether ``tranche`` may be approved now."""
    return any(t.id == tranche.id for t in releasable_tranches(session, [tranche.project_id]))


def _lock(session: Session, tranche: Tranche) -> tuple[Project, Tranche]:
    """Re-read the project and the tranche under a row lock (PostgreSQL; SQLite writers
    already hold the database write lock)."""
    project = session.exec(
        select(Project)
        .where(Project.id == tranche.project_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    fresh = session.exec(
        select(Tranche)
        .where(Tranche.id == tranche.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return project, fresh


@writes
def advance_tranche(
    session: Session,
    principal: Principal,
    tranche: Tranche,
    step: str,
    *,
    today: dt.date,
    reason: str | None = None,
    paid_amount: Decimal | None = None,
    reference: str | None = None,
    expected_version: int | None = None,
) -> Tranche:
    """Take workflow ``step`` (approve, pay, cancel) on ``tranche`` and return it."""
    expected_version = tranche.version if expected_version is None else expected_version
    project, tranche = _lock(session, tranche)
    TRANCHE.step(step)
    require_manager(session, principal, project)
    transition = TRANCHE.check(step, tranche.status)
    check_version(tranche, expected_version)
    reason = step_reason(reason, required=transition.needs_reason)
    if step == "approve":
        if not is_releasable(session, tranche):
            raise Conflict(
                _(
                    "Tranche {n} is not releasable: its gate milestones are not all "
                    "accepted, or the project is not active."
                ).format(n=tranche.position)
            )
        tranche.approved_on = today
    elif step == "pay":
        _pay(session, project, tranche, today, paid_amount, reference)
    else:
        tranche.cancel_reason = reason
    tranche.status = TrancheStatus(transition.target)
    session.add(tranche)
    note_reason(session, reason)
    return tranche


def _pay(
    session: Session,
    project: Project,
    tranche: Tranche,
    today: dt.date,
    paid_amount: Decimal | None,
    reference: str | None,
) -> None:
    amount = tranche.amount if paid_amount is None else Decimal(paid_amount)
    checked_amount("paid_amount", amount, tranche.currency)
    already = paid_total(session, project.id)
    if already + amount > project.awarded_amount:
        raise Invalid(
            "paid_amount",
            amount,
            _("payments would total {total}, more than the award of {award}").format(
                total=format_money(already + amount, project.currency),
                award=format_money(project.awarded_amount, project.currency),
            ),
        )
    if tranche.approved_on and today < tranche.approved_on:
        raise Invalid("paid_on", today.isoformat(), _("cannot pay before the approval date"))
    tranche.paid_on = today
    tranche.paid_amount = amount
    tranche.payment_reference = (
        checked_text("reference", (reference or "").strip(), PaymentReference) or None
    )


def tranches_of(session: Session, project: Project) -> list[Tranche]:
    """Return the project's tranches in order."""
    return rows_of(session, Tranche, project, Tranche.position)


def gates_of(session: Session, project: Project) -> dict[int, list[int]]:
    """Return, per tranche id, the ids of its gate milestones."""
    rows = session.exec(
        select(TrancheGate.tranche_id, TrancheGate.milestone_id).where(
            TrancheGate.project_id == project.id
        )
    ).all()
    gates: dict[int, list[int]] = {}
    for tranche_id, milestone_id in rows:
        gates.setdefault(tranche_id, []).append(milestone_id)
    return gates
