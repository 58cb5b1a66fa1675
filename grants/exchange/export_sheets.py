"""The exported sheets the import reads back, with the import's columns and a few it passes over.

Organisations, projects, partners, milestones, tranches and budget lines, scoped to who asks;
statuses and the dates the workflow sets are exported too, and ignored on import, so an
exported workbook imports back unchanged. Each sheet is one query, and one more for a list
column (objectives, sectors, gates).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from grants.exchange.export_common import Table, columns_of, grouped, visible_ids
from grants.exchange.import_common import shown
from grants.exchange.layout import SHEETS
from grants.models import (
    BudgetLine,
    Call,
    Milestone,
    Objective,
    Organisation,
    PartnerRole,
    Project,
    ProjectObjective,
    ProjectPartner,
    ProjectSector,
    Tranche,
    TrancheGate,
    User,
)
from grants.services.access import Principal


def organisations(session: Session, principal: Principal) -> Table:
    """Return every organisation (the directory grant managers work with)."""
    rows = session.execute(
        columns_of(
            Organisation.ref,
            Organisation.name,
            Organisation.kind,
            Organisation.country,
            Organisation.city,
            Organisation.org_identifier,
            Organisation.website,
            Organisation.is_fictional,
        ).order_by(col(Organisation.ref))
    ).all()
    return Table([c.name for c in SHEETS["organisations"].columns], list(rows))


def projects(session: Session, principal: Principal) -> Table:
    """Return the visible projects with their call, manager, objectives, lead and sectors."""
    ids = visible_ids(principal)
    lead = aliased(Organisation)
    rows = session.exec(
        select(Project, Call.code, User.email, lead.ref)
        .join(Call, col(Call.id) == col(Project.call_id))
        .outerjoin(User, col(User.id) == col(Project.manager_id))
        .outerjoin(
            ProjectPartner,
            (col(ProjectPartner.project_id) == col(Project.id))
            & (col(ProjectPartner.role) == PartnerRole.LEAD),
        )
        .outerjoin(lead, col(lead.id) == col(ProjectPartner.organisation_id))
        .where(col(Project.id).in_(ids))
        .order_by(col(Project.reference))
    ).all()
    objectives = grouped(
        session.exec(
            select(ProjectObjective.project_id, Objective.code)
            .join(Objective, col(Objective.id) == col(ProjectObjective.objective_id))
            .where(col(ProjectObjective.project_id).in_(ids))
            .order_by(col(Objective.code))
        ).all()
    )
    sectors = grouped(
        session.exec(
            select(ProjectSector.project_id, ProjectSector)
            .where(col(ProjectSector.project_id).in_(ids), ProjectSector.vocabulary == "1")
            .order_by(col(ProjectSector.code))
        ).all()
    )
    table = [
        _project_row(project, call_code, manager, lead_ref, objectives, sectors)
        for project, call_code, manager, lead_ref in rows
    ]
    return Table([c.name for c in SHEETS["projects"].columns], table)


def _project_row(
    project: Project,
    call_code: str,
    manager: str | None,
    lead_ref: str | None,
    objectives: dict[int, list[Any]],
    sectors: dict[int, list[Any]],
) -> tuple[Any, ...]:
    """Return one project's row of the projects sheet."""
    sector_text = "; ".join(f"{s.code}: {shown(s.percentage)}" for s in sectors.get(project.id, []))
    return (
        project.reference,
        call_code,
        project.title,
        project.summary,
        project.city,
        project.country,
        project.currency,
        project.awarded_amount,
        project.planned_start,
        project.planned_end,
        manager,
        "; ".join(objectives.get(project.id, [])),
        lead_ref,
        sector_text,
        project.status,
        project.actual_start,
        project.actual_end,
    )


def partners(session: Session, principal: Principal) -> Table:
    """Return the partners of the visible projects, lead first."""
    rows = session.exec(
        select(Project.reference, Organisation.ref, ProjectPartner.role)
        .join(Project, col(Project.id) == col(ProjectPartner.project_id))
        .join(Organisation, col(Organisation.id) == col(ProjectPartner.organisation_id))
        .where(col(Project.id).in_(visible_ids(principal)))
        .order_by(
            col(Project.reference),
            col(ProjectPartner.role) != PartnerRole.LEAD,
            col(Organisation.ref),
        )
    ).all()
    return Table([c.name for c in SHEETS["partners"].columns], list(rows))


def milestones(session: Session, principal: Principal) -> Table:
    """Return the milestones of the visible projects, in order."""
    rows = session.execute(
        columns_of(
            Project.reference,
            Milestone.position,
            Milestone.title,
            Milestone.description,
            Milestone.due_date,
            Milestone.evidence_required,
            Organisation.ref,
            Milestone.baseline_due_date,
            Milestone.status,
            Milestone.submitted_on,
            Milestone.accepted_on,
        )
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .outerjoin(Organisation, col(Organisation.id) == col(Milestone.responsible_organisation_id))
        .where(col(Project.id).in_(visible_ids(principal)))
        .order_by(col(Project.reference), col(Milestone.position))
    ).all()
    return Table([c.name for c in SHEETS["milestones"].columns], list(rows))


def tranches(session: Session, principal: Principal) -> Table:
    """Return the tranches of the visible projects with their gate milestones' numbers."""
    ids = visible_ids(principal)
    gates = grouped(
        session.exec(
            select(TrancheGate.tranche_id, Milestone.position)
            .join(Milestone, col(Milestone.id) == col(TrancheGate.milestone_id))
            .where(col(TrancheGate.project_id).in_(ids))
            .order_by(col(Milestone.position))
        ).all()
    )
    rows = session.exec(
        select(Project.reference, Tranche)
        .join(Project, col(Project.id) == col(Tranche.project_id))
        .where(col(Project.id).in_(ids))
        .order_by(col(Project.reference), col(Tranche.position))
    ).all()
    table = [
        (
            reference,
            t.position,
            t.amount,
            t.currency,
            t.planned_date,
            "; ".join(str(n) for n in gates.get(t.id, [])),
            t.status,
            t.paid_on,
            t.paid_amount,
        )
        for reference, t in rows
    ]
    return Table([c.name for c in SHEETS["tranches"].columns], table)


def budget_lines(session: Session, principal: Principal) -> Table:
    """Return the budget lines of the visible projects."""
    rows = session.execute(
        columns_of(
            Project.reference,
            BudgetLine.code,
            BudgetLine.category,
            BudgetLine.description,
            BudgetLine.amount,
            BudgetLine.currency,
        )
        .join(Project, col(Project.id) == col(BudgetLine.project_id))
        .where(col(Project.id).in_(visible_ids(principal)))
        .order_by(col(Project.reference), col(BudgetLine.code))
    ).all()
    return Table([c.name for c in SHEETS["budget_lines"].columns], list(rows))
