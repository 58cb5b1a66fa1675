"""Partners' narrative progress updates and their review."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from grants.i18n import _
from grants.models import ProgressUpdate, ProgressUpdateCreate, Project, ReviewStatus
from grants.services.access import Principal, require_manager, require_partner_editor
from grants.services.common import get_or_404, note_reason, step_reason, writes
from grants.services.errors import Conflict, Invalid
from grants.services.rules import check_version, require_reporting
from grants.services.workflow import PROGRESS_UPDATE, Actor

EDITABLE = frozenset({ReviewStatus.DRAFT, ReviewStatus.RETURNED})


def _check_period(project: Project, data: ProgressUpdateCreate, today: dt.date) -> None:
    if data.period_start < project.planned_start:
        raise Invalid(
            "period_start",
            data.period_start.isoformat(),
            _("must not be before the project starts"),
        )
    if data.period_start > today:
        raise Invalid("period_start", data.period_start.isoformat(), _("must not be in the future"))


@writes
def start_update(
    session: Session,
    principal: Principal,
    project: Project,
    data: ProgressUpdateCreate,
    *,
    today: dt.date,
    organisation_id: int | None = None,
) -> ProgressUpdate:
    """Create a draft progress update for the acting partner and return it."""
    organisation_id = require_partner_editor(session, principal, project, organisation_id)
    if organisation_id is None:
        raise Invalid("organisation_id", None, _("say which organisation reports"))
    require_reporting(project)
    _check_period(project, data, today)
    update = ProgressUpdate.model_validate(
        data,
        update={
            "project_id": project.id,
            "organisation_id": organisation_id,
            "author_id": principal.user_id,
        },
    )
    session.add(update)
    return update


@writes
def edit_update(
    session: Session,
    principal: Principal,
    update: ProgressUpdate,
    data: ProgressUpdateCreate,
    *,
    today: dt.date,
    expected_version: int | None = None,
) -> ProgressUpdate:
    """Replace the text and figures of a draft or returned update and return it."""
    project = get_or_404(session, Project, update.project_id, "Project")
    require_partner_editor(session, principal, project, update.organisation_id)
    check_version(update, expected_version)
    require_reporting(project)
    if update.status not in EDITABLE:
        raise Conflict(
            _("A progress update that is {status} can no longer be edited.").format(
                status=update.status.value
            )
        )
    _check_period(project, data, today)
    for key, value in data.model_dump().items():
        setattr(update, key, value)
    session.add(update)
    return update


@writes
def advance_update(
    session: Session,
    principal: Principal,
    update: ProgressUpdate,
    step: str,
    *,
    today: dt.date,
    reason: str | None = None,
    expected_version: int | None = None,
) -> ProgressUpdate:
    """Take workflow ``step`` (submit, approve, return) and return the update."""
    project = get_or_404(session, Project, update.project_id, "Project")
    if PROGRESS_UPDATE.step(step).actor is Actor.MANAGER:
        require_manager(session, principal, project)
    else:
        require_partner_editor(session, principal, project, update.organisation_id)
    transition = PROGRESS_UPDATE.check(step, update.status)
    check_version(update, expected_version)
    require_reporting(project)
    reason = step_reason(reason, required=transition.needs_reason)
    if step == "submit":
        update.submitted_on = today
    else:
        update.reviewed_on = today
        update.reviewer_id = principal.user_id
        update.review_note = reason
    update.status = ReviewStatus(transition.target)
    session.add(update)
    note_reason(session, reason)
    return update
