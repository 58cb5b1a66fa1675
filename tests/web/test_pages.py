"""The manager's pages as each role sees them: dashboard, project list, project page, menus.

Read-only: every test here only reads the module's demo copy, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import lxml.html
import pytest
from openpyxl import load_workbook
from sqlmodel import select

from grants import db
from grants.models import Milestone, Project, User
from grants.services import dashboard
from grants.services.access import principal_for
from tests.conftest import Browsers, Demo
from tests.helpers import (
    ADMIN,
    DONOR,
    EDITOR,
    EDITOR_ZARQA,
    MANAGER,
    TODAY,
    VIEWER,
    Browser,
    project_id,
)


def text_of(response: Any) -> str:
    return " ".join(lxml.html.fromstring(response.text).text_content().split())


def links_of(response: Any) -> set[str]:
    return set(lxml.html.fromstring(response.text).xpath("//a/@href"))


def test_anonymous_visitors_get_the_landing_page(app: Any) -> None:
    page = Browser(app).get("/")
    assert page.status_code == 200
    assert "Sign in" in text_of(page)


@pytest.mark.parametrize(
    ("email", "home"), [(EDITOR, "/portal"), (VIEWER, "/portal"), (DONOR, "/donor")]
)
def test_partners_and_donors_are_sent_to_their_own_home(
    browsers: Browsers, email: str, home: str
) -> None:
    response = browsers[email].get("/")
    assert response.status_code == 303
    assert response.headers["location"] == home


@pytest.mark.parametrize("email", [MANAGER, ADMIN])
def test_the_dashboard_shows_what_needs_attention_today(browsers: Browsers, email: str) -> None:
    page = browsers[email].get("/")
    assert page.status_code == 200
    text = text_of(page)
    for heading in (
        "Projects at risk",
        "Milestones overdue",
        "Due in the next 30 days",
        "Tranches ready to release",
        "Milestones to review",
        "Progress updates to review",
    ):
        assert heading in text
    assert "SDA-CEDAR" in text  # overdue by 88 days and at risk
    assert "88" in text
    assert "OUJ-ORIENTAL" in text  # its second tranche waits to be released
    assert "I-MIGR" in text  # a submitted milestone waits for review
    assert "Suspended: " in text  # BYB-HERITAGE is at risk because it is suspended


@pytest.mark.parametrize(
    ("email", "present", "absent"),
    [
        (
            MANAGER,
            {"/", "/projects", "/programmes", "/organisations", "/exchange"},
            {"/portal", "/donor"},
        ),
        (EDITOR, {"/portal"}, {"/exchange", "/organisations", "/donor"}),
        (DONOR, {"/donor"}, {"/exchange", "/organisations", "/portal"}),
    ],
)
def test_the_menu_follows_the_role(
    browsers: Browsers, email: str, present: set[str], absent: set[str]
) -> None:
    page = browsers[email].get("/projects")
    menu = set(
        lxml.html.fromstring(page.text).xpath(
            "//nav[@class='container-fluid site-nav']//ul[@class='menu']//a/@href"
        )
    )
    assert present <= menu
    assert not menu & absent


def test_the_current_page_is_marked_in_the_menu(browsers: Browsers) -> None:
    page = lxml.html.fromstring(browsers[MANAGER].get("/projects?country=JO").text)
    assert page.xpath("//a[@aria-current='page']/@href") == ["/projects"]


def _references(response: Any) -> list[str]:
    page = lxml.html.fromstring(response.text)
    return [
        a.text_content()
        for a in page.xpath("//table[contains(@class,'data')]//td[contains(@class,'link')]/a")
    ]


def test_the_project_list_filters_by_country_and_status(browsers: Browsers) -> None:
    manager = browsers[MANAGER]
    jordan = _references(manager.get("/projects", params={"country": "jo"}))
    assert "ZRQ-WOMEN" in jordan
    assert "ACMALS" not in jordan
    closed = _references(manager.get("/projects", params={"status": "closed"}))
    assert len(closed) == 3


def test_the_project_list_filters_the_projects_at_risk(browsers: Browsers) -> None:
    at_risk = _references(browsers[MANAGER].get("/projects", params={"at_risk": "true"}))
    assert sorted(at_risk) == ["BYB-HERITAGE", "SDA-CEDAR", "SOU-CITYLAB", "ZRQ-WOMEN"]
    safe = _references(browsers[MANAGER].get("/projects", params={"at_risk": "false"}))
    assert not set(at_risk) & set(safe)
    assert len(safe) == 14 - 4


def test_sorting_and_paging_keep_the_filters(browsers: Browsers) -> None:
    manager = browsers[MANAGER]
    page = manager.get("/projects", params={"status": "active", "sort": "-title", "limit": "2"})
    html = lxml.html.fromstring(page.text)
    header = html.xpath("//th[@aria-sort]")
    assert [th.get("aria-sort") for th in header] == ["descending"]
    for href in html.xpath("//thead//a[@class='sort']/@href") + html.xpath("//a[@download]/@href"):
        assert "status=active" in href


def test_a_filter_that_is_not_understood_is_named_and_left_out(browsers: Browsers) -> None:
    page = browsers[MANAGER].get("/projects", params={"country": "Jordan", "status": "active"})
    assert page.status_code == 200
    html = lxml.html.fromstring(page.text)
    field = html.get_element_by_id("country")
    assert field.get("aria-invalid") == "true"
    assert "two-letter country code" in html.get_element_by_id("country-error").text_content()
    assert all(row for row in _references(page))  # still listed, filtered by status only
    assert "ZRQ-WOMEN" in _references(page)


def test_the_project_list_downloads_with_the_filters_on_screen(browsers: Browsers) -> None:
    manager = browsers[MANAGER]
    response = manager.get("/projects.csv", params={"country": "JO"})
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row["Country"] for row in rows} == {"JO"}
    assert "ZRQ-WOMEN" in {row["Reference"] for row in rows}
    sheet = load_workbook(
        io.BytesIO(manager.get("/projects.xlsx", params={"country": "JO"}).content)
    ).active
    assert [cell.value for cell in sheet[1]][:2] == ["Reference", "Title"]
    assert sheet.max_row == len(rows) + 1


@pytest.mark.parametrize(
    "name", ["overdue", "due-soon", "releasable", "milestone-reviews", "update-reviews", "at-risk"]
)
def test_each_dashboard_list_downloads_whole(browsers: Browsers, name: str) -> None:
    response = browsers[MANAGER].get(f"/dashboard/{name}.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) >= 2, "the demo has at least one row in every list"


def test_only_managers_download_the_dashboard(browsers: Browsers) -> None:
    assert browsers[EDITOR].get("/dashboard/overdue.csv").status_code == 403


def test_a_partner_sees_only_their_own_projects(browsers: Browsers) -> None:
    listed = _references(browsers[EDITOR].get("/projects"))
    assert listed == ["ACMALS"]


def test_a_project_outside_ones_scope_is_not_found(browsers: Browsers, demo: Demo) -> None:
    other = project_id(demo.engine, "ZRQ-WOMEN")
    for email in (EDITOR, VIEWER):
        for path in (f"/projects/{other}", f"/projects/{other}/history", f"/projects/{other}/edit"):
            response = browsers[email].get(path)
            assert response.status_code == 404, (email, path)
            assert "This page does not exist." in text_of(response)


def test_the_project_page_shows_every_section(browsers: Browsers, demo: Demo) -> None:
    page = browsers[MANAGER].get(f"/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}")
    text = text_of(page)
    for section in (
        "Partners",
        "Milestones",
        "Tranches",
        "Budget against actual",
        "Indicators",
        "Progress updates",
        "Evidence files",
        "Reports",
        "At risk",
    ):
        assert section in text
    assert "Zarqa Municipality" in text
    assert "Baseline due" in text


def test_the_manager_gets_the_actions_and_the_donor_reads_only(
    browsers: Browsers, demo: Demo
) -> None:
    imigr = project_id(demo.engine, "I-MIGR")
    manager = browsers[MANAGER].get(f"/projects/{imigr}")
    assert f"/projects/{imigr}/edit" in links_of(manager)
    assert "Accept" in text_of(manager)  # its final milestone was submitted
    donor = browsers[DONOR].get(f"/projects/{imigr}")
    assert donor.status_code == 200
    forms = lxml.html.fromstring(donor.text).xpath("//main//form")
    assert forms == [], "a donor's view has no form"
    assert not {link for link in links_of(donor) if link.endswith(("/edit", "/new", "/return"))}


def test_a_partner_editor_gets_links_to_report(browsers: Browsers, demo: Demo) -> None:
    zarqa = project_id(demo.engine, "ZRQ-WOMEN")
    links = links_of(browsers[EDITOR_ZARQA].get(f"/projects/{zarqa}"))
    assert f"/projects/{zarqa}/updates/new" in links
    assert f"/projects/{zarqa}/expenses/new" in links
    assert any(link.endswith("/submit") for link in links)
    assert f"/projects/{zarqa}/edit" not in links


@pytest.mark.parametrize(
    "path", ["/programmes", "/organisations", "/organisations?q=Sfax", "/projects/new"]
)
def test_the_managers_other_pages_answer(browsers: Browsers, path: str) -> None:
    assert browsers[MANAGER].get(path).status_code == 200


@pytest.mark.parametrize("path", ["/projects/new", "/organisations/new", "/programmes/new"])
def test_partners_may_not_open_the_managers_forms(browsers: Browsers, path: str) -> None:
    assert browsers[EDITOR].get(path).status_code == 403


def test_an_id_out_of_range_is_refused_plainly(browsers: Browsers) -> None:
    response = browsers[MANAGER].get("/projects/99999999999")
    assert response.status_code == 422
    assert "Something went wrong" not in text_of(response)


def test_a_milestone_past_its_due_date_reads_overdue_wherever_its_status_is_shown(
    browsers: Browsers, demo: Demo
) -> None:
    with db.read_session(demo.engine) as session:
        manager = session.exec(select(User).where(User.email == MANAGER)).one()
        [first] = dashboard.work(
            session, principal_for(session, manager), "overdue", TODAY, 1
        ).items
        milestone = session.get(Milestone, first["id"])
        assert milestone is not None
        project = session.get(Project, milestone.project_id)
        assert project is not None
    assert milestone.status.value in {"planned", "in_progress", "returned"}

    rows = list(
        csv.DictReader(io.StringIO(browsers[MANAGER].get("/dashboard/overdue.csv").text[1:]))
    )
    assert rows
    assert {row["Status"] for row in rows} == {"overdue"}

    page = lxml.html.fromstring(browsers[MANAGER].get(f"/projects/{project.id}").text)
    row = next(tr for tr in page.xpath("//tr") if milestone.title in tr.text_content())
    assert [badge.text_content().strip() for badge in row.xpath(".//span[@class]")] == ["overdue"]


def test_the_project_list_writes_each_place_as_every_page_does(browsers: Browsers) -> None:
    page = lxml.html.fromstring(browsers[MANAGER].get("/projects", params={"sort": "country"}).text)
    headers = [th.text_content().strip(" ▲▼") for th in page.xpath("//table//th")]
    assert "Place" in headers
    assert "City" not in headers
    places = [
        row.xpath("./td")[headers.index("Place")].text_content().strip()
        for row in page.xpath("//table/tbody/tr")
    ]
    assert "Zarqa (JO)" in places
    countries = [place.rsplit("(", 1)[1].rstrip(")") for place in places]
    assert countries == sorted(countries)
