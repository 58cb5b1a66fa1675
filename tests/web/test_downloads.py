"""Every list downloads as CSV and XLSX with the rows, scope and filters of its page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import lxml.html
import pytest
from openpyxl import load_workbook
from sqlmodel import select

from grants import db
from grants.audit import note_reason
from grants.models import (
    Call,
    OrganisationCreate,
    OrganisationKind,
    Project,
    ProjectUpdate,
    ReportScope,
)
from grants.services import programmes, projects
from grants.services.access import SYSTEM
from reports import archive
from tests.conftest import Browsers, Demo
from tests.helpers import (
    DONOR,
    EDITOR,
    EDITOR_ZARQA,
    MANAGER,
    TODAY,
    Browser,
    project_id,
)

SAIDA = "editor.lb-saida@example.org"  # lead of SDA-CEDAR: a returned milestone and update
FORMULA = '=HYPERLINK("http://example.org","open")'
FORMULA_TITLE = "=1+2 women migrants in Zarqa"


@pytest.fixture(scope="module")
def formulas(demo: Demo) -> dict[str, int]:
    """Put formula-like text where downloads show it: an organisation's name, a project's title
    and the reason of that change, and an issued report of the donor's programme."""
    with db.write_session(demo.engine) as session:
        programmes.create_organisation(
            session,
            SYSTEM,
            OrganisationCreate(ref="FORMULA-ORG", name=FORMULA, kind=OrganisationKind.OTHER),
        )
        project = session.exec(select(Project).where(Project.reference == "ZRQ-WOMEN")).one()
        note_reason(session, FORMULA)
        projects.update_project(session, SYSTEM, project, ProjectUpdate(title=FORMULA_TITLE))
        call = session.get(Call, project.call_id)
        assert call is not None
        spec = archive.ReportSpec(ReportScope.PROGRAMME, call.programme_id, TODAY)
        name = archive.filename(spec, "MC2CM", "pdf", issued=True)
        built = archive.Built(b"%PDF-1.7\n", "application/pdf", name, call.programme_id, "MC2CM")
        archive.store(session, SYSTEM, spec, built, dt.datetime(2026, 6, 15, 9, 30, tzinfo=dt.UTC))
        outside = session.get(Project, demo.extras.outside_project)
        assert outside is not None
        outside_call = session.get(Call, outside.call_id)
        assert outside_call is not None
        return {"programme": call.programme_id, "outside": outside_call.programme_id}


def csv_rows(browser: Browser, path: str, **params: str) -> list[dict[str, str]]:
    """Return the CSV download's rows, after checking it is an attachment named for today."""
    response = browser.get(f"{path}.csv", params=params)
    assert response.status_code == 200, (path, response.status_code)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"-{TODAY.isoformat()}.csv" in disposition
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(browser: Browser, path: str, **params: str) -> list[dict[str, Any]]:
    response = browser.get(f"{path}.xlsx", params=params)
    assert response.status_code == 200, (path, response.status_code)
    assert f"-{TODAY.isoformat()}.xlsx" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows())
    names = [cell.value for cell in header]
    return [dict(zip(names, row, strict=True)) for row in rows]


def both(browser: Browser, path: str, key: str, **params: str) -> list[str]:
    """Return column ``key`` of the download, the same in its CSV and its XLSX."""
    from_csv = [row[key] for row in csv_rows(browser, path, **params)]
    from_xlsx = [row[key].value for row in xlsx_rows(browser, path, **params)]
    assert [str(value) for value in from_xlsx] == from_csv
    return from_csv


def page_texts(browser: Browser, path: str, xpath: str) -> list[str]:
    response = browser.get(path)
    assert response.status_code == 200, (path, response.status_code)
    found = lxml.html.fromstring(response.text).xpath(xpath)
    return [" ".join(element.text_content().split()) for element in found]


def neutralised(browser: Browser, path: str, key: str, expected: str) -> None:
    """The value is in both files as text, never as a formula a spreadsheet would run."""
    assert "'" + expected in [row[key] for row in csv_rows(browser, path)]
    [cell] = [row[key] for row in xlsx_rows(browser, path) if row[key].value == expected]
    assert cell.data_type == "s"
    assert cell.quotePrefix


def test_the_organisation_list_downloads_with_its_search(
    browsers: Browsers, formulas: dict[str, int]
) -> None:
    manager = browsers[MANAGER]
    shown = page_texts(manager, "/organisations?q=zarqa", "//main//table/tbody/tr/td[1]")
    assert shown
    assert both(manager, "/organisations", "Reference", q="zarqa") == shown
    everything = both(manager, "/organisations", "Reference")
    assert len(everything) > len(shown)
    neutralised(manager, "/organisations", "Name", FORMULA)


def test_a_partner_downloads_only_the_organisations_it_meets(browsers: Browsers) -> None:
    editor = browsers[EDITOR]
    shown = page_texts(editor, "/organisations", "//main//table/tbody/tr/td[1]")
    assert both(editor, "/organisations", "Reference") == shown
    assert "FORMULA-ORG" not in shown


