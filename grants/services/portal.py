"""The partner portal's questions: my projects, what is due and what was returned to me."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from grants.models import (
    Indicator,
    Milestone,
    MilestoneStatus,
    PartnerRole,
    ProgressUpdate,
    Project,
    ProjectPartner,
    ReviewStatus,
)
from grants.services import facts
from grants.services.access import Principal
from grants.services.facts import AWAITING_PARTNER, QUIET_DAYS, ProjectFigures
from grants.services.workflow import REPORTING_OPEN


@dataclass(frozen=True)
class PartnerProject:
    """A project one of my organisations implements, my part in it and its key figures."""

    project: Project
    roles: dict[int, PartnerRole]  # my organisations in the project, by id
    figures: ProjectFigures
    may_edit: bool
    next_update_due: dt.date | None
    indicators: list[Indicator]

    @property
    def leads(self) -> bool:
        """Whether one of my organisations is the project's lead grantee."""
        return PartnerRole.LEAD in self.roles.values()

    @property
    def reporting(self) -> bool:
        """Whether partners may report on the project now (active or finalising)."""
        return self.project.status in REPORTING_OPEN


@dataclass(frozen=True)
class DueItem:
    """One thing waiting for my organisation, with the reviewer's reason when it came back."""

    kind: str  # "milestone", "progress_update" or "update_due"
    target_id: int  # the milestone, the progress update, or the project for "update_due"
    project: Project
    title: str
    status: str
    due_on: dt.date
    days_late: int
    reason: str | None
    may_act: bool
    period: tuple[dt.date, dt.date] | None = None  # a progress update's reporting period
    overdue: bool = False

    @property
    def shown(self) -> str:
        """The status to show: "overdue" for a milestone past its due date."""
        return "overdue" if self.overdue else self.status

    @property
    def urgency(self) -> tuple[int, dt.date]:
        """Overdue first, then returned to me, then the rest; earliest first within each."""
        rank = 0 if self.days_late else 1 if self.status == "returned" else 2
        return rank, self.due_on


def _memberships(session: Session, principal: Principal) -> dict[int, dict[int, PartnerRole]]:
    """Return, by project id, my organisations implementing it and their roles."""
    if not principal.partner_org_ids:
        return {}
    rows = session.exec(
        select(ProjectPartner.project_id, ProjectPartner.organisation_id, ProjectPartner.role)
        .where(col(ProjectPartner.organisation_id).in_(principal.partner_org_ids))
        .where(col(ProjectPartner.role) != PartnerRole.FUNDER)
    ).all()
    found: dict[int, dict[int, PartnerRole]] = defaultdict(dict)
    for project_id, organisation_id, role in rows:
        found[project_id][organisation_id] = PartnerRole(role)
    return dict(found)


def _start(project: Project) -> dt.date:
    return project.actual_start or project.planned_start


def _next_updates(session: Session, projects: list[Project], led: set[int]) -> dict[int, dt.date]:
    """Return when the next progress update is due on each reporting project I lead.

    An update is due every ``QUIET_DAYS`` after the last one submitted (by any partner),
    the rule after which a project counts as at risk.
    """
    ids = [p.id for p in projects if p.id in led and p.status in REPORTING_OPEN]
    if not ids:
        return {}
    last = dict(
        session.execute(
            sa_select(col(ProgressUpdate.project_id), func.max(ProgressUpdate.submitted_on))
            .where(col(ProgressUpdate.project_id).in_(ids))
            .group_by(col(ProgressUpdate.project_id))
        ).all()
    )
    return {
        p.id: (last.get(p.id) or _start(p)) + dt.timedelta(days=QUIET_DAYS)
        for p in projects
        if p.id in ids
    }


def partner_projects(
    session: Session, principal: Principal, today: dt.date
) -> list[PartnerProject]:
    """Return the projects my organisations implement, by reference, with key figures."""
    memberships = _memberships(session, principal)
    if not memberships:
        return []
    projects = list(
        session.exec(
            select(Project)
            .where(col(Project.id).in_(list(memberships)))
            .order_by(col(Project.reference))
        ).all()
    )
    led = {pid for pid, roles in memberships.items() if PartnerRole.LEAD in roles.values()}
    figures = facts.project_figures(session, today, list(memberships))
    next_updates = _next_updates(session, projects, led)
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in session.exec(
        select(Indicator)
        .where(col(Indicator.project_id).in_(list(memberships)))
        .order_by(col(Indicator.code))
    ):
        indicators[indicator.project_id].append(indicator)
    return [
        PartnerProject(
            project=p,
            roles=memberships[p.id],
            figures=figures[p.id],
            may_edit=bool(set(memberships[p.id]) & principal.editor_org_ids),
            next_update_due=next_updates.get(p.id),
            indicators=indicators[p.id],
        )
        for p in projects
    ]


