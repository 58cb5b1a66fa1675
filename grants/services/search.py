"""The questions lists ask: each entity's filters and sort keys, over what the principal sees."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import exists
from sqlmodel import Session, SQLModel, col, select

from grants.i18n import _
from grants.models import (
    Attachment,
    BudgetCategory,
    BudgetLine,
    Call,
    Expense,
    Indicator,
    IndicatorValue,
    IssuedReport,
    Milestone,
    MilestoneStatus,
    Organisation,
    OrganisationKind,
    PartnerRole,
    Programme,
    ProgressUpdate,
    Project,
    ProjectPartner,
    ProjectStatus,
    ReportKind,
    ReportScope,
    ReviewStatus,
    Tranche,
    TrancheStatus,
    User,
)
from grants.models.base import Day, Id
from grants.services import facts, scope
from grants.services.access import Principal, works_as_manager
from grants.services.errors import NotFound
from grants.services.listing import Filters, Page, page


def _words(where: str = "title") -> Any:
    return Field(default=None, min_length=1, max_length=100, description=f"Words in the {where}.")


def _text(column: Any, q: str | None) -> list[Any]:
    return [] if q is None else [col(column).icontains(q.strip(), autoescape=True)]


def _equal(model: type[SQLModel], **values: Any) -> list[Any]:
    return [
        col(getattr(model, name)) == value for name, value in values.items() if value is not None
    ]


def _between(column: Any, after: dt.date | None, before: dt.date | None) -> list[Any]:
    """Return conditions for ``after <= column < before`` (either bound may be missing)."""
    conditions = []
    if after is not None:
        conditions.append(col(column) >= after)
    if before is not None:
        conditions.append(col(column) < before)
    return conditions


def _overdue(today: dt.date) -> Any:
    """Overdue as every figure counts it: in a counted project (not a draft)."""
    counted = select(Project.id).where(col(Project.status).in_(sorted(facts.COUNTED_STATES)))
    return facts.overdue_condition(today) & col(Milestone.project_id).in_(counted)


class ProgrammeFilters(Filters):
    q: str | None = _words()
    sort: Literal["code", "-code", "title", "-title", "start_date", "-start_date"] = "code"


class CallFilters(Filters):
    programme_id: Id | None = None
    q: str | None = _words()
    sort: Literal["code", "-code", "opens_on", "-opens_on", "closes_on", "-closes_on"] = "code"


class OrganisationFilters(Filters):
    kind: OrganisationKind | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    q: str | None = _words("name")
    sort: Literal["ref", "-ref", "name", "-name", "country", "-country"] = "name"


class ProjectFilters(Filters):
    status: ProjectStatus | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    call_id: Id | None = None
    programme_id: Id | None = None
    organisation_id: Id | None = Field(default=None, description="A partner of the project.")
    manager_id: Id | None = None
    overdue: bool | None = Field(default=None, description="Has (or has no) overdue milestone.")
    q: str | None = _words()
    sort: Literal[
        "reference",
        "-reference",
        "title",
        "-title",
        "country",
        "-country",
        "city",
        "-city",
        "status",
        "-status",
        "awarded_amount",
        "-awarded_amount",
        "planned_end",
        "-planned_end",
        "updated_at",
        "-updated_at",
    ] = "reference"


class MilestoneFilters(Filters):
    project_id: Id | None = None
    status: MilestoneStatus | None = None
    organisation_id: Id | None = Field(default=None, description="The responsible partner.")
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    call_id: Id | None = None
    overdue: bool | None = None
    due_after: Day | None = Field(default=None, description="Due on or after this date.")
    due_before: Day | None = Field(default=None, description="Due before this date.")
    q: str | None = _words()
    sort: Literal["due_date", "-due_date", "position", "status", "title", "project_id"] = "due_date"


class TrancheFilters(Filters):
    project_id: Id | None = None
    status: TrancheStatus | None = None
    due_after: Day | None = Field(default=None, description="Planned on or after this date.")
    due_before: Day | None = Field(default=None, description="Planned before this date.")
    sort: Literal["planned_date", "-planned_date", "position", "amount", "-amount"] = "planned_date"


class BudgetLineFilters(Filters):
    project_id: Id | None = None
    category: BudgetCategory | None = None
    sort: Literal["code", "category", "amount", "-amount"] = "code"


class ExpenseFilters(Filters):
    project_id: Id | None = None
    budget_line_id: Id | None = None
    organisation_id: Id | None = None
    spent_after: Day | None = Field(default=None, description="Spent on or after this date.")
    spent_before: Day | None = Field(default=None, description="Spent before this date.")
    sort: Literal["spent_on", "-spent_on", "amount", "-amount"] = "-spent_on"


class IndicatorFilters(Filters):
    project_id: Id | None = None
    q: str | None = _words()
    sort: Literal["code", "title"] = "code"


class IndicatorValueFilters(Filters):
    project_id: Id | None = None
    indicator_id: Id | None = None
    sort: Literal["period_start", "-period_start"] = "period_start"


class ProgressUpdateFilters(Filters):
    project_id: Id | None = None
    organisation_id: Id | None = None
    status: ReviewStatus | None = None
    sort: Literal["period_start", "-period_start", "submitted_on", "-submitted_on"] = (
        "-period_start"
    )


class AttachmentFilters(Filters):
    project_id: Id | None = None
    milestone_id: Id | None = None
    progress_update_id: Id | None = None
    sort: Literal["uploaded_at", "-uploaded_at", "filename"] = "-uploaded_at"


class IssuedReportFilters(Filters):
    programme_id: Id | None = None
    kind: ReportKind | None = None
    scope: ReportScope | None = None
    sort: Literal["issued_at", "-issued_at", "as_of", "-as_of"] = "-issued_at"


class UserFilters(Filters):
    is_active: bool | None = None
    q: str | None = _words("name")
    sort: Literal["email", "full_name", "-created_at"] = "email"


def _visible_organisations(principal: Principal) -> Any:
    """Managers (who add partners) see the directory; others, the organisations they meet."""
    statement = select(Organisation)
    if works_as_manager(principal):
        return statement
    programmes = select(Programme).where(scope.programme_condition(principal))
    shown = select(Programme.managing_organisation_id).where(
        col(Programme.id).in_(programmes.with_only_columns(col(Programme.id)))
    )
    partners = select(ProjectPartner.organisation_id).where(
        col(ProjectPartner.project_id).in_(scope.visible_project_ids(principal))
    )
    return statement.where(
        col(Organisation.id).in_(shown)
        | col(Organisation.id).in_(partners)
        | col(Organisation.id).in_(principal.donor_org_ids | principal.partner_org_ids)
    )


def programmes(s: Session, p: Principal, f: ProgrammeFilters) -> Page[dict[str, Any]]:
    """Return a page of the programmes the principal sees."""
    query = scope.visible(p, Programme).where(*_text(Programme.title, f.q))
    return page(s, query, Programme, f.sort, f.paging)


def calls(s: Session, p: Principal, f: CallFilters) -> Page[dict[str, Any]]:
    """Return a page of the calls of the programmes the principal sees."""
    query = scope.visible(p, Call).where(
        *_equal(Call, programme_id=f.programme_id), *_text(Call.title, f.q)
    )
    return page(s, query, Call, f.sort, f.paging)


def organisations(s: Session, p: Principal, f: OrganisationFilters) -> Page[dict[str, Any]]:
    """Return a page of the organisations the principal may see."""
    query = _visible_organisations(p).where(
        *_equal(Organisation, kind=f.kind, country=f.country and f.country.upper()),
        *_text(Organisation.name, f.q),
    )
    return page(s, query, Organisation, f.sort, f.paging)


def visible_organisation(s: Session, p: Principal, ident: int) -> Organisation:
    """Return organisation ``ident`` if the principal may see it; else ``NotFound``."""
    found = s.exec(_visible_organisations(p).where(col(Organisation.id) == ident)).first()
    if found is None:
        raise NotFound(
            _("{label} {ident} does not exist.").format(label=_("Organisation"), ident=ident)
        )
    return found


def projects(s: Session, p: Principal, f: ProjectFilters, today: dt.date) -> Page[dict[str, Any]]:
    """Return a page of the projects the principal sees that match the filters."""
    return page(s, project_query(p, f, today), Project, f.sort, f.paging)


def project_query(p: Principal, f: ProjectFilters, today: dt.date) -> Any:
    """Return a select of the projects the principal sees that match the filters."""
    conditions = _equal(
        Project, status=f.status, country=f.country and f.country.upper(), call_id=f.call_id
    ) + _equal(Project, manager_id=f.manager_id)
    if f.programme_id is not None:
        conditions.append(
            col(Project.call_id).in_(select(Call.id).where(Call.programme_id == f.programme_id))
        )
    if f.organisation_id is not None:
        conditions.append(
            col(Project.id).in_(
                select(ProjectPartner.project_id).where(
                    ProjectPartner.organisation_id == f.organisation_id,
                    col(ProjectPartner.role) != PartnerRole.FUNDER,
                )
            )
        )
    if f.overdue is not None:
        late = exists().where(col(Milestone.project_id) == col(Project.id), _overdue(today))
        conditions.append(late if f.overdue else ~late)
    return scope.visible(p, Project).where(*conditions, *_text(Project.title, f.q))


def milestones(
    s: Session, p: Principal, f: MilestoneFilters, today: dt.date
) -> Page[dict[str, Any]]:
    """Return a page of the milestones of visible projects that match the filters."""
    conditions = _equal(
        Milestone,
        project_id=f.project_id,
        status=f.status,
        responsible_organisation_id=f.organisation_id,
    )
    conditions += _between(Milestone.due_date, f.due_after, f.due_before)
    if f.country is not None or f.call_id is not None:
        projects_in = select(Project.id).where(
            *_equal(Project, country=f.country and f.country.upper(), call_id=f.call_id)
        )
        conditions.append(col(Milestone.project_id).in_(projects_in))
    if f.overdue is not None:
        conditions.append(_overdue(today) if f.overdue else ~_overdue(today))
    query = scope.visible(p, Milestone).where(*conditions, *_text(Milestone.title, f.q))
    return page(s, query, Milestone, f.sort, f.paging)


def tranches(s: Session, p: Principal, f: TrancheFilters) -> Page[dict[str, Any]]:
    """Return a page of the tranches of visible projects that match the filters."""
    query = scope.visible(p, Tranche).where(
        *_equal(Tranche, project_id=f.project_id, status=f.status),
        *_between(Tranche.planned_date, f.due_after, f.due_before),
    )
    return page(s, query, Tranche, f.sort, f.paging)


def budget_lines(s: Session, p: Principal, f: BudgetLineFilters) -> Page[dict[str, Any]]:
    """Return a page of the budget lines of visible projects."""
    query = scope.visible(p, BudgetLine).where(
        *_equal(BudgetLine, project_id=f.project_id, category=f.category)
    )
    return page(s, query, BudgetLine, f.sort, f.paging)


def expenses(s: Session, p: Principal, f: ExpenseFilters) -> Page[dict[str, Any]]:
    """Return a page of the expenses of visible projects that match the filters."""
    query = scope.visible(p, Expense).where(
        *_equal(
            Expense,
            project_id=f.project_id,
            budget_line_id=f.budget_line_id,
            organisation_id=f.organisation_id,
        ),
        *_between(Expense.spent_on, f.spent_after, f.spent_before),
    )
    return page(s, query, Expense, f.sort, f.paging)


def indicators(s: Session, p: Principal, f: IndicatorFilters) -> Page[dict[str, Any]]:
    """Return a page of the indicators of visible projects."""
    query = scope.visible(p, Indicator).where(
        *_equal(Indicator, project_id=f.project_id), *_text(Indicator.title, f.q)
    )
    return page(s, query, Indicator, f.sort, f.paging)


def indicator_values(s: Session, p: Principal, f: IndicatorValueFilters) -> Page[dict[str, Any]]:
    """Return a page of the reported values of visible indicators."""
    query = scope.visible(p, IndicatorValue).where(
        *_equal(IndicatorValue, project_id=f.project_id, indicator_id=f.indicator_id)
    )
    return page(s, query, IndicatorValue, f.sort, f.paging)


def progress_updates(s: Session, p: Principal, f: ProgressUpdateFilters) -> Page[dict[str, Any]]:
    """Return a page of the progress updates the principal sees (drafts: only their own)."""
    query = scope.visible(p, ProgressUpdate).where(
        *_equal(
            ProgressUpdate,
            project_id=f.project_id,
            organisation_id=f.organisation_id,
            status=f.status,
        )
    )
    return page(s, query, ProgressUpdate, f.sort, f.paging)


def attachments(s: Session, p: Principal, f: AttachmentFilters) -> Page[dict[str, Any]]:
    """Return a page of the evidence files the principal sees."""
    query = scope.visible(p, Attachment).where(
        *_equal(
            Attachment,
            project_id=f.project_id,
            milestone_id=f.milestone_id,
            progress_update_id=f.progress_update_id,
        )
    )
    return page(s, query, Attachment, f.sort, f.paging)


def issued_reports(s: Session, p: Principal, f: IssuedReportFilters) -> Page[dict[str, Any]]:
    """Return a page of the issued reports the principal may download."""
    query = scope.visible(p, IssuedReport).where(
        *_equal(IssuedReport, programme_id=f.programme_id, kind=f.kind, scope=f.scope)
    )
    return page(s, query, IssuedReport, f.sort, f.paging)


def users(s: Session, f: UserFilters) -> Page[dict[str, Any]]:
    """Return a page of user accounts (the caller checks that an admin asks)."""
    query = select(User).where(*_equal(User, is_active=f.is_active), *_text(User.full_name, f.q))
    return page(s, query, User, f.sort, f.paging)
