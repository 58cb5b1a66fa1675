"""The donor's report room: funded programmes, key figures, issued reports, previews, no writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import lxml.html
import pytest
from babel.numbers import format_currency
from sqlalchemy import func
from sqlmodel import col, select

from grants import db
from grants.models import (
    AuditEvent,
    Call,
    IssuedReport,
    Programme,
    Project,
    ProjectStatus,
    ReportScope,
    Tranche,
    TrancheStatus,
)
from grants.services import projects
from grants.services.access import SYSTEM
from reports import archive
from tests.conftest import Browsers, Demo
from tests.helpers import (
    DONOR,
    EDITOR,
    EVIDENCE,
    MANAGER,
    TODAY,
    api,
    new_milestone,
    project_id,
)

DONOR_CH = "donor.ch@example.org"


def text_of(response: Any) -> str:
    """Return the page's text as a person reads it: one space between words and elements."""
    return " ".join(" ".join(lxml.html.fromstring(response.text).itertext()).split())


def links_of(response: Any) -> list[str]:
    return [
        link.split("testserver", 1)[-1]
        for link in lxml.html.fromstring(response.text).xpath("//main//a/@href")
    ]


def _issue(demo: Demo, scope: ReportScope, scope_id: int, label: str, content: bytes) -> int:
    """Issue a report with the given bytes through the archive (no PDF printing needed)."""
    spec = archive.ReportSpec(scope, scope_id, TODAY)
    with db.write_session(demo.engine) as session:
        programme_id = _programme_of(session, scope, scope_id)
        name = archive.filename(spec, label, "pdf", issued=True)
        built = archive.Built(content, "application/pdf", name, programme_id, label)
        issued_at = dt.datetime(2026, 6, 15, 9, 30, tzinfo=dt.UTC)
        report = archive.store(session, SYSTEM, spec, built, issued_at)
        session.flush()
        return report.id


def _programme_of(session: Any, scope: ReportScope, scope_id: int) -> int:
    if scope == ReportScope.PROGRAMME:
        return scope_id
    project = session.get(Project, scope_id)
    return session.get(Call, project.call_id).programme_id


@pytest.fixture(scope="module")
def issued(demo: Demo) -> dict[str, int]:
    """Reports issued on the demo: a project's, the programme's, and one outside the donor's."""
    mc2cm = _programme_id(demo)
    return {
        "project": _issue(
            demo,
            ReportScope.PROJECT,
            project_id(demo.engine, "ZRQ-WOMEN"),
            "ZRQ-WOMEN",
            PROJECT_PDF,
        ),
        "portfolio": _issue(demo, ReportScope.PROGRAMME, mc2cm, "MC2CM", PORTFOLIO_PDF),
        "outside": _issue(
            demo, ReportScope.PROJECT, demo.extras.outside_project, "OUTSIDE", b"%PDF-1.7 outside"
        ),
    }


PROJECT_PDF = b"%PDF-1.7\n% the ZRQ-WOMEN progress report as issued\n"
PORTFOLIO_PDF = b"%PDF-1.7\n% the MC2CM portfolio report as issued\n"


def _programme_id(demo: Demo) -> int:
    with db.read_session(demo.engine) as session:
        return session.exec(select(Programme.id).where(Programme.code == "MC2CM")).one()


def _money(amount: Decimal) -> str:
    return format_currency(amount, "EUR", locale="en")


