"""What each partner form shows beside its fields: the object, its files, its history, limits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from grants.i18n import _
from grants.models import (
    Attachment,
    AuditEvent,
    BudgetLine,
    Expense,
    Indicator,
    IndicatorValue,
    Milestone,
    MilestoneStatus,
    ProgressUpdate,
    Project,
    ReviewStatus,
)
from grants.services import attachments, facts, progress, scope
from grants.services.access import Principal
from grants.services.common import get_or_404
from grants.services.errors import Conflict, NotFound
from grants.services.rules import require_reporting
from grants.services.workflow import MILESTONE


@dataclass(frozen=True)
class Upload:
    """The limits an evidence file must keep."""

    max_mb: int = attachments.MAX_BYTES // (1024 * 1024)
    total_mb: int = attachments.MAX_BYTES_PER_FORM // (1024 * 1024)
    types: str = ", ".join(sorted(attachments.SIGNATURES))
    accept: str = ",".join(sorted(attachments.SIGNATURES))


@dataclass(frozen=True)
class MilestoneView:
    """A milestone as its submission form shows it."""

    project: Project
    state: facts.MilestoneFacts
    files: list[Attachment]
    last_note: str | None
    blocked: str | None
    upload: Upload = field(default_factory=Upload)


@dataclass(frozen=True)
class UpdateView:
    """A progress update (or a new one) as its form shows it."""

    files: list[Attachment]
    period: tuple[dt.date, dt.date]
    blocked: str | None
    upload: Upload = field(default_factory=Upload)


@dataclass(frozen=True)
class ExpenseView:
    """The budget lines an expense may go on, and the latest expenses recorded."""

    lines: list[facts.BudgetBalance]
    recent: list[Expense]
    blocked: str | None


@dataclass(frozen=True)
class ValueView:
    """An indicator with the values reported so far and where the next period starts."""

    project: Project
    reported: list[IndicatorValue]
    next_start: dt.date
    blocked: str | None


def _day_after(day: dt.date) -> dt.date:
    """Return the day after ``day``, where a new period starts (the last day stays the last:
    a period stored before dates were bounded may end on 9999-12-31)."""
    return day if day >= dt.date.max else day + dt.timedelta(days=1)


def reporting_refusal(project: Project) -> str | None:
    """Return why partners cannot report on ``project`` now, or None when they can."""
    try:
        require_reporting(project)
    except Conflict as refused:
        return refused.message
    return None


def submission_refusal(project: Project, milestone: Milestone) -> str | None:
    """Return why the milestone cannot be submitted now, or None when it can."""
    refusal = reporting_refusal(project)
    if refusal or "submit" in MILESTONE.allowed_from(milestone.status):
        return refusal
    if milestone.status == MilestoneStatus.SUBMITTED:
        return _(
            "This milestone was submitted on {date} and is waiting for the grant manager's review."
        ).format(date=milestone.submitted_on)
    if milestone.status == MilestoneStatus.ACCEPTED:
        return _("This milestone was accepted on {date}; nothing more is needed.").format(
            date=milestone.accepted_on
        )
    return _("This milestone was cancelled: {reason}").format(reason=milestone.review_note)


def update_refusal(project: Project, update: ProgressUpdate | None) -> str | None:
    """Return why the progress update cannot be changed now, or None when it can."""
    refusal = reporting_refusal(project)
    if refusal or update is None or update.status in progress.EDITABLE:
        return refusal
    if update.status == ReviewStatus.SUBMITTED:
        return _(
            "This update was submitted on {date} and is waiting for the grant manager's review; "
            "it can no longer be changed."
        ).format(date=update.submitted_on)
    return _("This update was approved on {date}; it can no longer be changed.").format(
        date=update.reviewed_on
    )


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


def milestone_view(
    session: Session, principal: Principal, milestone: Milestone, today: dt.date
) -> MilestoneView:
    """Return what the submission form shows about ``milestone``."""
    project = get_or_404(session, Project, milestone.project_id, "Project")
    return MilestoneView(
        project=project,
        state=facts.facts_of(milestone, today),
        files=evidence_of(session, principal, milestone),
        last_note=last_submission_note(session, milestone),
        blocked=submission_refusal(project, milestone),
    )


def update_view(
    session: Session,
    principal: Principal,
    project: Project,
    update: ProgressUpdate | None,
    today: dt.date,
) -> UpdateView:
    """Return what the progress update form shows: files, the period to cover, refusals."""
    last = session.exec(
        select(col(ProgressUpdate.period_end))
        .where(ProgressUpdate.project_id == project.id)
        .where(col(ProgressUpdate.organisation_id).in_(principal.partner_org_ids))
        .order_by(col(ProgressUpdate.period_end).desc())
    ).first()
    start = _day_after(last) if last else project.actual_start or project.planned_start
    return UpdateView(
        files=evidence_of(session, principal, update) if update else [],
        period=(min(start, today), today),
        blocked=update_refusal(project, update),
    )


def expense_view(session: Session, principal: Principal, project: Project) -> ExpenseView:
    """Return each budget line's remaining amount and my organisations' latest expenses."""
    recent = session.exec(
        scope.visible(principal, Expense)
        .where(Expense.project_id == project.id)
        .where(col(Expense.organisation_id).in_(principal.partner_org_ids))
        .order_by(col(Expense.spent_on).desc(), col(Expense.id).desc())
        .limit(10)
    ).all()
    return ExpenseView(
        lines=facts.budget_balances(session, project.id),
        recent=list(recent),
        blocked=reporting_refusal(project),
    )


def budget_line_of(view: ExpenseView, line_id: int) -> BudgetLine:
    """Return the project's budget line ``line_id``; ``NotFound`` for any other line."""
    for balance in view.lines:
        if balance.line.id == line_id:
            return balance.line
    raise NotFound(_("Budget line {ident} does not exist.").format(ident=line_id))


def value_view(session: Session, indicator: Indicator) -> ValueView:
    """Return the indicator's project, its values by period and where the next one starts."""
    project = get_or_404(session, Project, indicator.project_id, "Project")
    reported = list(
        session.exec(
            select(IndicatorValue)
            .where(IndicatorValue.indicator_id == indicator.id)
            .order_by(col(IndicatorValue.period_end))
        ).all()
    )
    start = project.actual_start or project.planned_start
    return ValueView(
        project=project,
        reported=reported,
        next_start=_day_after(reported[-1].period_end) if reported else start,
        blocked=reporting_refusal(project),
    )
