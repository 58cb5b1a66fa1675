"""Milestones: planning (one or a batch at a time), re-planning and the submit / review workflow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from grants.db import chunks
from grants.i18n import _
from grants.models import (
    Attachment,
    Milestone,
    MilestoneCreate,
    MilestoneStatus,
    MilestoneUpdate,
    Project,
    ProjectPartner,
)
from grants.services import references
from grants.services.access import (
    Principal,
    managed_project_ids,
    require_manager,
    require_partner_editor,
)
from grants.services.common import (
    get_or_404,
    note_reason,
    require_reason,
    step_reason,
    writes,
)
from grants.services.errors import Conflict, Invalid
from grants.services.rules import check_version, require_open, require_reporting, rows_of
from grants.services.workflow import MILESTONE, Actor

FINAL = frozenset({MilestoneStatus.ACCEPTED, MilestoneStatus.CANCELLED})


def _check_in_period(project: Project, due: dt.date) -> None:
    if not project.planned_start <= due <= project.planned_end:
        raise Invalid(
            "due_date",
            due.isoformat(),
            _(
                "must fall within the project period {start} to {end}; re-plan the milestone to "
                "move it outside"
            ).format(start=project.planned_start, end=project.planned_end),
        )


@writes
def add_milestone(
    session: Session, principal: Principal, project: Project, data: MilestoneCreate
) -> Milestone:
    """Add a milestone at the end of the project's list and return it."""
    require_manager(session, principal, project)
    require_open(project)
    _check_in_period(project, data.due_date)
    references.check_responsible(session, project, data.responsible_organisation_id)
    last = session.exec(
        select(func.max(Milestone.position)).where(Milestone.project_id == project.id)
    ).one()
    milestone = Milestone.model_validate(
        data,
        update={
            "project_id": project.id,
            "position": (last or 0) + 1,
            "baseline_due_date": data.due_date,
        },
    )
    session.add(milestone)
    return milestone


@writes
def update_milestone(
    session: Session,
    principal: Principal,
    milestone: Milestone,
    data: MilestoneUpdate,
    expected_version: int | None = None,
) -> Milestone:
    """Apply the fields set in ``data`` to an open milestone and return it."""
    project = get_or_404(session, Project, milestone.project_id, "Project")
    require_manager(session, principal, project)
    check_version(milestone, expected_version)
    if milestone.status in FINAL:
        raise Conflict(
            _("A milestone that is {status} can no longer change.").format(
                status=milestone.status.value
            )
        )
    changes = data.model_dump(exclude_unset=True)
    # Check everything before changing anything: the check's query would autoflush a change.
    references.check_responsible(session, project, changes.get("responsible_organisation_id"))
    if "due_date" in changes:
        _check_in_period(project, changes["due_date"])
        if milestone.due_date == milestone.baseline_due_date:
            milestone.baseline_due_date = changes["due_date"]
    for key, value in changes.items():
        setattr(milestone, key, value)
    session.add(milestone)
    return milestone


class MilestoneRules:
    """The rules of ``add_milestone`` and ``update_milestone``, their facts loaded for a batch.

    Those rules look up two facts per milestone: whether the principal manages the project,
    and whether the responsible organisation is one of its partners. Here both are loaded
    once for every project of a batch. A milestone the facts would refuse goes to the rule
    itself (or, for a change, to ``update_milestone``), so a refusal reads exactly as it does
    when one milestone is added or changed on its own.
    """

    def __init__(self, session: Session, principal: Principal, projects: Iterable[Project]) -> None:
        ids = {project.id for project in projects}
        self.session = session
        self.principal = principal
        self.managed = managed_project_ids(session, principal, ids)
        self.partners: set[tuple[int, int]] = set()
        for batch in chunks(sorted(ids)):
            self.partners.update(
                session.exec(
                    select(ProjectPartner.project_id, ProjectPartner.organisation_id).where(
                        col(ProjectPartner.project_id).in_(batch)
                    )
                )
            )

    def _require_manager(self, project: Project) -> None:
        if project.id not in self.managed:
            require_manager(self.session, self.principal, project)
            self.managed.add(project.id)

    def _require_partner(self, project: Project, organisation_id: int | None) -> None:
        if organisation_id is not None and (project.id, organisation_id) not in self.partners:
            references.check_responsible(self.session, project, organisation_id)

    def check_new(self, project: Project, data: MilestoneCreate) -> None:
        """Raise the error ``add_milestone`` would raise for ``data`` in ``project``, if any."""
        self._require_manager(project)
        require_open(project)
        _check_in_period(project, data.due_date)
        self._require_partner(project, data.responsible_organisation_id)

    def accepts_change(
        self, project: Project, milestone: Milestone, changes: dict[str, Any]
    ) -> bool:
        """Return whether ``update_milestone`` accepts ``changes``; raise what it would raise.

        False means only the service can say why not (a milestone past its last step).
        """
        self._require_manager(project)
        if milestone.status in FINAL:
            return False
        self._require_partner(project, changes.get("responsible_organisation_id"))
        if "due_date" in changes:
            _check_in_period(project, changes["due_date"])
        return True


