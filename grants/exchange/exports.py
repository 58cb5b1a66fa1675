"""Every entity as a table, scoped to who asks: one sheet (or CSV file) per entity.

The sheets the import reads have the import's columns, plus a few it ignores (statuses and
dates the workflow sets), so an exported workbook imports back unchanged. Each sheet is
read with one query (and one more for a list column such as objectives or gates).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from grants.exchange.import_common import shown
from grants.exchange.layout import IMPORT_SHEETS, SHEETS
from grants.exchange.tables import ZIP_TIME, csv_bytes, workbook_bytes
from grants.i18n import _
from grants.models import (
    BudgetLine,
    Call,
    Expense,
    Indicator,
    IndicatorValue,
    Milestone,
    Objective,
    Organisation,
    PartnerRole,
    Programme,
    ProgressUpdate,
    Project,
    ProjectObjective,
    ProjectPartner,
    ProjectSector,
    Tranche,
    TrancheGate,
    User,
)
from grants.services import scope
from grants.services.access import Principal
from grants.services.errors import NotAllowed

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Table:
    """A sheet's column names and rows."""

    columns: Sequence[str]
    rows: Rows


def may_export(principal: Principal) -> bool:
    """Return whether the principal may export (grant managers and administrators)."""
    return principal.is_admin or bool(principal.manager_org_ids)


def _columns(*attributes: Any) -> Any:
    """Return a select of many columns (SQLModel's ``select`` takes at most four)."""
    return sa_select(*attributes)


def _visible(principal: Principal) -> Any:
    return scope.visible_project_ids(principal)


