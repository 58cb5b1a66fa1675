"""Key figures, risks and roll-ups from the frames: what the project and portfolio reports say."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import true
from sqlalchemy.orm import Session

from grants.models import Call, Programme
from grants.services import facts
from reports import frames

ZERO = Decimal(0)


@dataclass(frozen=True)
class ProjectReportData:
    """Everything the project progress report shows, as frames and rows."""

    as_of: dt.date
    project: dict[str, Any]
    figures: dict[str, Any]
    partners: pd.DataFrame
    milestones: pd.DataFrame
    tranches: pd.DataFrame
    budget: pd.DataFrame
    indicators: pd.DataFrame
    narrative: dict[str, Any] | None
    risks: list[str]

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The frames behind the report, one spreadsheet sheet each."""
        return {
            "Project": pd.DataFrame([self.project]),
            "Key figures": pd.DataFrame([self.figures]),
            "Partners": self.partners,
            "Milestones": self.milestones,
            "Tranches": self.tranches,
            "Budget": self.budget,
            "Indicators": self.indicators,
            "Narrative": pd.DataFrame([self.narrative] if self.narrative else []),
            "Risks": pd.DataFrame({"risk": self.risks}),
        }


@dataclass(frozen=True)
class PortfolioReportData:
    """Everything the portfolio report shows, for a programme or a call."""

    as_of: dt.date
    scope: str  # "programme" or "call"
    code: str
    title: str
    currency: str
    kpis: dict[str, Any]
    by_country: pd.DataFrame
    by_city: pd.DataFrame
    overdue: pd.DataFrame
    at_risk: pd.DataFrame
    indicators: pd.DataFrame
    annex: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The frames behind the report, one spreadsheet sheet each."""
        return {
            "Key figures": pd.DataFrame([self.kpis]),
            "By country": self.by_country,
            "By city": self.by_city,
            "Overdue milestones": self.overdue,
            "Projects at risk": self.at_risk,
            "Indicators": self.indicators,
            "Annex": self.annex,
        }


FIGURE_COLUMNS = {
    "awarded": "awarded",
    "contract_award": "contract_award",
    "co_financed": "co_financed",
    "disbursed": "disbursed",
    "spent": "spent",
    "budgeted": "budgeted",
    "remaining": "remaining",
    "milestones": "milestones",
    "accepted": "milestones_accepted",
    "accepted_on_time": "milestones_on_time",
    "overdue": "milestones_overdue",
    "max_days_overdue": "max_days_overdue",
    "last_update_on": "last_update_on",
    "latest_overall_status": "latest_overall_status",
    "pct_time_elapsed": "pct_time_elapsed",
    "pct_milestones_accepted": "pct_milestones_accepted",
    "pct_budget_spent": "pct_budget_spent",
    "pct_disbursed": "pct_disbursed",
}
"""The report's names for the figures of ``grants.services.facts.ProjectFigures``."""
PROJECT_ONLY = {"max_days_overdue", "last_update_on", "latest_overall_status"}


def project_table(session: Session, ids: list[int], as_of: dt.date) -> dict[str, Any]:
    """Return the frames of ``ids``, with each project's figures (``facts``) as of ``as_of``."""
    found = facts.project_figures(session, as_of, ids)
    table = frames.projects(session, ids)
    for column, name in FIGURE_COLUMNS.items():
        table[column] = [getattr(found[pid], name) for pid in table["project_id"]]
    table["risks"] = [list(found[pid].reasons) for pid in table["project_id"]]
    return {
        "projects": table,
        "figures": [found[pid] for pid in table["project_id"]],
        "milestones": frames.milestones(session, ids, as_of),
        "tranches": frames.tranches(session, ids, as_of),
        "budget": frames.budget(session, ids, as_of),
        "updates": frames.updates(session, ids, as_of),
    }


def project_report(session: Session, project_id: int, as_of: dt.date) -> ProjectReportData:
    """Return the data of one project's progress report as of ``as_of``."""
    data = project_table(session, [project_id], as_of)
    row = data["projects"].to_dict("records")[0]
    project = {key: row[key] for key in frames.projects(session, []).columns}
    figures = {key: row[key] for key in FIGURE_COLUMNS if key not in PROJECT_ONLY}
    approved = data["updates"][data["updates"]["approved"]]
    narrative = approved.to_dict("records")[0] if len(approved) else None
    return ProjectReportData(
        as_of=as_of,
        project=project,
        figures=figures,
        partners=frames.partners(session, [project_id]).drop(columns="project_id"),
        milestones=data["milestones"].drop(columns=["project_id"]),
        tranches=data["tranches"].drop(columns=["project_id"]),
        budget=data["budget"].drop(columns=["project_id"]),
        indicators=frames.indicators(session, [project_id], as_of).drop(columns=["project_id"]),
        narrative=narrative,
        risks=row["risks"],
    )


def scope_projects(
    session: Session, *, programme_id: int | None = None, call_id: int | None = None
) -> list[int]:
    """Return the ids of the counted projects of a programme or of a call, by reference."""
    scope = facts.Scope(programme_id=programme_id, call_id=call_id)
    return facts.scope_project_ids(session, true(), scope, counted_only=True)