def _last_positions(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """Return the highest milestone number of each project that has milestones."""
    last: dict[int, int] = {}
    for batch in chunks(sorted(set(ids))):
        last.update(
            session.exec(
                select(Milestone.project_id, func.max(Milestone.position))
                .where(col(Milestone.project_id).in_(batch))
                .group_by(col(Milestone.project_id))
            ).all()
        )
    return last


@writes
def add_milestones(
    session: Session, principal: Principal, new: Sequence[tuple[Project, MilestoneCreate]]
) -> list[Milestone]:
    """Add each milestone at the end of its project's list, as ``add_milestone``; return them.

    Every row is checked before any is added, so a refusal leaves nothing behind.
    """
    rules = MilestoneRules(session, principal, (project for project, _data in new))
    for project, data in new:
        rules.check_new(project, data)
    last = _last_positions(session, (project.id for project, _data in new))
    created = []
    for project, data in new:
        last[project.id] = last.get(project.id, 0) + 1
        created.append(
            Milestone.model_validate(
                data,
                update={
                    "project_id": project.id,
                    "position": last[project.id],
                    "baseline_due_date": data.due_date,
                },
            )
        )
    session.add_all(created)
    return created


def _projects(session: Session, ids: Iterable[int]) -> dict[int, Project]:
    found: dict[int, Project] = {}
    for batch in chunks(sorted(set(ids))):
        found.update(
            (p.id, p) for p in session.exec(select(Project).where(col(Project.id).in_(batch)))
        )
    return found


@writes
def update_milestones(
    session: Session, principal: Principal, changes: Sequence[tuple[Milestone, MilestoneUpdate]]
) -> list[Milestone]:
    """Apply each change as ``update_milestone`` does; return the milestones.

    A change is checked before it is made; a refusal raises, and the caller's transaction
    undoes the changes before it.
    """
    projects = _projects(session, (milestone.project_id for milestone, _data in changes))
    rules = MilestoneRules(session, principal, projects.values())
    for milestone, data in changes:
        fields = data.model_dump(exclude_unset=True)
        if not rules.accepts_change(projects[milestone.project_id], milestone, fields):
            update_milestone(session, principal, milestone, data)
            continue
        if "due_date" in fields and milestone.due_date == milestone.baseline_due_date:
            milestone.baseline_due_date = fields["due_date"]
        for key, value in fields.items():
            setattr(milestone, key, value)
    return [milestone for milestone, _data in changes]


@writes
def replan_milestone(
    session: Session,
    principal: Principal,
    milestone: Milestone,
    new_due: dt.date,
    reason: str,
    expected_version: int | None = None,
) -> Milestone:
    """Move an open milestone's due date, keeping its baseline, and return it."""
    project = get_or_404(session, Project, milestone.project_id, "Project")
    require_manager(session, principal, project)
    check_version(milestone, expected_version)
    reason = require_reason(reason)
    if milestone.status in FINAL:
        raise Conflict(
            _("A milestone that is {status} can no longer be re-planned.").format(
                status=milestone.status.value
            )
        )
    if new_due < project.planned_start:
        raise Invalid("due_date", new_due.isoformat(), _("must not be before the project starts"))
    milestone.due_date = new_due
    milestone.replan_reason = reason
    session.add(milestone)
    note_reason(session, reason)
    return milestone


def _has_evidence(session: Session, milestone: Milestone) -> bool:
    return (
        session.exec(select(Attachment.id).where(Attachment.milestone_id == milestone.id)).first()
        is not None
    )


@writes
def advance_milestone(
    session: Session,
    principal: Principal,
    milestone: Milestone,
    step: str,
    *,
    today: dt.date,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Milestone:
    """Take workflow ``step`` (start, submit, accept, return, cancel) and return the milestone."""
    project = get_or_404(session, Project, milestone.project_id, "Project")
    if MILESTONE.step(step).actor is Actor.MANAGER:
        require_manager(session, principal, project)
    else:
        require_partner_editor(session, principal, project, milestone.responsible_organisation_id)
    transition = MILESTONE.check(step, milestone.status)
    check_version(milestone, expected_version)
    if step != "cancel":
        require_reporting(project)
    reason = step_reason(reason, required=transition.needs_reason)
    if step == "submit":
        if milestone.evidence_required and not _has_evidence(session, milestone):
            raise Invalid(
                "evidence",
                milestone.evidence_required,
                _("attach the required evidence before submitting"),
            )
        milestone.submitted_on = today
    elif step == "accept":
        if milestone.submitted_on and today < milestone.submitted_on:
            raise Invalid("today", today.isoformat(), _("cannot accept before the submission date"))
        milestone.accepted_on = today
        milestone.review_note = reason
    elif step in {"return", "cancel"}:
        milestone.review_note = reason
    milestone.status = MilestoneStatus(transition.target)
    session.add(milestone)
    note_reason(session, reason)
    return milestone


def milestones_of(session: Session, project: Project) -> list[Milestone]:
    """Return the project's milestones in order."""
    return rows_of(session, Milestone, project, Milestone.position)
