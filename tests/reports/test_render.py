"""The reports as a reader gets them: HTML, PDF and spreadsheet, from the demo as of a date.

The demo is the security tests' copy, one per module and engine; each report is rendered
once per engine and read back with pypdf. Expected figures come from the tables directly,
not from the report's own frames. What does not depend on the database (escaping, fonts,
the URL fetcher, spreadsheets, charts) runs once, on data made here.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import matplotlib
import openpyxl
import pandas as pd
import pypdf
import pytest
from sqlmodel import Session, col, select

from grants import offload
from grants.i18n import format_money
from grants.models import (
    Call,
    Milestone,
    MilestoneStatus,
    Programme,
    Project,
    ProjectStatus,
    Tranche,
    TrancheStatus,
)
from reports import charts, figures, pdf, render, xlsx
from tests.conftest import TODAY, Demo

AS_OF = TODAY  # 2026-06-15
AT_RISK = "SDA-CEDAR"  # active, a milestone overdue since 2026-03-19
HOSTILE = '<script>alert(1)</script> <img src="http://example.com/x.png"> & file:///etc/passwd'
ARABIC = "لجان التماسك الاجتماعي في صيدا"
INJECTION = "=cmd|' /C calc'!A0"
PORTFOLIO_SECTIONS = (
    "Key figures",
    "By country",
    "By city",
    "Milestone completion and timeliness",
    "Overdue milestones",
    "Projects at risk",
    "Disbursement and absorption",
    "Indicators",
    "Annex: one row per project",
)
OPEN = {MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS, MilestoneStatus.RETURNED}


def flat(text: str) -> str:
    """Text with every run of whitespace as one space (table cells wrap lines)."""
    return " ".join(text.split())


def pdf_text(content: bytes) -> list[str]:
    """The text of each page, whitespace flattened."""
    return [flat(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(content)).pages]


@dataclass(frozen=True)
class Rendered:
    """The demo's two reports, rendered once per engine."""

    project: figures.ProjectReportData
    portfolio: figures.PortfolioReportData
    project_html: str
    portfolio_html: str
    project_pdf: bytes
    portfolio_pdf: bytes
    portfolio_xlsx: bytes
    expected: dict[str, Any]


def _expected(session: Session) -> dict[str, Any]:
    """What the reports must say, read from the tables without the reports' code."""
    project = session.exec(select(Project).where(Project.reference == AT_RISK)).one()
    milestones = session.exec(
        select(Milestone).where(Milestone.project_id == project.id).order_by(Milestone.position)
    ).all()
    open_late = [m.due_date for m in milestones if m.status in OPEN and m.due_date < AS_OF]
    programme = session.exec(select(Programme).where(Programme.code == "MC2CM")).one()
    calls = session.exec(select(Call.id).where(Call.programme_id == programme.id)).all()
    awarded = session.exec(
        select(Project).where(
            col(Project.call_id).in_(calls), Project.status != ProjectStatus.DRAFT
        )
    ).all()
    return {
        "project_id": project.id,
        "currency": project.currency,
        "project_awarded": project.awarded_amount,
        "milestone_title": milestones[1].title,
        "oldest_overdue_days": (AS_OF - min(open_late)).days,
        "programme_id": programme.id,
        "portfolio_awarded": sum((_counted_award(session, p) for p in awarded), Decimal(0)),
    }


def _counted_award(session: Session, project: Project) -> Decimal:
    """A cancelled project counts with what was paid to it by the report's date."""
    if project.status != ProjectStatus.CANCELLED:
        return project.awarded_amount
    paid = session.exec(
        select(Tranche).where(
            Tranche.project_id == project.id,
            Tranche.status == TrancheStatus.PAID,
            col(Tranche.paid_on) <= AS_OF,
        )
    ).all()
    return sum((t.paid_amount or Decimal(0) for t in paid), Decimal(0))


