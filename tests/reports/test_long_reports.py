"""Long portfolios stay readable and quick to print: a capped overdue list, a compact annex.

The PDF of a programme with hundreds of projects lists the most overdue milestones and says
where the rest are (the attached spreadsheet keeps every row); its annex writes the city and
country in one cell and milestones as "accepted / all". The indicator chart compares every
indicator on one scale, the share of its own target.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import openpyxl
import pandas as pd
import pytest
from sqlmodel import Session, select

from grants.models import Programme
from reports import charts, figures, render, xlsx
from tests.conftest import TODAY, Demo


def flat(text: str) -> str:
    return " ".join(text.split())


def section(html: str, name: str) -> str:
    """The HTML of the report section with id ``name``."""
    start = html.index(f'<section id="{name}"')
    return html[start : html.index("</section>", start)]


def body_rows(html: str) -> list[str]:
    """The rows of the first table body in ``html``."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)


@pytest.fixture(scope="module")
def portfolio(demo: Demo) -> figures.PortfolioReportData:
    with Session(demo.engine) as session:
        programme = session.exec(select(Programme).where(Programme.code == "MC2CM")).one()
        return figures.portfolio_report(session, TODAY, programme_id=programme.id)


def test_a_short_overdue_list_is_printed_whole(portfolio: figures.PortfolioReportData) -> None:
    overdue = section(render.portfolio_html(portfolio), "overdue")
    assert len(body_rows(overdue)) == len(portfolio.overdue) > 0
    assert "most overdue are listed here" not in overdue


def test_a_long_overdue_list_shows_the_most_overdue_and_points_to_the_rest(
    portfolio: figures.PortfolioReportData, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = len(portfolio.overdue)
    assert total >= 2, "the demo needs two overdue milestones for this test"
    monkeypatch.setattr(render, "OVERDUE_ROWS", 1)
    overdue = section(render.portfolio_html(portfolio), "overdue")
    assert (
        f"{total} milestones are overdue; the 1 most overdue are listed here, and all of them "
        "in the spreadsheet of this report's data" in flat(overdue).replace("&#39;", "'")
    )
    rows = body_rows(overdue)
    assert len(rows) == 1
    most_late = portfolio.overdue.sort_values("days_late", ascending=False).iloc[0]
    assert most_late["reference"] in rows[0]
    assert f">{most_late['days_late']}<" in rows[0].replace("\n", "")
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.to_xlsx(portfolio.sheets())))
    assert workbook["Overdue milestones"].max_row == total + 1


def test_the_annex_writes_the_place_and_the_milestones_accepted_of_all(
    portfolio: figures.PortfolioReportData,
) -> None:
    annex = section(render.portfolio_html(portfolio), "annex")
    rows = body_rows(annex)
    assert len(rows) == len(portfolio.annex)
    for row, project in zip(rows, portfolio.annex.to_dict("records"), strict=True):
        cells = [flat(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        assert cells[0] == project["reference"]
        assert cells[2] == f"{project['city']} ({project['country']})"
        assert cells[8] == f"{project['accepted']} / {project['milestones']}"


def test_the_indicator_chart_shows_each_indicators_way_from_baseline_to_target() -> None:
    indicators = pd.DataFrame(
        {
            "title": ["Meetings held", "People reached", "Days of waiting", "Volunteers"],
            "unit": ["meetings", "people", "days", "people"],
            "baseline": ["0", "100", "30", "5"],
            "target": ["8", "400", "10", None],
            "actual": ["4", "600", "20", "9"],
        }
    )
    shares = [charts.progress_to_target(row) for row in indicators.to_dict("records")]
    assert shares[0] == pytest.approx(50)  # half way from 0 to 8
    assert shares[1] == pytest.approx(500 / 3)  # past the target: 500 of 300 more
    assert shares[2] == pytest.approx(50)  # a reduction, half way from 30 days to 10
    assert shares[3] is None  # no target
    svg = charts.indicator_chart(indicators)
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    axes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "axes_" in g.get("id", "")]
    assert len(axes) == 1, "one panel for every indicator"
    for label in ("Meetings held (meetings)", "Days of waiting (days)", "Target (100 %)"):
        assert label in svg
    assert "Volunteers (people) · no target or no value yet" in svg
    ticks = [int(t) for t in re.findall(r">(-?\d+)\u00a0%</text>", svg)]
    assert max(ticks) >= 160  # the axis reaches the indicator past its target