def _may_submit(principal: Principal, mine: PartnerProject, responsible: int | None) -> bool:
    """Mirror ``access.require_partner_editor``: my milestone, one of nobody's, or I lead."""
    editing = set(mine.roles) & principal.editor_org_ids
    leading = any(mine.roles[org] == PartnerRole.LEAD for org in editing)
    return bool(editing) and (responsible is None or responsible in editing or leading)


def _milestones_due(
    session: Session, principal: Principal, mine: dict[int, PartnerProject], today: dt.date
) -> list[DueItem]:
    """Return the milestones my organisations answer for: overdue, due soon or returned."""
    horizon = today + dt.timedelta(days=facts.due_soon_days())
    rows = session.exec(
        select(Milestone)
        .where(col(Milestone.project_id).in_(list(mine)))
        .where(col(Milestone.status).in_(AWAITING_PARTNER))
        .where(
            or_(
                col(Milestone.status) == MilestoneStatus.RETURNED,
                col(Milestone.due_date) <= horizon,
            )
        )
    ).all()
    items = []
    for milestone in rows:
        project = mine[milestone.project_id]
        responsible = milestone.responsible_organisation_id
        ours = responsible is None or responsible in project.roles or project.leads
        if not ours or not project.reporting:
            continue
        items.append(
            DueItem(
                kind="milestone",
                target_id=milestone.id,
                project=project.project,
                title=milestone.title,
                status=milestone.status.value,
                due_on=milestone.due_date,
                days_late=facts.facts_of(milestone, today).days_late,
                reason=milestone.review_note
                if milestone.status == MilestoneStatus.RETURNED
                else None,
                may_act=_may_submit(principal, project, responsible),
                overdue=facts.facts_of(milestone, today).overdue,
            )
        )
    return items


def _updates_open(
    session: Session, principal: Principal, mine: dict[int, PartnerProject], today: dt.date
) -> list[DueItem]:
    """Return my organisations' draft and returned progress updates."""
    rows = session.exec(
        select(ProgressUpdate)
        .where(col(ProgressUpdate.project_id).in_(list(mine)))
        .where(col(ProgressUpdate.organisation_id).in_(principal.partner_org_ids))
        .where(col(ProgressUpdate.status).in_([ReviewStatus.DRAFT, ReviewStatus.RETURNED]))
    ).all()
    items = []
    for update in rows:
        project = mine[update.project_id]
        due = project.next_update_due
        items.append(
            DueItem(
                kind="progress_update",
                target_id=update.id,
                project=project.project,
                title="",
                status=update.status.value,
                due_on=due or update.period_end,
                days_late=max(0, (today - due).days) if due else 0,
                reason=update.review_note if update.status == ReviewStatus.RETURNED else None,
                may_act=update.organisation_id in principal.editor_org_ids and project.reporting,
                period=(update.period_start, update.period_end),
            )
        )
    return items


def _updates_due(
    mine: dict[int, PartnerProject], started: set[int], today: dt.date
) -> list[DueItem]:
    """Return the progress updates due soon on projects I lead where none is under way."""
    horizon = today + dt.timedelta(days=facts.due_soon_days())
    return [
        DueItem(
            kind="update_due",
            target_id=project.project.id,
            project=project.project,
            title=project.project.title,
            status="due",
            due_on=project.next_update_due,
            days_late=max(0, (today - project.next_update_due).days),
            reason=None,
            may_act=project.may_edit,
        )
        for project in mine.values()
        if project.next_update_due is not None
        and project.next_update_due <= horizon
        and project.project.id not in started
    ]


def due_items(
    session: Session, principal: Principal, projects: list[PartnerProject], today: dt.date
) -> list[DueItem]:
    """Return what my organisations must do on ``projects``, most urgent first.

    Milestones overdue, due soon (``facts.due_soon_days()``) or returned; progress updates in
    draft, returned, or due on projects I lead.
    """
    mine = {p.project.id: p for p in projects}
    if not mine:
        return []
    items = _milestones_due(session, principal, mine, today)
    updates = _updates_open(session, principal, mine, today)
    items += updates + _updates_due(mine, {item.project.id for item in updates}, today)
    return sorted(items, key=lambda item: (item.urgency, item.project.reference))