def test_the_room_shows_each_funded_programme_with_its_funders_and_key_figures(
    demo: Demo, browsers: Browsers
) -> None:
    room = browsers[DONOR].get("/donor")
    assert room.status_code == 200
    text = text_of(room)
    with db.read_session(demo.engine) as session:
        outside = session.get(Project, demo.extras.outside_project)
        shown = [
            p
            for p in session.exec(select(Project).where(Project.status != ProjectStatus.DRAFT))
            if p.id != outside.id  # the project outside the programme the donor funds
        ]
        paid_to = dict(
            session.exec(
                select(Tranche.project_id, func.sum(Tranche.paid_amount))
                .where(Tranche.status == TrancheStatus.PAID)
                .group_by(Tranche.project_id)
            ).all()
        )
    count = len(shown)  # drafts are never shown to a donor, nor counted
    # A cancelled project counts with what was paid to it.
    awarded = sum(
        (
            paid_to.get(p.id, 0) if p.status == ProjectStatus.CANCELLED else p.awarded_amount
            for p in shown
        ),
        Decimal(0),
    )
    paid = sum((paid_to.get(p.id, 0) for p in shown), Decimal(0))
    assert "Mediterranean City-to-City Migration" in text
    assert "European Union, DG Neighbourhood and Enlargement Negotiations (€5,550,000.00)" in text
    assert "Swiss Agency for Development and Cooperation (€300,000.00)" in text
    assert f"{count} projects" in text
    assert f"Awarded {_money(awarded)}" in text
    assert f"Disbursed {_money(paid)}" in text
    assert outside.reference not in text


def test_every_project_links_to_its_read_only_page_and_says_why_it_is_at_risk(
    demo: Demo, browsers: Browsers
) -> None:
    room = browsers[DONOR].get("/donor")
    links = links_of(room)
    for reference in ("ZRQ-WOMEN", "SDA-CEDAR", "ACMALS"):
        ident = project_id(demo.engine, reference)
        assert f"/projects/{ident}" in links
        assert f"/projects/{ident}/report.html" in links
    row = lxml.html.fromstring(room.text).xpath("//tr[.//a[text()='SDA-CEDAR']]")[0]
    assert "1 milestone overdue, the oldest by 88 days" in " ".join(row.text_content().split())
    page = browsers[DONOR].get(f"/projects/{project_id(demo.engine, 'SDA-CEDAR')}")
    assert page.status_code == 200


def test_issued_reports_download_the_same_bytes_they_were_issued_with(
    demo: Demo, browsers: Browsers, issued: dict[str, int]
) -> None:
    donor = browsers[DONOR]
    room = donor.get("/donor")
    text = text_of(room)
    assert "ZRQ-WOMEN progress report" in text
    assert "MC2CM portfolio report" in text
    assert "OUTSIDE" not in text
    for which, content in (("project", PROJECT_PDF), ("portfolio", PORTFOLIO_PDF)):
        path = f"/issued-reports/{issued[which]}.pdf"
        assert path in links_of(room)
        download = donor.get(path)
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/pdf"
        assert download.content == content
    assert donor.get(f"/issued-reports/{issued['outside']}.pdf").status_code == 404


def test_the_draft_previews_open_for_the_donor(demo: Demo, browsers: Browsers) -> None:
    donor = browsers[DONOR]
    links = links_of(donor.get("/donor"))
    programme = f"/programmes/{_programme_id(demo)}/report.html"
    assert programme in links
    with db.read_session(demo.engine) as session:
        calls = session.exec(select(Call.id).order_by(col(Call.id))).all()
    assert {f"/calls/{call}/report.html" for call in calls} & set(links)
    preview = donor.get(f"/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}/report.html")
    assert preview.status_code == 200
    assert "DRAFT" in preview.text.upper()


@pytest.mark.parametrize(
    ("email", "sees"),
    [(DONOR_CH, True), (MANAGER, True), (EDITOR, False)],
    ids=["the other funder", "the programme's manager", "a partner"],
)
def test_who_sees_the_programme_in_the_room(browsers: Browsers, email: str, sees: bool) -> None:
    room = browsers[email].get("/donor")
    assert room.status_code == 200
    assert ("Mediterranean City-to-City Migration" in text_of(room)) is sees
    if not sees:
        assert "does not fund any programme" in text_of(room)