def portfolio_report(
    session: Session, as_of: dt.date, *, programme_id: int | None = None, call_id: int | None = None
) -> PortfolioReportData:
    """Return the data of the portfolio report of a programme or a call as of ``as_of``."""
    if call_id is not None:
        call = session.get(Call, call_id)
        assert call is not None
        programme = session.get(Programme, call.programme_id)
        scope, code, title = "call", call.code, call.title
    else:
        programme = session.get(Programme, programme_id)
        assert programme is not None
        scope, code, title = "programme", programme.code, programme.title
    assert programme is not None
    ids = scope_projects(session, programme_id=programme_id, call_id=call_id)
    data = project_table(session, ids, as_of)
    table, milestones = data["projects"], data["milestones"]
    live = milestones[milestones["status_as_of"] != "cancelled"]
    kpis = kpis_of(facts.totals(data["figures"]), programme.currency)
    overdue = live[live["overdue"]].merge(
        table[["project_id", "reference", "city", "country"]], on="project_id"
    )[["reference", "country", "city", "position", "title", "due_date", "days_late", "responsible"]]
    flagged = table["risks"].map(bool).astype(bool)  # an empty list maps to object dtype
    at_risk = table[flagged][["reference", "country", "city", "status", "risks"]]
    indicators = frames.indicators(session, ids, as_of)
    return PortfolioReportData(
        as_of=as_of,
        scope=scope,
        code=code,
        title=title,
        currency=programme.currency,
        kpis=kpis,
        by_country=_rollup(data["figures"], programme.currency, ["country"]),
        by_city=_rollup(data["figures"], programme.currency, ["country", "city"]),
        overdue=overdue.sort_values(
            ["days_late", "reference", "position"],
            ascending=[False, True, True],
            kind="mergesort",
        ).reset_index(drop=True),
        at_risk=at_risk.assign(risks=at_risk["risks"].map("; ".join)).reset_index(drop=True),
        indicators=_indicator_rollup(indicators),
        annex=table[
            [
                "reference",
                "title",
                "country",
                "city",
                "lead",
                "status",
                "awarded",
                "disbursed",
                "spent",
                "milestones",
                "accepted",
                "overdue",
                "pct_time_elapsed",
                "pct_milestones_accepted",
                "pct_budget_spent",
            ]
        ].reset_index(drop=True),
    )


def _sum(values: Any) -> Decimal:
    return sum((Decimal(v) for v in values), ZERO)


def kpis_of(totals: facts.Totals, currency: str) -> dict[str, Any]:
    """Return the portfolio's key figures, as the report names them, from ``totals``."""
    money = totals.in_currency(currency)
    return {
        "counts": totals.counts,
        "projects": totals.projects,
        "active": totals.active,
        "countries": totals.countries,
        "cities": totals.cities,
        "awarded": money.awarded,
        "co_financed": money.co_financed,
        "disbursed": money.disbursed,
        "spent": money.spent,
        "remaining": money.remaining,
        "disbursement_rate": money.pct_disbursed,
        "absorption_rate": money.absorption_rate,
        "milestones": totals.milestones,
        "milestones_due": totals.milestones_due,
        "milestones_accepted": totals.milestones_accepted,
        "milestones_overdue": totals.milestones_overdue,
        "milestones_due_soon": totals.milestones_due_soon,
        "milestones_completed_late": totals.milestones_completed_late,
        "completion_rate": totals.completion_rate,
        "on_time_rate": totals.on_time_rate,
        "tranches_releasable": totals.tranches_releasable,
        "at_risk": totals.at_risk,
    }


ROLLUP_COLUMNS = [
    "projects",
    "awarded",
    "disbursed",
    "spent",
    "disbursement_rate",
    "absorption_rate",
    "milestones",
    "accepted",
    "on_time_rate",
    "overdue",
]


def _rollup(figures: list[facts.ProjectFigures], currency: str, keys: list[str]) -> pd.DataFrame:
    """The totals (``facts.totals``) of the projects grouped by country, or country and city."""
    groups: dict[tuple[str, ...], list[facts.ProjectFigures]] = {}
    for found in figures:
        groups.setdefault(tuple(getattr(found, key) for key in keys), []).append(found)
    rows = []
    for values, group in sorted(groups.items()):
        totals = facts.totals(group)
        money = totals.in_currency(currency)
        rows.append(
            dict(zip(keys, values, strict=True))
            | {
                "projects": totals.projects,
                "awarded": money.awarded,
                "disbursed": money.disbursed,
                "spent": money.spent,
                "disbursement_rate": money.pct_disbursed,
                "absorption_rate": money.absorption_rate,
                "milestones": totals.milestones,
                "accepted": totals.milestones_accepted,
                "on_time_rate": totals.on_time_rate,
                "overdue": totals.milestones_overdue,
            }
        )
    return pd.DataFrame(rows, columns=[*keys, *ROLLUP_COLUMNS])


def _indicator_rollup(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators summed across projects by title and unit (only where they share both)."""
    columns = ["title", "unit", "projects", "baseline", "target", "actual", "achieved"]
    if indicators.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (title, unit), group in indicators.groupby(["title", "unit"], sort=True):
        actual = _sum(v for v in group["actual"] if v is not None)
        target = _sum(group["target"])
        rows.append(
            {
                "title": title,
                "unit": unit,
                "projects": len(group),
                "baseline": _sum(group["baseline"]),
                "target": target,
                "actual": actual,
                "achieved": facts.percent(actual, target),
            }
        )
    return pd.DataFrame(rows, columns=columns)
