"""The reports' figures against an independent computation in plain SQL and by hand."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pypdf
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from grants.models import (
    IndicatorCreate,
    IndicatorValueCreate,
    ProjectCreate,
    ReportScope,
)
from grants.services import budgets, indicators, milestones, projects, tranches
from grants.services.access import SYSTEM
from reports import archive, figures
from reports.archive import ReportSpec
from tests import factories

AS_OF = dt.date(2026, 6, 15)
SCRIPT_TITLE = "Accès aux droits à Sfax <script>alert(1)</script>"
ARABIC_TITLE = "مدينة الاستقبال: حقوق المهاجرين"


def _expense(session: Session, project: Any, line: Any, amount: str, day: dt.date) -> None:
    factories.expense(session, project, line, amount, day)


def _in_call(session: Session, call_id: int, **overrides: Any) -> Any:
    """A draft project in an existing call, led by a new organisation."""
    fields: dict[str, Any] = {
        "reference": f"SAME-CALL-{len(overrides['title'])}",
        "call_id": call_id,
        "city": "Sfax",
        "country": "TN",
        "awarded_amount": Decimal("50000"),
        "currency": "EUR",
        "planned_start": factories.START,
        "planned_end": factories.END,
        "objective_codes": ["A"],
    }
    data = ProjectCreate(**(fields | overrides))
    return projects.create_project(session, SYSTEM, data, factories.organisation(session))


@pytest.fixture
def portfolio(session: Session) -> dict[str, Any]:
    """A programme: an active project, one with an Arabic title and no expenses, a cancelled one."""
    first, ms, ts = factories.active_project(session, title=SCRIPT_TITLE)
    call_id = first.call_id
    programme = factories.programme_of(session, first)
    # Milestone 1: due 31 March, submitted 10 April (late), accepted 12 April.
    milestones.advance_milestone(session, SYSTEM, ms[0], "submit", today=dt.date(2026, 4, 10))
    milestones.advance_milestone(session, SYSTEM, ms[0], "accept", today=dt.date(2026, 4, 12))
    tranches.advance_tranche(session, SYSTEM, ts[0], "approve", today=dt.date(2026, 1, 20))
    tranches.advance_tranche(session, SYSTEM, ts[0], "pay", today=dt.date(2026, 1, 25))
    staff = budgets.budget_lines_of(session, first)[0]
    events = factories.budget_line(session, first, category="events", amount=Decimal("8000"))
    _expense(session, first, staff, "1200.50", dt.date(2026, 2, 10))
    _expense(session, first, events, "799.25", dt.date(2026, 5, 1))
    _expense(session, first, events, "500.00", dt.date(2026, 6, 20))  # after the report's date
    indicator = indicators.add_indicator(
        session,
        SYSTEM,
        first,
        IndicatorCreate(
            code="REACH",
            title="People reached",
            unit="people",
            baseline=Decimal(0),
            target=Decimal(400),
        ),
    )
    for end, value in ((dt.date(2026, 3, 31), "90"), (dt.date(2026, 6, 30), "210")):
        indicators.report_value(
            session,
            SYSTEM,
            first,
            IndicatorValueCreate(
                indicator_id=indicator.id,
                period_start=dt.date(2026, 1, 1),
                period_end=end,
                value=Decimal(value),
            ),
        )
    second = _in_call(session, call_id, title=ARABIC_TITLE, city="Zarqa", country="JO")
    factories.milestone(session, second, due_date=dt.date(2026, 9, 30))
    factories.tranche(session, second, "50000")
    factories.activate(session, second)
    third = _in_call(session, call_id, title="Cancelled action", city="Sousse")
    projects.advance_project(session, SYSTEM, third, "cancel", today=AS_OF, reason="No partner")
    session.commit()
    return {"programme": programme, "ids": [first.id, second.id, third.id], "first": first}


def _scaled(engine: Engine) -> Decimal:
    return Decimal(10_000) if engine.dialect.name == "sqlite" else Decimal(1)


def _sql(session: Session, statement: str, **params: Any) -> Decimal:
    value = session.execute(text(statement), params).scalar() or 0
    return Decimal(value) / _scaled(session.get_bind())  # type: ignore[arg-type]


def test_key_figures_match_plain_sql(session: Session, portfolio: dict[str, Any]) -> None:
    first = portfolio["first"]
    report = figures.project_report(session, first.id, AS_OF)
    spent = _sql(
        session,
        "SELECT SUM(amount) FROM expense WHERE project_id = :p AND spent_on <= :d",
        p=first.id,
        d=AS_OF,
    )
    paid = _sql(
        session,
        "SELECT SUM(paid_amount) FROM tranche"
        " WHERE project_id = :p AND status = 'paid' AND paid_on <= :d",
        p=first.id,
        d=AS_OF,
    )
    assert spent == Decimal("1999.75")  # the expense of 20 June comes after the report's date
    assert report.figures["spent"] == spent
    assert report.figures["disbursed"] == paid == Decimal("30000")
    assert report.figures["awarded"] == Decimal("50000")
    assert report.figures["remaining"] == Decimal("50000") - spent
    assert report.figures["pct_budget_spent"] == Decimal("4.0")
    assert report.figures["milestones"] == 3
    assert report.figures["accepted"] == 1
    assert report.figures["accepted_on_time"] == 0  # submitted ten days late
    assert report.figures["overdue"] == 0  # milestone 2 is due 31 July


def test_milestone_table_reads_lateness_as_of_the_date(
    session: Session, portfolio: dict[str, Any]
) -> None:
    report = figures.project_report(session, portfolio["first"].id, AS_OF)
    rows = report.milestones.set_index("position")
    assert rows.loc[1, "status_as_of"] == "accepted"
    assert rows.loc[1, "days_late"] == 10
    assert rows.loc[1, "completed_on"] == dt.date(2026, 4, 12)
    before = figures.project_report(session, portfolio["first"].id, dt.date(2026, 4, 11))
    early = before.milestones.set_index("position")
    assert early.loc[1, "status_as_of"] == "submitted", "accepted only on 12 April"
    assert before.figures["accepted"] == 0
    later = figures.project_report(session, portfolio["first"].id, dt.date(2026, 8, 15))
    late = later.milestones.set_index("position")
    assert bool(late.loc[2, "overdue"])
    assert late.loc[2, "days_late"] == 15


def test_budget_and_indicators(session: Session, portfolio: dict[str, Any]) -> None:
    report = figures.project_report(session, portfolio["first"].id, AS_OF)
    budget = report.budget.set_index("category")
    assert budget.loc["staff", "planned"] == Decimal("20000")
    assert budget.loc["staff", "actual"] == Decimal("1200.50")
    assert budget.loc["events", "actual"] == Decimal("799.25")
    assert budget.loc["events", "variance"] == Decimal("7200.75")
    reach = report.indicators.set_index("code").loc["REACH"]
    assert reach["actual"] == Decimal("90"), "the value for the period ending 30 June is not in yet"


def test_a_project_without_expenses(session: Session, portfolio: dict[str, Any]) -> None:
    report = figures.project_report(session, portfolio["ids"][1], AS_OF)
    assert report.project["title"] == ARABIC_TITLE
    assert report.figures["spent"] == 0
    assert report.figures["remaining"] == report.figures["awarded"]
    assert report.budget.empty
    assert report.narrative is None


def test_the_portfolio_counts_against_a_hand_computation(
    session: Session, portfolio: dict[str, Any]
) -> None:
    report = figures.portfolio_report(session, AS_OF, programme_id=portfolio["programme"].id)
    kpis = report.kpis
    assert kpis["projects"] == 3  # the cancelled one is listed; only drafts are left out
    # The cancelled project counts with what was paid to it (nothing), not its 50,000 award.
    assert kpis["awarded"] == Decimal("100000")
    assert kpis["counts"] == "3 projects; 1 of them cancelled, counted with what was paid to it"
    assert kpis["disbursed"] == Decimal("30000")
    assert kpis["spent"] == Decimal("1999.75")
    assert kpis["disbursement_rate"] == Decimal("30.0")
    assert kpis["milestones_due"] == 1  # only the first project's milestone 1 is due by 15 June
    assert kpis["completion_rate"] == Decimal("100.0")
    assert kpis["on_time_rate"] == Decimal("0.0")
    countries = report.by_country.set_index("country")
    assert countries.loc["JO", "projects"] == 1
    assert countries.loc["TN", "awarded"] == Decimal("50000")
    annex = report.annex.set_index("reference")
    assert len(annex) == 3
    assert set(annex["status"]) == {"active", "cancelled"}


def test_a_programme_with_one_project(session: Session) -> None:
    only, _ms, _ts = factories.active_project(session)
    session.commit()
    programme = factories.programme_of(session, only)
    report = figures.portfolio_report(session, AS_OF, programme_id=programme.id)
    assert report.kpis["projects"] == 1
    assert list(report.annex["reference"]) == [only.reference]
    assert report.overdue.columns.tolist()[0] == "reference"


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_pdfs_print_the_independently_computed_figures(
    session: Session, portfolio: dict[str, Any]
) -> None:
    first = portfolio["first"]
    spent = _sql(
        session,
        "SELECT SUM(amount) FROM expense WHERE project_id = :p AND spent_on <= :d",
        p=first.id,
        d=AS_OF,
    )
    project = archive.build(session, SYSTEM, ReportSpec(ReportScope.PROJECT, first.id, AS_OF))
    text = _pdf_text(project.content)
    assert f"€{spent:,.2f}" in text  # €1,999.75
    assert "€50,000.00" in text
    assert "Accès aux droits à Sfax <script>alert(1)</script>" in text, "printed as text"
    assert "Inception report" in text
    programme = portfolio["programme"]
    spec = ReportSpec(ReportScope.PROGRAMME, programme.id, AS_OF)
    text = _pdf_text(archive.build(session, SYSTEM, spec).content)
    assert "€100,000.00" in text  # the cancelled project's award counts only as far as paid
    assert "€30,000.00" in text
    assert "Cancelled action" in text
    assert "Zarqa" in text
    html = archive.build(session, SYSTEM, spec, "html").content.decode()
    assert ARABIC_TITLE in html
    assert "<script>alert" not in html


def test_a_portfolio_without_projects_still_reports(session: Session) -> None:
    programme = factories.programme(session)
    call = factories.call(session, programme)
    session.commit()
    for scope, ident in ((ReportScope.CALL, call.id), (ReportScope.PROGRAMME, programme.id)):
        for fmt in ("xlsx", "html", "pdf"):
            spec = ReportSpec(scope, ident, AS_OF)
            built = archive.build(session, SYSTEM, spec, fmt)  # type: ignore[arg-type]
            assert built.content, (scope, fmt)
    report = figures.portfolio_report(session, AS_OF, call_id=call.id)
    assert report.kpis["projects"] == 0
    assert report.at_risk.empty


def test_control_characters_in_stored_text_do_not_break_a_report(
    session: Session, portfolio: dict[str, Any]
) -> None:
    """Every door now refuses such text; rows an older release stored still print."""
    first = portfolio["first"]
    session.execute(
        text("UPDATE project SET summary = :summary WHERE id = :id"),
        {"summary": "Bell\x07 and unit\x1f", "id": first.id},
    )
    session.commit()
    spec = ReportSpec(ReportScope.PROJECT, first.id, AS_OF)
    sheets = archive.build(session, SYSTEM, spec, "xlsx").content
    cells = {
        cell.value
        for row in openpyxl.load_workbook(io.BytesIO(sheets))["Project"].iter_rows()
        for cell in row
    }
    assert "Bell and unit" in cells
    assert archive.build(session, SYSTEM, spec, "pdf").content.startswith(b"%PDF")