def _audit_count(demo: Demo) -> int:
    with db.read_session(demo.engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def _report_count(demo: Demo) -> int:
    with db.read_session(demo.engine) as session:
        return session.exec(select(func.count()).select_from(IssuedReport)).one()


def test_a_donor_cannot_change_anything(demo: Demo, browsers: Browsers) -> None:
    donor = browsers[DONOR]
    token = lxml.html.fromstring(donor.get("/donor").text).xpath(
        "//input[@name='csrf_token']/@value"
    )[0]
    zarqa = project_id(demo.engine, "ZRQ-WOMEN")
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    before = (_audit_count(demo), _report_count(demo))
    attempts = {
        f"/projects/{zarqa}/reports": ({"as_of": TODAY.isoformat()}, None),
        f"/programmes/{_programme_id(demo)}/reports": ({"as_of": TODAY.isoformat()}, None),
        f"/milestones/{milestone}/submit": ({}, EVIDENCE),
        f"/projects/{zarqa}/expenses/new": ({"amount": "10"}, None),
        f"/projects/{zarqa}/updates/new": ({"percent_complete": "10"}, None),
    }
    for path, (data, files) in attempts.items():
        response = donor.post(path, {"csrf_token": token, **data}, files=files)
        assert response.status_code in {403, 404}, (path, response.status_code)
    assert (_audit_count(demo), _report_count(demo)) == before


def test_a_project_the_manager_just_created_stays_out_of_the_donors_sight(
    app: Any, demo: Demo, browsers: Browsers
) -> None:
    """A draft is the manager's working copy: no page, total, download, answer or report of a
    donor shows or counts it, until the manager starts contracting it."""
    programme = _programme_id(demo)
    room_csv = f"/donor/programmes/{programme}/projects.csv"
    donor_api = api(app, demo.tokens[DONOR])
    report = f"/programmes/{programme}/report.html"

    def seen() -> tuple[str, str, Any, Any, str]:
        figures = donor_api.get(f"/api/v1/figures?programme_id={programme}").json()
        listed = donor_api.get(f"/api/v1/projects?programme_id={programme}&limit=200").json()
        return (
            text_of(browsers[DONOR].get("/donor")),
            browsers[DONOR].get(room_csv).text,
            figures,
            sorted(item["reference"] for item in listed["items"]),
            text_of(browsers[DONOR].get(report)),
        )

    before = seen()
    with db.read_session(demo.engine) as session:
        call = session.exec(select(Call).where(Call.programme_id == programme)).first()
    assert call is not None
    form = browsers[MANAGER].get("/projects/new").text
    lead_id = lxml.html.fromstring(form).xpath("//select[@name='lead_organisation_id']/option")[1]
    created = browsers[MANAGER].post(
        "/projects/new",
        {
            "reference": "FRESH-DRAFT",
            "call_id": str(call.id),
            "title": "A project just drafted",
            "city": "Irbid",
            "country": "JO",
            "awarded_amount": "45000",
            "planned_start": "2026-09-01",
            "planned_end": "2027-06-30",
            "objective_codes": "A",
            "lead_organisation_id": lead_id.get("value"),
            "csrf_token": browsers[MANAGER].token("/projects/new"),
        },
    )
    assert created.status_code == 303, text_of(created)
    draft = int(created.headers["location"].rsplit("/", 1)[1])

    room, csv, figures, listed, portfolio = seen()
    assert "FRESH-DRAFT" not in room
    assert "FRESH-DRAFT" not in csv
    assert "FRESH-DRAFT" not in portfolio
    assert (room, csv, figures, listed) == before[:4]
    assert browsers[DONOR].get(f"/projects/{draft}").status_code == 404
    assert donor_api.get(f"/api/v1/projects/{draft}").status_code == 404
    assert donor_api.get(f"/api/v1/projects/{draft}/figures").status_code == 404
    assert browsers[DONOR].get(f"/projects/{draft}/report.pdf").status_code == 404
    # The manager's own totals say the draft is there and not counted.
    assert "1 draft not counted" in text_of(browsers[MANAGER].get("/projects?q=drafted"))

    with db.write_session(demo.engine) as session:
        project = session.get(Project, draft)
        assert project is not None
        projects.advance_project(session, SYSTEM, project, "start_contracting", today=TODAY)
    room, csv, figures, listed, _portfolio = seen()
    assert "FRESH-DRAFT" in csv
    assert "FRESH-DRAFT" in listed
    assert figures["projects"] == before[2]["projects"] + 1