@pytest.fixture(scope="module")
def rendered(demo: Demo) -> Rendered:
    with Session(demo.engine) as session:
        expected = _expected(session)
        project = figures.project_report(session, expected["project_id"], AS_OF)
        portfolio = figures.portfolio_report(session, AS_OF, programme_id=expected["programme_id"])
    project_html = render.project_html(project)
    portfolio_html = render.portfolio_html(
        portfolio, status="issued", issued_at=dt.datetime(2026, 6, 16, 9, 30, tzinfo=dt.UTC)
    )
    portfolio_xlsx = xlsx.to_xlsx(portfolio.sheets())
    return Rendered(
        project=project,
        portfolio=portfolio,
        project_html=project_html,
        portfolio_html=portfolio_html,
        project_pdf=pdf.to_pdf(
            project_html, attachments=[("data.xlsx", xlsx.to_xlsx(project.sheets()))]
        ),
        portfolio_pdf=pdf.to_pdf(portfolio_html, attachments=[("data.xlsx", portfolio_xlsx)]),
        portfolio_xlsx=portfolio_xlsx,
        expected=expected,
    )


def test_the_project_report_states_the_award_a_milestone_and_the_risk(rendered: Rendered) -> None:
    text = " ".join(pdf_text(rendered.project_pdf))
    expected = rendered.expected
    assert format_money(expected["project_awarded"], expected["currency"]) in text
    assert expected["milestone_title"] in text
    days = expected["oldest_overdue_days"]
    assert f"1 milestone overdue, the oldest by {days} days" in text
    assert "DRAFT" in text
    assert "Data as of 2026-06-15" in text


def test_the_project_report_has_every_section(rendered: Rendered) -> None:
    text = " ".join(pdf_text(rendered.project_pdf))
    for heading in (
        "The project",
        "Partners",
        "Key figures",
        "Milestones",
        "Payment tranches",
        "Budget and spending by category",
        "Indicators",
        "Latest approved progress update",
        "Risks",
    ):
        assert heading in text


def test_the_portfolio_report_totals_the_awards_and_lists_the_projects(rendered: Rendered) -> None:
    text = " ".join(pdf_text(rendered.portfolio_pdf))
    expected = rendered.expected
    assert format_money(expected["portfolio_awarded"], rendered.portfolio.currency) in text
    for reference in rendered.portfolio.annex["reference"]:
        assert reference in text
    assert "ISSUED 2026-06-16" in text
    assert f"the oldest by {expected['oldest_overdue_days']} days" in text


def test_the_portfolio_pages_are_numbered_and_the_contents_point_at_them(
    rendered: Rendered,
) -> None:
    pages = pdf_text(rendered.portfolio_pdf)
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"{number} / {total}" in text
    contents = next(index for index, text in enumerate(pages) if "Contents" in text)
    assert contents == 1  # the page after the cover
    entries = pages[contents].split("Contents", 1)[1]
    listed = re.findall(r"([A-Z][A-Za-z :]+?) \.{3,} ?(\d+)", entries)
    assert [heading for heading, _page in listed] == list(PORTFOLIO_SECTIONS)
    for heading, page in listed:
        assert heading in pages[int(page) - 1], heading
        assert int(page) > contents + 1


def test_the_pdf_is_pdf_a_3b_with_the_data_attached(rendered: Rendered) -> None:
    reader = pypdf.PdfReader(io.BytesIO(rendered.portfolio_pdf))
    metadata = reader.xmp_metadata
    assert metadata is not None
    xmp = metadata.stream.get_data().decode()
    assert 'pdfaid:part="3"' in xmp
    assert 'pdfaid:conformance="B"' in xmp
    assert "/AF" in reader.trailer["/Root"]
    attached = reader.attachments["data.xlsx"][0]
    assert attached == rendered.portfolio_xlsx
    workbook = openpyxl.load_workbook(io.BytesIO(attached))
    assert "Annex" in workbook.sheetnames


def test_the_pdf_is_dated_by_the_issue_time(rendered: Rendered) -> None:
    info = pypdf.PdfReader(io.BytesIO(rendered.portfolio_pdf)).metadata
    assert info is not None
    assert info["/CreationDate"].startswith("D:20260616093000")


