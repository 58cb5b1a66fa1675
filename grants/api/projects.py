"""Projects, milestones, their history and evidence files over the API, within scope."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from grants.api.deps import ApiPrincipal
from grants.config import today
from grants.models import (
    Attachment,
    AuditEventRead,
    Milestone,
    MilestoneRead,
    Project,
    ProjectRead,
)
from grants.services import milestones, scope
from grants.web.deps import ReadDB, WriteDB, settings_of
from grants.web.projects import attachment_response

router = APIRouter()


@router.get("/projects/{project_id}", response_model=ProjectRead)
def get_project(project_id: int, principal: ApiPrincipal, db: ReadDB) -> Project:
    """Return one project the token's owner may see."""
    return scope.get_visible(db, principal, Project, project_id)


@router.get("/projects/{project_id}/history", response_model=list[AuditEventRead])
def get_history(project_id: int, principal: ApiPrincipal, db: ReadDB) -> list[object]:
    """Return the project's audit trail, oldest first."""
    return list(scope.project_history(db, principal, project_id))


@router.get("/milestones/{milestone_id}", response_model=MilestoneRead)
def get_milestone(milestone_id: int, principal: ApiPrincipal, db: ReadDB) -> Milestone:
    """Return one milestone the token's owner may see."""
    return scope.get_visible(db, principal, Milestone, milestone_id)


@router.post("/milestones/{milestone_id}/submit", response_model=MilestoneRead)
def submit(request: Request, milestone_id: int, principal: ApiPrincipal, db: WriteDB) -> Milestone:
    """Submit a milestone for review (its evidence must already be attached)."""
    milestone = scope.get_visible(db, principal, Milestone, milestone_id)
    return milestones.advance_milestone(
        db, principal, milestone, "submit", today=today(settings_of(request))
    )


@router.get("/attachments/{attachment_id}/content")
def get_attachment(attachment_id: int, principal: ApiPrincipal, db: ReadDB) -> Response:
    """Download an evidence file of a project the token's owner may see."""
    return attachment_response(scope.get_visible(db, principal, Attachment, attachment_id))
