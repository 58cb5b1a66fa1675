"""The reports as HTML: the data of ``reports.figures`` through the shared Jinja templates.

The same HTML is the browser preview and WeasyPrint's input. It links its stylesheet as
``/static/report.css``: the web app serves ``grants/static/report.css`` there (the pages'
Content-Security-Policy refuses inline styles), and the PDF's URL fetcher
(``reports.pdf``) maps that one URL to the same file. Charts are inline SVG from
``reports.charts``, the only markup marked safe here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from babel import Locale
from markupsafe import Markup

from grants import i18n
from grants.templating import environment
from reports import charts
from reports.figures import PortfolioReportData, ProjectReportData

STYLESHEET = "/static/report.css"
STATUSES = ("draft", "issued")
# The PDF lists this many of the most overdue milestones; the attached spreadsheet has all.
OVERDUE_ROWS = 30


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a frame's rows as dicts, with missing values (NaN, NaT) as ``None``."""
    return [
        {key: None if i18n.missing(value) else value for key, value in row.items()}
        for row in frame.to_dict("records")
    ]


def placed(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with a ``place`` column, "City (CC)", for tables short of width."""
    if frame.empty:
        return frame.assign(place=pd.Series(dtype=object))
    places = [
        i18n.format_place(str(c), str(k))
        for c, k in zip(frame["city"], frame["country"], strict=True)
    ]
    return frame.assign(place=places)


def annex_rows(annex: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the annex's rows for the PDF: place in one cell, milestones as "accepted / all"."""
    frame = placed(annex)
    if not frame.empty:
        frame = frame.assign(
            milestones_done=frame["accepted"].astype(str) + " / " + frame["milestones"].astype(str)
        )
    return records(frame)


def _timestamp(as_of: dt.date, status: str, issued_at: dt.datetime | None) -> str:
    """The report's date for the PDF metadata: its issue time, or midnight of a draft's date."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    if status == "issued" and issued_at is None:
        raise ValueError("an issued report needs issued_at")
    moment = issued_at or dt.datetime.combine(as_of, dt.time(), tzinfo=dt.UTC)
    if moment.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _common(as_of: dt.date, status: str, issued_at: dt.datetime | None) -> dict[str, Any]:
    """The context every report shares: dates, status, language and stylesheet."""
    locale = i18n.locale()
    return {
        "as_of": as_of,
        "status": status,
        "issued_at": issued_at.astimezone(dt.UTC) if issued_at else None,
        "timestamp": _timestamp(as_of, status, issued_at),
        "stylesheet": STYLESHEET,
        "lang": locale,
        "text_direction": "rtl" if Locale.parse(locale).text_direction == "rtl" else "ltr",
    }


def _chart(draw: Callable[..., str], frame: pd.DataFrame, *args: Any) -> Markup | None:
    """Return a chart of ``frame`` as markup to embed, or ``None`` when there is no data."""
    if frame.empty:
        return None
    return Markup(draw(frame, *args))  # noqa: S704 - SVG written by matplotlib, text escaped


def project_html(
    data: ProjectReportData, *, status: str = "draft", issued_at: dt.datetime | None = None
) -> str:
    """Return one project's progress report as an HTML page."""
    currency = data.project["currency"]
    context = _common(data.as_of, status, issued_at) | {
        "project": data.project,
        "figures": data.figures,
        "partners": records(data.partners),
        "milestones": records(data.milestones),
        "tranches": records(data.tranches),
        "budget": records(data.budget),
        "indicators": records(data.indicators),
        "narrative": data.narrative,
        "risks": data.risks,
        "budget_chart": _chart(charts.budget_chart, data.budget, currency),
        "indicator_chart": _chart(charts.indicator_chart, data.indicators),
    }
    return environment().get_template("reports/project.html").render(context)


def portfolio_html(
    data: PortfolioReportData, *, status: str = "draft", issued_at: dt.datetime | None = None
) -> str:
    """Return the portfolio report of a programme or a call as an HTML page."""
    context = _common(data.as_of, status, issued_at) | {
        "scope": data.scope,
        "code": data.code,
        "title": data.title,
        "currency": data.currency,
        "kpis": data.kpis,
        "by_country": records(data.by_country),
        "by_city": records(data.by_city),
        "overdue": records(placed(data.overdue.head(OVERDUE_ROWS))),
        "overdue_total": len(data.overdue),
        "at_risk": records(placed(data.at_risk)),
        "indicators": records(data.indicators),
        "annex": annex_rows(data.annex),
        "money_chart": _chart(charts.money_by_country_chart, data.by_country, data.currency),
        "milestone_chart": _chart(charts.milestones_by_country_chart, data.by_country),
    }
    return environment().get_template("reports/portfolio.html").render(context)