def test_the_html_preview_links_its_stylesheet_and_has_no_inline_style(
    rendered: Rendered,
) -> None:
    for html in (rendered.project_html, rendered.portfolio_html):
        assert '<link rel="stylesheet" href="/static/report.css">' in html
        assert "<style" not in html
        assert " style=" not in html  # the pages' CSP refuses inline styles
        assert "<script" not in html
    assert (Path(render.__file__).parents[1] / "grants/static/report.css").is_file()


def test_charts_are_embedded_with_a_text_alternative(rendered: Rendered) -> None:
    assert rendered.project_html.count('<svg role="img" aria-label="') == 2
    assert "<title>Budget and spending by category</title>" in rendered.project_html
    assert rendered.portfolio_html.count('<svg role="img" aria-label="') == 2


def a_project(title: str) -> figures.ProjectReportData:
    """The report data of a project just signed, with no activity yet."""
    start = dt.date(2026, 1, 1)
    money = {key: Decimal(0) for key in ("disbursed", "spent", "budgeted", "co_financed")}
    shares = ("pct_time_elapsed", "pct_milestones_accepted", "pct_budget_spent", "pct_disbursed")
    return figures.ProjectReportData(
        as_of=AS_OF,
        project={
            "reference": "TEST-1",
            "title": title,
            "summary": None,
            "city": "Sfax",
            "country": "TN",
            "status": "active",
            "status_reason": None,
            "currency": "EUR",
            "planned_start": start,
            "planned_end": dt.date(2026, 12, 31),
            "actual_start": start,
            "actual_end": None,
            "call": "CALL-1",
            "programme": "PROG",
            "programme_title": "A programme",
            "lead": "Municipality of Sfax",
        },
        figures=money
        | {"awarded": Decimal(40000), "contract_award": Decimal(40000)}
        | {"remaining": Decimal(40000), "milestones": 0, "accepted": 0}
        | dict.fromkeys(shares, Decimal(0)),
        partners=pd.DataFrame(),
        milestones=pd.DataFrame(),
        tranches=pd.DataFrame(),
        budget=pd.DataFrame(),
        indicators=pd.DataFrame(),
        narrative=None,
        risks=[],
    )


def test_a_title_with_markup_is_escaped_and_printed_as_text() -> None:
    html = render.project_html(a_project(HOSTILE))
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<img src="http://example.com' not in html
    text = pdf_text(pdf.to_pdf(html, variant=None))[0]
    assert "<script>alert(1)</script>" in text
    assert '<img src="http://example.com/x.png">' in text


def test_an_arabic_title_renders_with_a_font_that_covers_it() -> None:
    html = render.project_html(a_project(ARABIC))
    assert f'<h1 class="report-title" dir="auto">{ARABIC}</h1>' in html
    reader = pypdf.PdfReader(io.BytesIO(pdf.to_pdf(html, variant=None)))
    assert ARABIC in reader.pages[0].extract_text()
    fonts = {
        font.get_object()["/BaseFont"].split("+")[-1]
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert all(name.startswith("DejaVu-Sans") for name in fonts), fonts  # no fallback font


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/report.css",
        "file:///etc/passwd",
        "data:text/css,body{color:red}",
        "https://report.invalid/static/app.css",
        "https://report.invalid/static/report.css?x=1",
        "https://report.invalid/static/../../etc/passwd",
    ],
)
def test_the_fetcher_refuses_anything_but_the_report_stylesheet(url: str) -> None:
    with pytest.raises(pdf.RefusedURL):
        pdf.ReportAssets().fetch(url)


