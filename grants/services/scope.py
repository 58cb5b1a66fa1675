"""What a principal may see: every look-up goes through these, so out of scope is not found.

Admins see everything; grant managers the projects of the programmes their organisation
manages; donors those of the programmes they fund, from contracting on (never a draft);
partners (editors and viewers) the projects their organisation implements. Draft progress
updates stay with the organisation writing them. Issued reports follow their scope: a project
report goes with its project, a portfolio report to the programme's managers and donors.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import Session, SQLModel, col, select

from grants.i18n import _
from grants.models import (
    Attachment,
    AuditEvent,
    Call,
    IssuedReport,
    PartnerRole,
    Programme,
    ProgrammeFunder,
    ProgressUpdate,
    Project,
    ProjectPartner,
    ReportScope,
    ReviewStatus,
)
from grants.services.access import (
    Principal,
    managed_programme_condition,
    managed_project_condition,
    works_as_manager,
)
from grants.services.errors import NotFound
from grants.services.facts.rules import DONOR_VISIBLE

M = TypeVar("M", bound=SQLModel)


def programme_condition(principal: Principal, *, as_partner: bool = True) -> ColumnElement[bool]:
    """Return the condition on Programme rows the principal may see.

    With ``as_partner=False`` only management and funding count: partners see their own
    projects, not the programme's portfolio.
    """
    if principal.is_admin:
        return true()
    conditions = []
    if works_as_manager(principal):
        conditions.append(managed_programme_condition(principal))
    if principal.donor_org_ids:
        conditions.append(
            col(Programme.id).in_(
                select(ProgrammeFunder.programme_id).where(
                    col(ProgrammeFunder.organisation_id).in_(principal.donor_org_ids)
                )
            )
        )
    if as_partner and principal.partner_org_ids:
        conditions.append(
            col(Programme.id).in_(
                select(Call.programme_id)
                .join(Project, col(Project.call_id) == col(Call.id))
                .where(col(Project.id).in_(_partnered(principal)))
            )
        )
    return or_(*conditions) if conditions else false()


def _partnered(principal: Principal) -> Any:
    return select(ProjectPartner.project_id).where(
        col(ProjectPartner.organisation_id).in_(principal.partner_org_ids),
        col(ProjectPartner.role) != PartnerRole.FUNDER,
    )


def project_condition(principal: Principal) -> ColumnElement[bool]:
    """Return the condition on Project rows the principal may see."""
    if principal.is_admin:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if works_as_manager(principal):
        conditions.append(managed_project_condition(principal))
    if principal.donor_org_ids:
        funded = col(Project.call_id).in_(
            select(Call.id)
            .join(ProgrammeFunder, col(ProgrammeFunder.programme_id) == col(Call.programme_id))
            .where(col(ProgrammeFunder.organisation_id).in_(principal.donor_org_ids))
        )
        # A draft is a proposal, not yet an award: donors see a project from contracting on.
        conditions.append(funded & col(Project.status).in_(sorted(DONOR_VISIBLE)))
    if principal.partner_org_ids:
        conditions.append(col(Project.id).in_(_partnered(principal)))
    return or_(*conditions) if conditions else false()


def visible_project_ids(principal: Principal) -> Any:
    """Return a subquery of the ids of the projects the principal may see."""
    return select(Project.id).where(project_condition(principal))


def _condition(principal: Principal, model: type[SQLModel]) -> ColumnElement[bool]:
    if model is Programme:
        return programme_condition(principal)
    if model is Call:
        return col(Call.programme_id).in_(
            select(Programme.id).where(programme_condition(principal))
        )
    if model is Project:
        return project_condition(principal)
    if model is IssuedReport:
        portfolio = select(Programme.id).where(programme_condition(principal, as_partner=False))
        return or_(
            (col(IssuedReport.scope) == ReportScope.PROJECT)
            & col(IssuedReport.scope_id).in_(visible_project_ids(principal)),
            (col(IssuedReport.scope) != ReportScope.PROJECT)
            & col(IssuedReport.programme_id).in_(portfolio),
        )
    condition: ColumnElement[bool] = col(model.project_id).in_(visible_project_ids(principal))  # type: ignore[attr-defined]
    if model is ProgressUpdate and not principal.is_admin:
        condition = condition & or_(
            col(ProgressUpdate.status) != ReviewStatus.DRAFT,
            col(ProgressUpdate.organisation_id).in_(principal.partner_org_ids),
        )
    if model is Attachment and not principal.is_admin:
        # Evidence on a draft progress update stays with the organisation writing it.
        condition = condition & or_(
            col(Attachment.progress_update_id).is_(None),
            col(Attachment.progress_update_id).in_(
                select(ProgressUpdate.id).where(_condition(principal, ProgressUpdate))
            ),
        )
    return condition


def visible(principal: Principal, model: type[M]) -> Any:
    """Return a select of the ``model`` rows the principal may see."""
    return select(model).where(_condition(principal, model))


def get_visible(session: Session, principal: Principal, model: type[M], ident: int) -> M:
    """Return the ``model`` row ``ident`` if the principal may see it; else ``NotFound``."""
    statement = visible(principal, model).where(col(model.id) == ident)  # type: ignore[attr-defined]
    found: M | None = session.exec(statement).first()
    if found is None:
        raise NotFound(
            _("{label} {ident} does not exist.").format(label=model.__name__, ident=ident)
        )
    return found


def project_of(session: Session, principal: Principal, record: Any) -> Project:
    """Return the project ``record`` belongs to (``record`` itself for a project)."""
    if isinstance(record, Project):
        return record
    return get_visible(session, principal, Project, record.project_id)


def get_with_project(
    session: Session, principal: Principal, model: type[M], ident: int
) -> tuple[M, Project]:
    """Return the ``model`` row ``ident`` and its project, if the principal may see it."""
    record = get_visible(session, principal, model, ident)
    return record, project_of(session, principal, record)


def project_history(session: Session, principal: Principal, project_id: int) -> list[AuditEvent]:
    """Return the project's audit trail, oldest first, if the principal may see the project.

    Events about rows the principal may not see (another organisation's draft progress
    update and its evidence) are left out.
    """
    get_visible(session, principal, Project, project_id)
    hidden = {
        entity: {
            str(ident)
            for ident in session.exec(
                select(model.id).where(
                    col(model.project_id) == project_id,
                    ~_condition(principal, model),
                )
            )
        }
        for entity, model in (("progress_update", ProgressUpdate), ("attachment", Attachment))
    }
    return [
        event
        for event in session.exec(
            select(AuditEvent)
            .where(AuditEvent.project_id == project_id)
            .order_by(col(AuditEvent.at), col(AuditEvent.id))
        ).all()
        if event.entity_id not in hidden.get(event.entity, set())
    ]


def visible_projects(session: Session, principal: Principal) -> list[Project]:
    """Return the projects the principal may see, by reference."""
    return list(session.exec(visible(principal, Project).order_by(col(Project.reference))).all())
