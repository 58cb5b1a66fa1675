"""The project list as people filter it: search, call, country, status and risk, with risks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlmodel import Session, col, select

from grants.models import Call, Project
from grants.services import facts, scope, search, snapshot
from grants.services.access import Principal
from grants.services.listing import Page, page

DOWNLOAD_LIMIT = 10_000


class ProjectListFilters(search.ProjectFilters):
    at_risk: bool | None = Field(default=None, description="Is (or is not) at risk today.")


def project_query(
    session: Session,
    principal: Principal,
    f: ProjectListFilters,
    today: dt.date,
    known: snapshot.Snapshot | None = None,
) -> Any:
    """Return a select of the visible projects matching every filter, the risk one included."""
    base = search.ProjectFilters.model_validate(f.model_dump(exclude={"at_risk"}))
    query = search.project_query(principal, base, today)
    if f.at_risk is not None:
        known = known or snapshot.current(session, today)
        # The query keeps these to the projects the principal may see.
        flagged = [pid for pid, found in known.projects.items() if found.reasons]
        query = query.where(
            col(Project.id).in_(flagged) if f.at_risk else col(Project.id).not_in(flagged)
        )
    return query


def project_list(
    session: Session,
    principal: Principal,
    f: ProjectListFilters,
    today: dt.date,
    *,
    everything: bool = False,
) -> Page[dict[str, Any]]:
    """Return a page of the matching projects (or all of them), each with its call, figures
    and risks."""
    paging = (
        f.paging.model_copy(update={"limit": DOWNLOAD_LIMIT, "offset": 0})
        if everything
        else f.paging
    )
    known = snapshot.current(session, today)  # one view of the risks for filter and rows
    query = project_query(session, principal, f, today, known)
    found = page(session, query, Project, f.sort, paging)
    _add_calls_and_risks(session, found.items, known)
    return found


def _add_calls_and_risks(
    session: Session, rows: list[dict[str, Any]], known: snapshot.Snapshot
) -> None:
    """Add each row's call code and at-risk reasons, in a fixed number of queries."""
    if not rows:
        return
    calls = dict(
        session.exec(
            select(Call.id, Call.code).where(col(Call.id).in_({row["call_id"] for row in rows}))
        ).all()
    )
    for row in rows:
        row["call_code"] = calls.get(row["call_id"], "")
        found = known.projects.get(row["id"])
        row["risks"] = list(found.reasons) if found else []
        row["at_risk"] = bool(row["risks"])
        if found is not None:
            figures = found.figures
            row |= {
                "awarded": figures.awarded,
                "disbursed": figures.disbursed,
                "spent": figures.spent,
                "milestones_overdue": figures.milestones_overdue,
            }


def list_totals(
    session: Session, principal: Principal, f: ProjectListFilters, today: dt.date
) -> facts.Totals:
    """Return the totals (``facts.totals``) of every project matching the filters.

    Paging through the list or sorting it does not change them, so they are computed once
    per principal and filters, and again only after a write or on a new day.
    """
    known = snapshot.current(session, today)
    matching = f.model_dump_json(exclude={"limit", "offset", "sort"})

    def compute() -> facts.Totals:
        query = project_query(session, principal, f, today, known)
        ids = session.exec(query.with_only_columns(col(Project.id)).order_by(None)).all()
        return facts.totals(known.projects[pid].figures for pid in ids if pid in known.projects)

    result: facts.Totals = snapshot.remembered(
        session, known, ("list-totals", principal, matching), compute
    )
    return result


def filter_choices(session: Session, principal: Principal) -> dict[str, list[Any]]:
    """Return the calls and countries the principal's projects come from, for the filters."""
    calls = session.exec(scope.visible(principal, Call).order_by(col(Call.code))).all()
    countries = session.exec(
        select(Project.country)
        .where(scope.project_condition(principal))
        .distinct()
        .order_by(col(Project.country))
    ).all()
    return {"calls": list(calls), "countries": list(countries)}
