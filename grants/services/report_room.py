"""The donor's report room: the programmes a principal funds, their projects and reports.

Everything is read in a fixed number of queries, whatever the number of programmes and
projects: the programmes, their funders and calls, the projects with their figures and totals (the
grouped queries of ``facts``), and the issued reports without their PDF bytes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from grants.i18n import _
from grants.models import (
    Call,
    IssuedReport,
    Organisation,
    Programme,
    ProgrammeFunder,
    Project,
    ReportScope,
)
from grants.services import facts, scope
from grants.services.access import Principal
from grants.services.errors import NotFound
from grants.services.facts import ProjectFigures

Labels = dict[tuple[ReportScope, int], str]


@dataclass(frozen=True)
class ProjectLine:
    """One funded project with its key figures and why it is at risk, if it is."""

    project: Project
    figures: ProjectFigures
    risks: tuple[str, ...]


@dataclass(frozen=True)
class IssuedLine:
    """An issued report as the room lists it: what it covers, and the record itself."""

    report: IssuedReport
    covers: str


@dataclass(frozen=True)
class ProgrammeRoom:
    """What a funder sees of one programme."""

    programme: Programme
    funders: list[tuple[Organisation, ProgrammeFunder]]
    calls: list[Call]
    projects: list[ProjectLine]
    totals: facts.Totals
    reports: list[IssuedLine]

    @property
    def money(self) -> facts.Money:
        """The totals' money in the programme's currency."""
        return self.totals.in_currency(self.programme.currency)


def _projects_by_programme(
    session: Session, principal: Principal, programme_ids: list[int], today: dt.date
) -> dict[int, list[ProjectLine]]:
    rows = session.exec(
        select(Project, Call.programme_id)
        .join(Call, col(Call.id) == col(Project.call_id))
        .where(col(Call.programme_id).in_(programme_ids))
        .where(scope.project_condition(principal))
        .order_by(col(Project.reference))
    ).all()
    figures = facts.project_figures(session, today, [project.id for project, _p in rows])
    found: dict[int, list[ProjectLine]] = defaultdict(list)
    for project, programme_id in rows:
        numbers = figures[project.id]
        found[programme_id].append(ProjectLine(project, numbers, numbers.reasons))
    return found


def _issued(
    session: Session, principal: Principal, programme_ids: list[int], labels: Labels
) -> dict[int, list[IssuedLine]]:
    reports: list[IssuedReport] = list(
        session.exec(
            scope.visible(principal, IssuedReport)
            .options(defer(IssuedReport.pdf))  # type: ignore[arg-type]
            .where(col(IssuedReport.programme_id).in_(programme_ids))
            .order_by(col(IssuedReport.issued_at).desc(), col(IssuedReport.id).desc())
        ).all()
    )
    found: dict[int, list[IssuedLine]] = defaultdict(list)
    for report in reports:
        covers = labels.get((report.scope, report.scope_id), report.filename)
        found[report.programme_id].append(IssuedLine(report, covers))
    return found


def _funders_and_calls(
    session: Session, ids: list[int]
) -> tuple[dict[int, list[tuple[Organisation, ProgrammeFunder]]], dict[int, list[Call]]]:
    """Return the funders (largest contribution first) and the calls of each programme."""
    funders: dict[int, list[tuple[Organisation, ProgrammeFunder]]] = defaultdict(list)
    for organisation, funder in session.exec(
        select(Organisation, ProgrammeFunder)
        .join(ProgrammeFunder, col(ProgrammeFunder.organisation_id) == col(Organisation.id))
        .where(col(ProgrammeFunder.programme_id).in_(ids))
        .order_by(col(ProgrammeFunder.amount).desc())
    ):
        funders[funder.programme_id].append((organisation, funder))
    calls: dict[int, list[Call]] = defaultdict(list)
    for call in session.exec(
        select(Call).where(col(Call.programme_id).in_(ids)).order_by(col(Call.opens_on))
    ):
        calls[call.programme_id].append(call)
    return funders, calls


def programme_room(
    session: Session, principal: Principal, programme_id: int, today: dt.date
) -> ProgrammeRoom:
    """Return one programme of the report room; ``NotFound`` if the principal has no room
    for it."""
    rooms = report_room(session, principal, today, programme_id=programme_id)
    if not rooms:
        raise NotFound(
            _("{label} {ident} does not exist.").format(label=_("Programme"), ident=programme_id)
        )
    return rooms[0]


def report_room(
    session: Session, principal: Principal, today: dt.date, *, programme_id: int | None = None
) -> list[ProgrammeRoom]:
    """Return each programme the principal funds (or manages), with projects and reports;
    only programme ``programme_id`` if given."""
    query = select(Programme).where(scope.programme_condition(principal, as_partner=False))
    if programme_id is not None:
        query = query.where(col(Programme.id) == programme_id)
    programmes = list(session.exec(query.order_by(col(Programme.code))).all())
    ids = [programme.id for programme in programmes]
    if not ids:
        return []
    funders, calls = _funders_and_calls(session, ids)
    projects = _projects_by_programme(session, principal, ids, today)
    labels: Labels = {(ReportScope.PROGRAMME, p.id): p.code for p in programmes}
    labels |= {(ReportScope.CALL, c.id): c.code for found in calls.values() for c in found}
    labels |= {
        (ReportScope.PROJECT, line.project.id): line.project.reference
        for found in projects.values()
        for line in found
    }
    reports = _issued(session, principal, ids, labels)
    return [
        ProgrammeRoom(
            programme=p,
            funders=funders[p.id],
            calls=calls[p.id],
            projects=projects[p.id],
            totals=facts.totals(line.figures for line in projects[p.id]),
            reports=reports[p.id],
        )
        for p in programmes
    ]
