"""What partners send from the portal: milestone evidence and progress updates with their files.

Each function takes the same steps as the API (through the same services), checks what it
can before storing any file, and leaves nothing behind when a step is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from grants.models import (
    Attachment,
    Indicator,
    Milestone,
    ProgressUpdate,
    ProgressUpdateCreate,
    Project,
)
from grants.models.base import Reason
from grants.services import attachments, forms, milestones, progress
from grants.services.access import Principal, require_partner_editor
from grants.services.common import get_or_404
from grants.services.rules import check_version
from grants.services.workflow import MILESTONE, PROGRESS_UPDATE

Files = list[tuple[str, bytes]]
R = TypeVar("R")


def _keeping_no_file_on_failure(stored: list[Attachment], step: Callable[[], R]) -> R:
    """Run ``step``; if it fails, remove the files stored so far (their rows roll back)."""
    try:
        return step()
    except Exception:
        for attachment in stored:
            attachments.discard(attachment)
        raise


def _attach_all(
    session: Session, principal: Principal, owner: Milestone | ProgressUpdate, files: Files
) -> list[Attachment]:
    stored: list[Attachment] = []

    def attach() -> list[Attachment]:
        for filename, content in files:
            stored.append(attachments.attach(session, principal, owner, filename, content))
        return stored

    return _keeping_no_file_on_failure(stored, attach)


def project_of(session: Session, owner: Milestone | ProgressUpdate | Indicator) -> Project:
    """Return the project a milestone, progress update or indicator belongs to."""
    return get_or_404(session, Project, owner.project_id, "Project")


def require_editor(
    session: Session, principal: Principal, project: Project, organisation_id: int | None = None
) -> None:
    """Raise ``NotAllowed`` unless the principal may report for ``organisation_id``."""
    require_partner_editor(session, principal, project, organisation_id)


def submit_milestone(
    session: Session,
    principal: Principal,
    milestone: Milestone,
    files: Files,
    *,
    note: str,
    today: dt.date,
    expected_version: int | None,
) -> Milestone:
    """Attach the evidence files and submit the milestone, the note kept as the reason why."""
    project = project_of(session, milestone)
    require_partner_editor(session, principal, project, milestone.responsible_organisation_id)
    forms.checked_text("note", note, Reason)
    MILESTONE.check("submit", milestone.status)
    check_version(milestone, expected_version)
    stored = _attach_all(session, principal, milestone, files)
    return _keeping_no_file_on_failure(
        stored,
        lambda: milestones.advance_milestone(
            session,
            principal,
            milestone,
            "submit",
            today=today,
            reason=note.strip() or None,
            expected_version=expected_version,
        ),
    )


def save_progress_update(
    session: Session,
    principal: Principal,
    project: Project,
    data: ProgressUpdateCreate,
    *,
    update: ProgressUpdate | None,
    submit: bool,
    files: Files,
    today: dt.date,
    expected_version: int | None = None,
) -> ProgressUpdate:
    """Start or edit a progress update, attach files, and submit it if asked; return it."""
    if update is None:
        update = progress.start_update(session, principal, project, data, today=today)
    else:
        if submit:
            PROGRESS_UPDATE.check("submit", update.status)
        update = progress.edit_update(
            session, principal, update, data, today=today, expected_version=expected_version
        )
    saved = update
    stored = _attach_all(session, principal, saved, files)
    if not submit:
        return saved
    return _keeping_no_file_on_failure(
        stored, lambda: progress.advance_update(session, principal, saved, "submit", today=today)
    )
