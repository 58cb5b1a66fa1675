"""What partners send from the portal: milestone evidence, progress updates, expenses, values.

Each function takes the same steps as the API (through the same services), checks what it
can before storing any file, and leaves nothing behind when a step is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from babel.numbers import get_currency_precision
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from grants.i18n import _
from grants.models import (
    Attachment,
    AuditEvent,
    BudgetLine,
    Expense,
    ExpenseCreate,
    Indicator,
    IndicatorValue,
    Milestone,
    ProgressUpdate,
    ProgressUpdateCreate,
    Project,
)
from grants.models.base import SCALE
from grants.services import attachments, budgets, facts, milestones, progress, scope
from grants.services.access import Principal, require_partner_editor
from grants.services.common import get_or_404
from grants.services.errors import Conflict, Invalid
from grants.services.rules import check_version, require_reporting
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


def reporting_refusal(project: Project) -> str | None:
    """Return why partners cannot report on ``project`` now, or None when they can."""
    try:
        require_reporting(project)
    except Conflict as refused:
        return refused.message
    return None


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


def record_expense(
    session: Session, principal: Principal, project: Project, data: ExpenseCreate, today: dt.date
) -> Expense:
    """Record an expense whose amount the project's currency can hold; return it."""
    places = min(get_currency_precision(project.currency), SCALE)
    if data.amount != data.amount.quantize(Decimal(1).scaleb(-places)):
        raise Invalid(
            "amount",
            str(data.amount),
            _("Use at most {places} decimal places for {currency}.").format(
                places=places, currency=project.currency
            ),
        )
    return budgets.record_expense(session, principal, project, data, today=today)


def evidence_of(
    session: Session, principal: Principal, owner: Milestone | ProgressUpdate
) -> list[Attachment]:
    """Return the evidence files on a milestone or progress update, newest first."""
    column = (
        Attachment.milestone_id if isinstance(owner, Milestone) else Attachment.progress_update_id
    )
    return list(
        session.exec(
            scope.visible(principal, Attachment)
            .where(column == owner.id)
            .order_by(col(Attachment.uploaded_at).desc(), col(Attachment.id).desc())
        ).all()
    )


def last_submission_note(session: Session, milestone: Milestone) -> str | None:
    """Return the note the partner gave with the milestone's latest submission, if any."""
    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.entity) == "milestone")
        .where(col(AuditEvent.entity_id) == str(milestone.id))
        .where(col(AuditEvent.reason).is_not(None))
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    ).all()
    for event in events:
        status = event.changes.get("status")
        if isinstance(status, dict) and status.get("after") == "submitted":
            return event.reason
    return None


def days_late(milestone: Milestone, today: dt.date) -> int:
    """Return how many days late the milestone is (open) or was (delivered)."""
    return facts.days_late(milestone, today)


def budget_balances(
    session: Session, project: Project
) -> list[tuple[BudgetLine, Decimal, Decimal]]:
    """Return each budget line of ``project`` with what was spent on it and what remains."""
    rows = session.execute(
        sa_select(col(Expense.budget_line_id), func.sum(Expense.amount))
        .where(col(Expense.project_id) == project.id)
        .group_by(col(Expense.budget_line_id))
    ).all()
    spent = {line_id: Decimal(total or 0) for line_id, total in rows}
    zero = Decimal(0)
    return [
        (line, spent.get(line.id, zero), line.amount - spent.get(line.id, zero))
        for line in budgets.budget_lines_of(session, project)
    ]


def recent_expenses(
    session: Session, principal: Principal, project: Project, limit: int = 10
) -> list[Expense]:
    """Return the latest expenses my organisations recorded on ``project``."""
    return list(
        session.exec(
            scope.visible(principal, Expense)
            .where(Expense.project_id == project.id)
            .where(col(Expense.organisation_id).in_(principal.partner_org_ids))
            .order_by(col(Expense.spent_on).desc(), col(Expense.id).desc())
            .limit(limit)
        ).all()
    )


def values_of(session: Session, indicator: Indicator) -> list[IndicatorValue]:
    """Return the values reported for ``indicator``, by period."""
    return list(
        session.exec(
            select(IndicatorValue)
            .where(IndicatorValue.indicator_id == indicator.id)
            .order_by(col(IndicatorValue.period_end))
        ).all()
    )


def next_update_period(
    session: Session, principal: Principal, project: Project, today: dt.date
) -> tuple[dt.date, dt.date]:
    """Return the period a new progress update should cover: from the last one to today."""
    last = session.exec(
        select(col(ProgressUpdate.period_end))
        .where(ProgressUpdate.project_id == project.id)
        .where(col(ProgressUpdate.organisation_id).in_(principal.partner_org_ids))
        .order_by(col(ProgressUpdate.period_end).desc())
    ).first()
    start = last + dt.timedelta(days=1) if last else project.actual_start or project.planned_start
    start = min(start, today)
    return start, today
