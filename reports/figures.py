"""Key figures, risks and roll-ups from the frames: what the project and portfolio reports say."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.models import Call, Programme, Project, ProjectStatus
from grants.services.facts import ProjectFigures, percent, risk_reasons, time_elapsed
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


def project_table(session: Session, ids: list[int], as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Return the frames of ``ids`` and one row of key figures per project, as of ``as_of``."""
    base = frames.projects(session, ids)
    milestones = frames.milestones(session, ids, as_of)
    tranches = frames.tranches(session, ids, as_of)
    budget = frames.budget(session, ids, as_of)
    updates = frames.updates(session, ids, as_of)
    table = base.copy()
    table["disbursed"] = _sum_by(tranches, "paid_as_of", table)
    table["spent"] = _sum_by(budget, "actual", table)
    table["budgeted"] = _sum_by(budget, "planned", table)
    table["remaining"] = table["awarded"] - table["spent"]
    live = milestones[milestones["status_as_of"] != "cancelled"]
    grouped = live.groupby("project_id")
    table["milestones"] = _count(grouped.size(), table)
    accepted = live[live["status_as_of"] == "accepted"]
    table["accepted"] = _count(accepted.groupby("project_id").size(), table)
    table["accepted_on_time"] = _count(live[live["on_time"]].groupby("project_id").size(), table)
    table["overdue"] = _count(live[live["overdue"]].groupby("project_id").size(), table)
    late = live[live["overdue"]].groupby("project_id")["days_late"].max()
    table["max_days_overdue"] = _count(late, table)
    latest = updates.groupby("project_id").first()
    table["last_update_on"] = table["project_id"].map(latest["submitted_on"])
    table["latest_overall_status"] = table["project_id"].map(latest["overall_status"])
    table["pct_time_elapsed"] = [
        time_elapsed(_ProjectDates(row), as_of) for row in table.itertuples(index=False)
    ]
    table["pct_milestones_accepted"] = [
        percent(int(a), int(m)) for a, m in zip(table["accepted"], table["milestones"], strict=True)
    ]
    table["pct_budget_spent"] = [
        percent(s, a) for s, a in zip(table["spent"], table["awarded"], strict=True)
    ]
    table["pct_disbursed"] = [
        percent(d, a) for d, a in zip(table["disbursed"], table["awarded"], strict=True)
    ]
    table["risks"] = [_risks(row, as_of) for row in table.to_dict("records")]
    return {
        "projects": table,
        "milestones": milestones,
        "tranches": tranches,
        "budget": budget,
        "updates": updates,
    }


@dataclass(frozen=True)
class _Subject:
    """The fields ``risk_reasons`` reads, from a row of the project table."""

    status: ProjectStatus
    status_reason: str | None
    currency: str
    planned_start: dt.date
    actual_start: dt.date | None


class _ProjectDates:
    """The fields ``time_elapsed`` reads, from a row of the project table."""

    def __init__(self, row: Any) -> None:
        self.status = ProjectStatus(row.status)
        self.planned_start, self.planned_end = row.planned_start, row.planned_end
        self.actual_start = _date(row.actual_start)
        self.actual_end = _date(row.actual_end)


def _date(value: Any) -> dt.date | None:
    return None if value is None or value != value else value


def _text(value: Any) -> str | None:
    return None if value is None or value != value else str(value)


def _sum_by(frame: pd.DataFrame, column: str, table: pd.DataFrame) -> list[Decimal]:
    totals = frame.groupby("project_id")[column].agg(frames._total)
    return [totals.get(pid, ZERO) for pid in table["project_id"]]


def _count(series: pd.Series, table: pd.DataFrame) -> list[int]:
    return [int(series.get(pid, 0)) for pid in table["project_id"]]


def _risks(row: dict[str, Any], as_of: dt.date) -> list[str]:
    if row["status"] not in frames.WATCHED:
        return []
    figures = ProjectFigures(
        project_id=row["project_id"],
        awarded=row["awarded"],
        disbursed=row["disbursed"],
        spent=row["spent"],
        budgeted=row["budgeted"],
        milestones=row["milestones"],
        milestones_accepted=row["accepted"],
        milestones_overdue=row["overdue"],
        max_days_overdue=row["max_days_overdue"],
        pct_time_elapsed=row["pct_time_elapsed"],
        last_update_on=_date(row["last_update_on"]),
        latest_overall_status=_text(row["latest_overall_status"]),
    )
    project = _Subject(
        status=ProjectStatus(row["status"]),
        status_reason=row["status_reason"],
        currency=row["currency"],
        planned_start=row["planned_start"],
        actual_start=_date(row["actual_start"]),
    )
    return risk_reasons(project, figures, as_of)


