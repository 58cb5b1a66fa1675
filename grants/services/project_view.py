"""Everything the project page shows, and what the principal may do there, in fixed queries.

The page is shared by every role: ``Permissions`` says which actions and links to offer, from
the same rules the services apply (manager of the programme, editor of a partner, the
workflow tables), so a button is never shown that the service would refuse on sight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from grants.models import (
    Attachment,
    Call,
    Indicator,
    IndicatorValue,
    IssuedReport,
    Milestone,
    Organisation,
    PartnerRole,
    Programme,
    ProgressUpdate,
    Project,
    ProjectPartner,
    ReportScope,
    Tranche,
    User,
)
from grants.services import facts, programmes, scope, tranches
from grants.services.access import Principal, editing_partner_ids, manages_project
from grants.services.facts import ProjectFigures
from grants.services.progress import EDITABLE
from grants.services.rules import CLOSED_STATES
from grants.services.workflow import MILESTONE, PROJECT, REPORTING_OPEN


@dataclass(frozen=True)
class MilestoneLine:
    milestone: Milestone
    responsible: str | None
    state: facts.MilestoneFacts
    replanned: bool
    partner_may_submit: bool
    files: list[Attachment]


@dataclass(frozen=True)
class TrancheLine:
    tranche: Tranche
    gates: list[int]
    releasable: bool


@dataclass(frozen=True)
class IndicatorLine:
    indicator: Indicator
    latest: IndicatorValue | None
    reported: int


@dataclass(frozen=True)
class UpdateLine:
    update: ProgressUpdate
    organisation: str
    partner_may_edit: bool


@dataclass(frozen=True)
class Permissions:
    manage: bool
    edit: bool
    report: bool
    steps: list[tuple[str, bool]]


@dataclass(frozen=True)
class ProjectView:
    project: Project
    call: Call
    programme: Programme
    partners: list[tuple[ProjectPartner, Organisation]]
    manager: str | None
    figures: ProjectFigures
    risks: list[str]
    milestones: list[MilestoneLine]
    tranches: list[TrancheLine]
    budget: list[facts.BudgetBalance]
    indicators: list[IndicatorLine]
    updates: list[UpdateLine]
    files: list[Attachment]
    reports: list[IssuedReport]
    may: Permissions


def _milestones(
    session: Session,
    project: Project,
    today: dt.date,
    editable: set[int],
    partners: list[tuple[ProjectPartner, Organisation]],
    files: list[Attachment],
) -> list[MilestoneLine]:
    reporting = project.status in REPORTING_OPEN
    names = {organisation.id: organisation.name for _partner, organisation in partners}
    lead = next((p.organisation_id for p, _o in partners if p.role == PartnerRole.LEAD), None)
    rows = session.exec(
        select(Milestone)
        .where(Milestone.project_id == project.id)
        .order_by(col(Milestone.position))
    ).all()
    return [
        MilestoneLine(
            milestone=m,
            responsible=names.get(m.responsible_organisation_id or 0),
            state=facts.facts_of(m, today),
            replanned=m.due_date != m.baseline_due_date,
            partner_may_submit=reporting
            and m.status in MILESTONE.steps["submit"].sources
            and bool(editable & {m.responsible_organisation_id, lead}),
            files=[f for f in files if f.milestone_id == m.id],
        )
        for m in rows
    ]


def _tranches(session: Session, project: Project) -> list[TrancheLine]:
    gates = tranches.gates_of(session, project)
    releasable = {t.id for t in tranches.releasable_tranches(session, [project.id])}
    positions = dict(
        session.exec(
            select(Milestone.id, Milestone.position).where(Milestone.project_id == project.id)
        ).all()
    )
    return [
        TrancheLine(t, sorted(positions[m] for m in gates.get(t.id, [])), t.id in releasable)
        for t in tranches.tranches_of(session, project)
    ]


def _indicators(session: Session, project: Project) -> list[IndicatorLine]:
    indicators = session.exec(
        select(Indicator).where(Indicator.project_id == project.id).order_by(col(Indicator.code))
    ).all()
    values = session.exec(
        select(IndicatorValue)
        .where(IndicatorValue.project_id == project.id)
        .order_by(col(IndicatorValue.period_end))
    ).all()
    lines = []
    for indicator in indicators:
        own = [v for v in values if v.indicator_id == indicator.id]
        lines.append(IndicatorLine(indicator, own[-1] if own else None, len(own)))
    return lines


def _updates(
    session: Session,
    principal: Principal,
    project: Project,
    editable: set[int],
    names: dict[int, str],
) -> list[UpdateLine]:
    reporting = project.status in REPORTING_OPEN
    rows = session.exec(
        scope.visible(principal, ProgressUpdate)
        .where(ProgressUpdate.project_id == project.id)
        .order_by(col(ProgressUpdate.period_end).desc(), col(ProgressUpdate.id).desc())
    ).all()
    return [
        UpdateLine(
            u,
            names.get(u.organisation_id, ""),
            reporting and u.status in EDITABLE and u.organisation_id in editable,
        )
        for u in rows
    ]


def project_view(
    session: Session, principal: Principal, project: Project, today: dt.date
) -> ProjectView:
    """Return what the project page shows to ``principal`` as of ``today``."""
    call, programme = session.exec(
        select(Call, Programme)
        .join(Programme, col(Programme.id) == col(Call.programme_id))
        .where(Call.id == project.call_id)
    ).one()
    partners = programmes.partners_of(session, project)
    names = {organisation.id: organisation.name for _partner, organisation in partners}
    manage = manages_project(session, principal, project)
    editable = editing_partner_ids(session, principal, project)
    figures = facts.project_figures(session, today, [project.id])[project.id]
    files = list(
        session.exec(
            scope.visible(principal, Attachment)
            .where(Attachment.project_id == project.id)
            .order_by(col(Attachment.uploaded_at).desc())
        ).all()
    )
    manager = session.exec(select(User.full_name).where(User.id == project.manager_id)).first()
    reports = session.exec(
        scope.visible(principal, IssuedReport)
        .where(IssuedReport.scope == ReportScope.PROJECT, IssuedReport.scope_id == project.id)
        .order_by(col(IssuedReport.issued_at).desc())
    ).all()
    steps = [
        (name, PROJECT.steps[name].needs_reason) for name in PROJECT.allowed_from(project.status)
    ]
    return ProjectView(
        project=project,
        call=call,
        programme=programme,
        partners=partners,
        manager=manager,
        figures=figures,
        risks=list(figures.reasons),
        milestones=_milestones(session, project, today, editable, partners, files),
        tranches=_tranches(session, project),
        budget=facts.budget_balances(session, project.id),
        indicators=_indicators(session, project),
        updates=_updates(session, principal, project, editable, names),
        files=files,
        reports=list(reports),
        may=Permissions(
            manage=manage,
            edit=manage and project.status not in CLOSED_STATES,
            report=bool(editable) and project.status in REPORTING_OPEN,
            steps=steps if manage else [],
        ),
    )