def _grouped(pairs: Sequence[tuple[int, Any]]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for owner, value in pairs:
        grouped.setdefault(owner, []).append(value)
    return grouped


def organisations(session: Session, principal: Principal) -> Table:
    """Return every organisation (the directory grant managers work with)."""
    rows = session.execute(
        _columns(
            Organisation.ref,
            Organisation.name,
            Organisation.kind,
            Organisation.country,
            Organisation.city,
            Organisation.org_identifier,
            Organisation.website,
            Organisation.is_fictional,
        ).order_by(col(Organisation.ref))
    ).all()
    return Table([c.name for c in SHEETS["organisations"].columns], list(rows))


def projects(session: Session, principal: Principal) -> Table:
    """Return the visible projects with their call, manager, objectives, lead and sectors."""
    ids = _visible(principal)
    lead = aliased(Organisation)
    rows = session.exec(
        select(Project, Call.code, User.email, lead.ref)
        .join(Call, col(Call.id) == col(Project.call_id))
        .outerjoin(User, col(User.id) == col(Project.manager_id))
        .outerjoin(
            ProjectPartner,
            (col(ProjectPartner.project_id) == col(Project.id))
            & (col(ProjectPartner.role) == PartnerRole.LEAD),
        )
        .outerjoin(lead, col(lead.id) == col(ProjectPartner.organisation_id))
        .where(col(Project.id).in_(ids))
        .order_by(col(Project.reference))
    ).all()
    objectives = _grouped(
        session.exec(
            select(ProjectObjective.project_id, Objective.code)
            .join(Objective, col(Objective.id) == col(ProjectObjective.objective_id))
            .where(col(ProjectObjective.project_id).in_(ids))
            .order_by(col(Objective.code))
        ).all()
    )
    sectors = _grouped(
        session.exec(
            select(ProjectSector.project_id, ProjectSector)
            .where(col(ProjectSector.project_id).in_(ids), ProjectSector.vocabulary == "1")
            .order_by(col(ProjectSector.code))
        ).all()
    )
    table = []
    for project, call_code, manager, lead_ref in rows:
        sector_text = "; ".join(
            f"{s.code}: {shown(s.percentage)}" for s in sectors.get(project.id, [])
        )
        table.append(
            (
                project.reference,
                call_code,
                project.title,
                project.summary,
                project.city,
                project.country,
                project.currency,
                project.awarded_amount,
                project.planned_start,
                project.planned_end,
                manager,
                "; ".join(objectives.get(project.id, [])),
                lead_ref,
                sector_text,
                project.status,
                project.actual_start,
                project.actual_end,
            )
        )
    return Table([c.name for c in SHEETS["projects"].columns], table)


def partners(session: Session, principal: Principal) -> Table:
    """Return the partners of the visible projects, lead first."""
    rows = session.exec(
        select(Project.reference, Organisation.ref, ProjectPartner.role)
        .join(Project, col(Project.id) == col(ProjectPartner.project_id))
        .join(Organisation, col(Organisation.id) == col(ProjectPartner.organisation_id))
        .where(col(Project.id).in_(_visible(principal)))
        .order_by(
            col(Project.reference),
            col(ProjectPartner.role) != PartnerRole.LEAD,
            col(Organisation.ref),
        )
    ).all()
    return Table([c.name for c in SHEETS["partners"].columns], list(rows))


def milestones(session: Session, principal: Principal) -> Table:
    """Return the milestones of the visible projects, in order."""
    rows = session.execute(
        _columns(
            Project.reference,
            Milestone.position,
            Milestone.title,
            Milestone.description,
            Milestone.due_date,
            Milestone.evidence_required,
            Organisation.ref,
            Milestone.baseline_due_date,
            Milestone.status,
            Milestone.submitted_on,
            Milestone.accepted_on,
        )
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .outerjoin(Organisation, col(Organisation.id) == col(Milestone.responsible_organisation_id))
        .where(col(Project.id).in_(_visible(principal)))
        .order_by(col(Project.reference), col(Milestone.position))
    ).all()
    return Table([c.name for c in SHEETS["milestones"].columns], list(rows))


def tranches(session: Session, principal: Principal) -> Table:
    """Return the tranches of the visible projects with their gate milestones' numbers."""
    ids = _visible(principal)
    gates = _grouped(
        session.exec(
            select(TrancheGate.tranche_id, Milestone.position)
            .join(Milestone, col(Milestone.id) == col(TrancheGate.milestone_id))
            .where(col(TrancheGate.project_id).in_(ids))
            .order_by(col(Milestone.position))
        ).all()
    )
    rows = session.exec(
        select(Project.reference, Tranche)
        .join(Project, col(Project.id) == col(Tranche.project_id))
        .where(col(Project.id).in_(ids))
        .order_by(col(Project.reference), col(Tranche.position))
    ).all()
    table = [
        (
            reference,
            t.position,
            t.amount,
            t.currency,
            t.planned_date,
            "; ".join(str(n) for n in gates.get(t.id, [])),
            t.status,
            t.paid_on,
            t.paid_amount,
        )
        for reference, t in rows
    ]
    return Table([c.name for c in SHEETS["tranches"].columns], table)


def budget_lines(session: Session, principal: Principal) -> Table:
    """Return the budget lines of the visible projects."""
    rows = session.execute(
        _columns(
            Project.reference,
            BudgetLine.code,
            BudgetLine.category,
            BudgetLine.description,
            BudgetLine.amount,
            BudgetLine.currency,
        )
        .join(Project, col(Project.id) == col(BudgetLine.project_id))
        .where(col(Project.id).in_(_visible(principal)))
        .order_by(col(Project.reference), col(BudgetLine.code))
    ).all()
    return Table([c.name for c in SHEETS["budget_lines"].columns], list(rows))


def programmes(session: Session, principal: Principal) -> Table:
    """Return the visible programmes with their managing organisation."""
    rows = session.execute(
        scope.visible(principal, Programme)
        .join(Organisation, col(Organisation.id) == col(Programme.managing_organisation_id))
        .add_columns(Organisation.ref)
        .order_by(col(Programme.code))
    ).all()
    columns = ["code", "title", "currency", "budget", "start_date", "end_date", "managed_by"]
    return Table(
        columns,
        [(p.code, p.title, p.currency, p.budget, p.start_date, p.end_date, ref) for p, ref in rows],
    )


def calls(session: Session, principal: Principal) -> Table:
    """Return the visible calls with their programme."""
    rows = session.execute(
        scope.visible(principal, Call)
        .join(Programme, col(Programme.id) == col(Call.programme_id))
        .add_columns(Programme.code)
        .order_by(col(Call.code))
    ).all()
    columns = ["code", "programme", "title", "opens_on", "closes_on", "currency", "max_amount"]
    return Table(
        columns,
        [(c.code, p, c.title, c.opens_on, c.closes_on, c.currency, c.max_amount) for c, p in rows],
    )


def expenses(session: Session, principal: Principal) -> Table:
    """Return the expenses recorded on the visible projects."""
    rows = session.execute(
        _columns(
            Project.reference,
            BudgetLine.code,
            Organisation.ref,
            Expense.spent_on,
            Expense.amount,
            Expense.currency,
            Expense.description,
            Expense.reference,
        )
        .join(Project, col(Project.id) == col(Expense.project_id))
        .join(BudgetLine, col(BudgetLine.id) == col(Expense.budget_line_id))
        .join(Organisation, col(Organisation.id) == col(Expense.organisation_id))
        .where(col(Project.id).in_(_visible(principal)))
        .order_by(col(Project.reference), col(Expense.spent_on), col(Expense.id))
    ).all()
    columns = ["project_reference", "budget_line", "organisation", "spent_on", "amount"]
    return Table([*columns, "currency", "description", "reference"], list(rows))


def indicators(session: Session, principal: Principal) -> Table:
    """Return the indicators of the visible projects."""
    rows = session.execute(
        _columns(
            Project.reference,
            Indicator.code,
            Indicator.title,
            Indicator.unit,
            Indicator.baseline,
            Indicator.target,
        )
        .join(Project, col(Project.id) == col(Indicator.project_id))
        .where(col(Project.id).in_(_visible(principal)))
        .order_by(col(Project.reference), col(Indicator.code))
    ).all()
    columns = ["project_reference", "code", "title", "unit", "baseline", "target"]
    return Table(columns, list(rows))


def indicator_values(session: Session, principal: Principal) -> Table:
    """Return the indicator values reported on the visible projects."""
    rows = session.execute(
        _columns(
            Project.reference,
            Indicator.code,
            IndicatorValue.period_start,
            IndicatorValue.period_end,
            IndicatorValue.value,
            IndicatorValue.note,
        )
        .join(Project, col(Project.id) == col(IndicatorValue.project_id))
        .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
        .where(col(Project.id).in_(_visible(principal)))
        .order_by(col(Project.reference), col(Indicator.code), col(IndicatorValue.period_end))
    ).all()
    columns = ["project_reference", "indicator", "period_start", "period_end", "value", "note"]
    return Table(columns, list(rows))


def progress_updates(session: Session, principal: Principal) -> Table:
    """Return the progress updates the principal may see on the visible projects."""
    rows = session.execute(
        scope.visible(principal, ProgressUpdate)
        .join(Project, col(Project.id) == col(ProgressUpdate.project_id))
        .join(Organisation, col(Organisation.id) == col(ProgressUpdate.organisation_id))
        .add_columns(Project.reference, Organisation.ref)
        .order_by(col(Project.reference), col(ProgressUpdate.period_end), col(ProgressUpdate.id))
    ).all()
    columns = ["project_reference", "organisation", "period_start", "period_end", "status"]
    columns += ["overall_status", "percent_complete", "achievements", "challenges", "next_steps"]
    return Table(
        columns,
        [
            (ref, org, u.period_start, u.period_end, u.status, u.overall_status, *_texts(u))
            for u, ref, org in rows
        ],
    )


def _texts(update: ProgressUpdate) -> tuple[Any, ...]:
    return (update.percent_complete, update.achievements, update.challenges, update.next_steps)


EXPORTS: dict[str, Callable[[Session, Principal], Table]] = {
    "programmes": programmes,
    "calls": calls,
    "organisations": organisations,
    "projects": projects,
    "partners": partners,
    "milestones": milestones,
    "tranches": tranches,
    "budget_lines": budget_lines,
    "expenses": expenses,
    "indicators": indicators,
    "indicator_values": indicator_values,
    "progress_updates": progress_updates,
}
assert all(sheet.name in EXPORTS for sheet in IMPORT_SHEETS)


def export_tables(
    session: Session, principal: Principal, names: Sequence[str] | None = None
) -> dict[str, Table]:
    """Return the tables named (default: every entity) the principal may export."""
    if not may_export(principal):
        raise NotAllowed(_("Only a grant manager or an administrator may export data."))
    return {name: EXPORTS[name](session, principal) for name in names or EXPORTS}


def tables_xlsx(tables: dict[str, Table]) -> bytes:
    """Return the tables as one workbook, a sheet each."""
    return workbook_bytes({name: (t.columns, t.rows) for name, t in tables.items()})


def tables_csv_zip(tables: dict[str, Table]) -> bytes:
    """Return the tables as a zip of CSV files named after their sheets."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables.items():
            entry = zipfile.ZipInfo(f"{name}.csv", date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, csv_bytes(table.columns, table.rows))
    return buffer.getvalue()
