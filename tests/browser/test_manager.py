"""The grant manager's pages in a real browser: sign-in, dashboard, lists, the project page,
forms with bad input, reviews and payments, accessibility, phones, and the screenshots."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import select

from grants import db
from grants.models import Project
from tests.browser.conftest import (
    EDITOR,
    MANAGER,
    Server,
    check_accessibility,
    has_horizontal_scroll,
    screenshot,
    sign_in,
)

expect = pytest.importorskip("playwright.sync_api").expect


def project_id(server: Server, reference: str) -> int:
    engine = db.make_engine(server.database_url)
    try:
        with db.read_session(engine) as session:
            return session.exec(select(Project.id).where(Project.reference == reference)).one()
    finally:
        engine.dispose()


def test_a_failed_sign_in_says_so_without_naming_the_cause(page: Any, live_server: Server) -> None:
    messages = []
    for email in ("nobody@example.org", MANAGER):
        page.goto(live_server.path("/login"))
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("not the password at all")
        page.get_by_role("button", name="Sign in").click()
        alert = page.get_by_role("alert")
        expect(alert).to_be_visible()
        messages.append(alert.inner_text())
        expect(page.get_by_label("Email")).to_have_value(email)
    assert messages[0] == messages[1] == "Unknown email or wrong password."
    check_accessibility(page)
    screenshot(page, "sign-in-failed")


def test_the_manager_dashboard(page: Any, live_server: Server) -> None:
    sign_in(page, live_server, MANAGER)
    expect(page).to_have_url(live_server.path("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    overdue = page.locator(
        "section", has=page.get_by_role("heading", name=re.compile("Milestones overdue"))
    )
    expect(overdue.get_by_role("link", name="SDA-CEDAR")).to_be_visible()
    expect(page.get_by_role("link", name="Import and export")).to_have_attribute(
        "href", "/exchange"
    )
    check_accessibility(page)
    screenshot(page, "dashboard")


def test_the_project_list_filters_without_losing_them(page: Any, live_server: Server) -> None:
    sign_in(page, live_server, MANAGER)
    page.goto(live_server.path("/projects"))
    page.get_by_label("Country").select_option("JO")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"country=JO"))
    table = page.locator("#results table")
    expect(table.get_by_role("link", name="ZRQ-WOMEN")).to_be_visible()
    expect(table.get_by_role("link", name="ACMALS")).to_have_count(0)
    page.get_by_role("link", name="Title").click()
    expect(page).to_have_url(re.compile(r"sort=title"))
    expect(page).to_have_url(re.compile(r"country=JO"))
    expect(page.get_by_label("Country")).to_have_value("JO")
    check_accessibility(page)
    page.goto(live_server.path("/projects"))
    screenshot(page, "projects")


def test_the_project_page(page: Any, live_server: Server) -> None:
    sign_in(page, live_server, MANAGER)
    page.goto(live_server.path(f"/projects/{project_id(live_server, 'ZRQ-WOMEN')}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zarqa")
    for name in ("Partners", "Milestones", "Tranches", "Budget against actual", "Indicators"):
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Edit project")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "project")


def test_a_form_with_bad_input_keeps_it_and_says_what_is_wrong(
    page: Any, live_server: Server
) -> None:
    sign_in(page, live_server, MANAGER)
    page.goto(live_server.path(f"/projects/{project_id(live_server, 'ZRQ-WOMEN')}/milestones/new"))
    page.get_by_label("Title").fill("")
    page.get_by_label("Due date").fill("2031-01-01")
    page.get_by_label("Description").fill("Community mapping with the youth council")
    page.get_by_role("button", name="Save").click()
    title = page.get_by_label("Title")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#title-error")).to_contain_text("Fill in this field")
    expect(page.get_by_label("Description")).to_have_value(
        "Community mapping with the youth council"
    )
    expect(page.get_by_role("alert")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "form-errors")


def test_return_a_milestone_with_a_reason_then_accept_it(page: Any, live_server: Server) -> None:
    sign_in(page, live_server, MANAGER)
    imigr = project_id(live_server, "I-MIGR")
    page.goto(live_server.path(f"/projects/{imigr}"))
    page.get_by_role("button", name="Return…").first.click()
    page.get_by_role("button", name="Return").click()
    expect(page.locator("#reason-error")).to_contain_text("reason is required")
    check_accessibility(page)
    page.get_by_label("Reason").fill("The attendance list is not signed.")
    page.get_by_role("button", name="Return").click()
    expect(page.get_by_role("status")).to_contain_text("Returned milestone")
    expect(page.get_by_text("The attendance list is not signed.")).to_be_visible()
    # The partner submits again (through the services), and the manager accepts.
    from grants.models import Milestone, MilestoneStatus
    from grants.services import milestones
    from grants.services.access import SYSTEM
    from tests.browser.conftest import TODAY

    engine = db.make_engine(live_server.database_url)
    try:
        with db.write_session(engine) as session:
            returned = session.exec(
                select(Milestone).where(
                    Milestone.project_id == imigr, Milestone.status == MilestoneStatus.RETURNED
                )
            ).one()
            milestones.advance_milestone(session, SYSTEM, returned, "submit", today=TODAY)
    finally:
        engine.dispose()
    page.goto(live_server.path(f"/projects/{imigr}"))
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("Accepted milestone")


def test_approve_and_pay_a_tranche(page: Any, live_server: Server) -> None:
    sign_in(page, live_server, MANAGER)
    page.goto(live_server.path(f"/projects/{project_id(live_server, 'OUJ-ORIENTAL')}#tranches"))
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Approved tranche 2")
    page.get_by_role("button", name="Record payment…").click()
    page.get_by_label("Payment reference").fill("PAY-OUJ-2")
    check_accessibility(page)
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded the payment of tranche 2")
    expect(page.get_by_text("PAY-OUJ-2")).to_be_visible()


def test_a_partner_opening_another_organisations_project_gets_not_found(
    page: Any, live_server: Server
) -> None:
    sign_in(page, live_server, EDITOR)
    response = page.goto(live_server.path(f"/projects/{project_id(live_server, 'ZRQ-WOMEN')}"))
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    check_accessibility(page)


MAIN_PAGES = ["/", "/projects", "/project", "/programmes", "/organisations"]


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_main_pages_fit_a_360_pixel_phone(phone_page: Any, live_server: Server, path: str) -> None:
    sign_in(phone_page, live_server, MANAGER)
    if path == "/project":
        path = f"/projects/{project_id(live_server, 'ZRQ-WOMEN')}"
    phone_page.goto(live_server.path(path))
    assert not has_horizontal_scroll(phone_page), f"{path} scrolls sideways on a phone"
    check_accessibility(phone_page)
    if path in {"/", "/projects"} or path.startswith("/projects/"):
        name = {"/": "dashboard", "/projects": "projects"}.get(path, "project")
        screenshot(phone_page, f"{name}-phone")