def test_the_programme_list_downloads_one_row_per_call(browsers: Browsers) -> None:
    manager = browsers[MANAGER]
    calls = page_texts(manager, "/programmes", "//main//table/tbody/tr/td[1]")
    assert calls
    assert both(manager, "/programmes", "Call") == calls
    codes = {text.split(" · ")[0] for text in page_texts(manager, "/programmes", "//main//h2")}
    assert set(both(manager, "/programmes", "Programme")) == codes


def test_a_project_history_downloads_who_when_what_and_why(
    browsers: Browsers, demo: Demo, formulas: dict[str, int]
) -> None:
    path = f"/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}/history"
    manager = browsers[MANAGER]
    who = page_texts(manager, path, "//main//table/tbody/tr/td[2]")
    assert who
    assert both(manager, path, "Who") == who
    changes = [row["Changes"] for row in csv_rows(manager, path)]
    assert any(FORMULA_TITLE in change for change in changes)
    neutralised(manager, path, "Why", FORMULA)
    assert "history-ZRQ-WOMEN" in manager.get(f"{path}.csv").headers["content-disposition"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_another_organisation_history_does_not_exist(
    browsers: Browsers, demo: Demo, fmt: str
) -> None:
    path = f"/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}/history.{fmt}"
    assert browsers[EDITOR].get(path).status_code == 404
    outside = f"/projects/{demo.extras.outside_project}/history.{fmt}"
    assert browsers[DONOR].get(outside).status_code == 404


def test_the_portal_projects_download_holds_only_my_projects(
    browsers: Browsers, formulas: dict[str, int]
) -> None:
    zarqa = browsers[EDITOR_ZARQA]
    shown = page_texts(zarqa, "/portal", "//section[@aria-labelledby='projects-heading']//h3")
    assert shown == ["ZRQ-WOMEN"]
    assert both(zarqa, "/portal/projects", "Project") == shown
    neutralised(zarqa, "/portal/projects", "Title", FORMULA_TITLE)
    sfax = browsers[EDITOR]
    theirs = both(sfax, "/portal/projects", "Project")
    assert theirs
    assert "ZRQ-WOMEN" not in theirs
    assert both(browsers[MANAGER], "/portal/projects", "Project") == []


@pytest.mark.parametrize("email", [SAIDA, EDITOR_ZARQA])
def test_what_is_due_downloads_in_the_portal_order(browsers: Browsers, email: str) -> None:
    partner = browsers[email]
    shown = page_texts(partner, "/portal", "//article[@class='due-item']//p[1]/a")
    headings = page_texts(partner, "/portal", "//article[@class='due-item']//h3")
    assert shown, "the demo has something due for both partners"
    assert both(partner, "/portal/due", "Project") == shown
    assert [row["What"] for row in csv_rows(partner, "/portal/due")] == headings


def test_the_donor_room_downloads_each_programme_projects(
    browsers: Browsers, formulas: dict[str, int]
) -> None:
    donor = browsers[DONOR]
    programme = formulas["programme"]
    section = f"//section[@id='programme-{programme}']"
    shown = page_texts(donor, "/donor", f"{section}//table/tbody/tr/td[1]/a")
    path = f"/donor/programmes/{programme}/projects"
    assert shown
    assert both(donor, path, "Project") == shown
    neutralised(donor, path, "Title", FORMULA_TITLE)


def test_the_donor_room_downloads_the_issued_reports(
    browsers: Browsers, formulas: dict[str, int]
) -> None:
    donor = browsers[DONOR]
    programme = formulas["programme"]
    section = f"//section[@id='programme-{programme}']"
    shown = page_texts(donor, "/donor", f"{section}//ul[@class='issued-reports']/li/a")
    assert shown
    assert both(donor, f"/donor/programmes/{programme}/reports", "File") == shown


@pytest.mark.parametrize("what", ["projects", "reports"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_donor_room_downloads_keep_to_funded_programmes(
    browsers: Browsers, formulas: dict[str, int], what: str, fmt: str
) -> None:
    outside = f"/donor/programmes/{formulas['outside']}/{what}.{fmt}"
    assert browsers[DONOR].get(outside).status_code == 404
    funded = f"/donor/programmes/{formulas['programme']}/{what}.{fmt}"
    assert browsers[EDITOR].get(funded).status_code == 404
    assert browsers[DONOR].get(funded).status_code == 200


def test_the_pages_link_to_their_downloads(
    browsers: Browsers, demo: Demo, formulas: dict[str, int]
) -> None:
    history = f"/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}/history"
    room = f"/donor/programmes/{formulas['programme']}"
    for email, page, link in [
        (MANAGER, "/organisations", "/organisations.csv"),
        (MANAGER, "/programmes", "/programmes.xlsx"),
        (MANAGER, history, f"{history}.csv"),
        (EDITOR_ZARQA, "/portal", "/portal/due.xlsx"),
        (EDITOR_ZARQA, "/portal", "/portal/projects.csv"),
        (DONOR, "/donor", f"{room}/projects.csv"),
        (DONOR, "/donor", f"{room}/reports.xlsx"),
    ]:
        response = browsers[email].get(page)
        links = lxml.html.fromstring(response.text).xpath("//p[@class='downloads']/a/@href")
        assert any(href.split("?")[0] == link for href in links), (page, link, links)
