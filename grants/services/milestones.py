"""Milestones: planning, re-planning and the submit / review workflow."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, select

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
from grants.services.access import Principal, require_manager, require_partner_editor
from grants.services.common import get_or_404, note_reason, require_reason, writes
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


def _check_responsible(session: Session, project: Project, organisation_id: int | None) -> None:
    if organisation_id is None:
        return
    partner = session.exec(
        select(ProjectPartner.id).where(
            ProjectPartner.project_id == project.id,
            ProjectPartner.organisation_id == organisation_id,
        )
    ).first()
    if partner is None:
        raise Invalid(
            "responsible_organisation_id",
            organisation_id,
            _("the responsible organisation must be a partner of the project"),
        )


@writes
def add_milestone(
    session: Session, principal: Principal, project: Project, data: MilestoneCreate
) -> Milestone:
    """Add a milestone at the end of the project's list and return it."""
    require_manager(session, principal, project)
    require_open(project)
    _check_in_period(project, data.due_date)
    _check_responsible(session, project, data.responsible_organisation_id)
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
    _check_responsible(session, project, changes.get("responsible_organisation_id"))
    if "due_date" in changes:
        _check_in_period(project, changes["due_date"])
        if milestone.due_date == milestone.baseline_due_date:
            milestone.baseline_due_date = changes["due_date"]
    for key, value in changes.items():
        setattr(milestone, key, value)
    session.add(milestone)
    return milestone


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
    if transition.needs_reason:
        reason = require_reason(reason)
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