def project_report(session: Session, project_id: int, as_of: dt.date) -> ProjectReportData:
    """Return the data of one project's progress report as of ``as_of``."""
    data = project_table(session, [project_id], as_of)
    row = data["projects"].to_dict("records")[0]
    project = {key: row[key] for key in frames.projects(session, []).columns}
    figures = {
        key: row[key]
        for key in (
            "awarded",
            "disbursed",
            "spent",
            "remaining",
            "budgeted",
            "milestones",
            "accepted",
            "accepted_on_time",
            "overdue",
            "pct_time_elapsed",
            "pct_milestones_accepted",
            "pct_budget_spent",
            "pct_disbursed",
        )
    }
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
    """Return the ids of the projects of a programme or of a call (drafts left out)."""
    project, call = frames.c(Project), frames.c(Call)
    statement = (
        select(project.id)
        .join(frames.table(Call), call.id == project.call_id)
        .where(project.status != ProjectStatus.DRAFT)
    )
    if call_id is not None:
        statement = statement.where(call.id == call_id)
    if programme_id is not None:
        statement = statement.where(call.programme_id == programme_id)
    return list(session.scalars(statement.order_by(project.reference)))


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
    due = live[live["due_date"] <= as_of]
    kpis: dict[str, Any] = {
        "projects": len(table),
        "active": int((table["status"] == ProjectStatus.ACTIVE.value).sum()),
        "countries": int(table["country"].nunique()),
        "cities": int(table[["country", "city"]].drop_duplicates().shape[0]),
        "awarded": _sum(table["awarded"]),
        "disbursed": _sum(table["disbursed"]),
        "spent": _sum(table["spent"]),
        "milestones": len(live),
        "milestones_due": len(due),
        "milestones_accepted": int((live["status_as_of"] == "accepted").sum()),
        "milestones_overdue": int(live["overdue"].sum()),
        "completion_rate": percent(int((due["status_as_of"] == "accepted").sum()), len(due)),
        "on_time_rate": percent(
            int(live["on_time"].sum()), int((live["status_as_of"] == "accepted").sum())
        ),
        "at_risk": int(table["risks"].map(bool).sum()),
    }
    kpis["disbursement_rate"] = percent(kpis["disbursed"], kpis["awarded"])
    kpis["absorption_rate"] = percent(kpis["spent"], kpis["disbursed"])
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
        by_country=_rollup(table, milestones, ["country"]),
        by_city=_rollup(table, milestones, ["country", "city"]),
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


def _rollup(table: pd.DataFrame, milestones: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Projects, money and milestone rates grouped by ``keys`` (country, or country and city)."""
    live = milestones[milestones["status_as_of"] != "cancelled"].merge(
        table[["project_id", *keys]], on="project_id"
    )
    rows = []
    for key, group in table.groupby(keys, sort=True):
        values = key if isinstance(key, tuple) else (key,)
        mine = live.merge(pd.DataFrame([values], columns=keys), on=keys)
        accepted = int((mine["status_as_of"] == "accepted").sum())
        awarded, disbursed, spent = (_sum(group[c]) for c in ("awarded", "disbursed", "spent"))
        rows.append(
            dict(zip(keys, values, strict=True))
            | {
                "projects": len(group),
                "awarded": awarded,
                "disbursed": disbursed,
                "spent": spent,
                "disbursement_rate": percent(disbursed, awarded),
                "absorption_rate": percent(spent, disbursed),
                "milestones": len(mine),
                "accepted": accepted,
                "on_time_rate": percent(int(mine["on_time"].sum()), accepted),
                "overdue": int(mine["overdue"].sum()),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            *keys,
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
        ],
    )


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
                "achieved": percent(actual, target),
            }
        )
    return pd.DataFrame(rows, columns=columns)