def test_the_fetcher_serves_the_report_stylesheet() -> None:
    response = pdf.ReportAssets().fetch("https://report.invalid/static/report.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_outside_urls_in_the_html_are_never_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Any] = []
    asked: list[str] = []
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda *a, **k: opened.append(a))
    original = pdf.ReportAssets.fetch

    def spy(self: pdf.ReportAssets, url: str, headers: Any = None) -> Any:
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.ReportAssets, "fetch", spy)
    monkeypatch.setattr(offload, "helpers", lambda: 0)  # the spy is in this process
    html = (
        '<html><head><link rel="stylesheet" href="file:///etc/passwd">'
        '<link rel="attachment" href="file:///etc/passwd"></head><body>'
        '<img src="http://example.com/x.png"><img src="file:///etc/passwd">'
        '<p style="background: url(https://example.com/bg.png)">text</p></body></html>'
    )
    content = pdf.to_pdf(html, variant=None)
    assert opened == []
    assert "http://example.com/x.png" in asked
    assert "file:///etc/passwd" in asked
    assert not pypdf.PdfReader(io.BytesIO(content)).attachments


def test_the_same_html_gives_the_same_pdf_bytes() -> None:
    html = (
        '<html><head><meta name="dcterms.created" content="2026-06-16T09:30:00Z"></head>'
        "<body><p>Same input, same bytes.</p></body></html>"
    )
    attachments = [("data.xlsx", xlsx.to_xlsx({"Sheet": pd.DataFrame({"a": [1]})}))]
    assert pdf.to_pdf(html, attachments=attachments) == pdf.to_pdf(html, attachments=attachments)


def test_the_spreadsheet_keeps_formula_text_as_text() -> None:
    texts = [INJECTION, "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\n=1", "plain"]
    content = xlsx.to_xlsx({"Text": pd.DataFrame({"value": texts})})
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Text"]
    cells = [sheet.cell(row=row, column=1) for row in range(2, len(texts) + 2)]
    assert [cell.value for cell in cells] == texts
    assert all(cell.data_type == "s" for cell in cells)
    assert all(cell.quotePrefix for cell in cells[:-1])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_spreadsheet_writes_numbers_dates_and_lists_as_such() -> None:
    frame = pd.DataFrame(
        {
            "awarded": [Decimal("42500.0000")],
            "pct_disbursed": [Decimal("60.0")],
            "due_date": [dt.date(2026, 3, 19)],
            "risks": [["late", "off track"]],
            "missing": [None],
        }
    )
    content = xlsx.to_xlsx({"Figures": frame})
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Figures"]
    awarded, share, due, risks, missing = (sheet.cell(row=2, column=c) for c in range(1, 6))
    assert sheet.cell(row=1, column=1).font.bold
    assert awarded.value == 42500
    assert awarded.number_format == "#,##0.00"
    assert share.value == 60
    assert share.number_format == "0.0"
    assert due.value == dt.datetime(2026, 3, 19)  # noqa: DTZ001 - Excel dates are naive
    assert due.is_date
    assert risks.value == "late; off track"
    assert missing.value is None
    assert content == xlsx.to_xlsx({"Figures": frame})


def test_the_data_behind_the_portfolio_report_opens_in_a_spreadsheet(rendered: Rendered) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(rendered.portfolio_xlsx))
    assert workbook.sheetnames == list(rendered.portfolio.sheets())
    annex = workbook["Annex"]
    assert annex.max_row == len(rendered.portfolio.annex) + 1


def test_chart_text_is_escaped_and_the_svg_embeds_cleanly() -> None:
    budget = pd.DataFrame(
        {"category": ["<script>&"], "planned": [Decimal(10)], "actual": [Decimal(5)]}
    )
    before = dict(matplotlib.rcParams)
    svg = charts.budget_chart(budget, "EUR & <b>")
    assert dict(matplotlib.rcParams) == before
    assert "&lt;script&gt;&amp;" in svg
    assert "<script" not in svg
    assert svg.startswith("<svg ")  # no XML declaration or DOCTYPE
    assert " style=" not in svg
    assert "<style" not in svg
    ET.fromstring(svg)  # noqa: S314 - our own output; well-formed, no attribute twice
    assert svg == charts.budget_chart(budget, "EUR & <b>")
