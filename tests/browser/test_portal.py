"""The partner portal in a real browser: submit a milestone with a file, write a progress
update (draft, then submitted), record an expense; on a 360 px phone, accessibly."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import (
    EDITOR_ZARQA,
    Server,
    check_accessibility,
    has_horizontal_scroll,
    screenshot,
    sign_in,
)

CSV = b"name,date\nParticipant,2026-06-10\n"


def test_submit_a_milestone_with_a_file_from_the_phone(
    phone_page: Any, live_server: Server
) -> None:
    page = phone_page
    sign_in(page, live_server, EDITOR_ZARQA)
    page.goto(live_server.path("/portal"))
    assert not has_horizontal_scroll(page)
    check_accessibility(page)
    screenshot(page, "portal-phone")
    due = page.locator("article.due-item", has_text="days late").first
    title = due.locator("h3").inner_text()
    due.get_by_role("button", name="Submit with evidence").click()
    page.wait_for_url(re.compile(r"/milestones/\d+/submit$"))
    assert not has_horizontal_scroll(page)
    check_accessibility(page)
    page.get_by_label("Evidence files").set_input_files(
        files=[{"name": "attendance.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.get_by_label("Note for the reviewer").fill("Signed list of the 10 June session.")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit for review").click()
    assert re.search(r"/projects/\d+$", page.url)
    assert page.get_by_text(f"Milestone submitted for review: {title}").is_visible()


def test_write_a_progress_update_save_a_draft_then_submit_it(
    page: Any, live_server: Server
) -> None:
    sign_in(page, live_server, EDITOR_ZARQA)
    page.goto(live_server.path("/portal"))
    page.get_by_role("button", name="Write a progress update").first.click()
    page.wait_for_url(re.compile(r"/updates/new$"))
    check_accessibility(page)
    page.get_by_label("Overall status").select_option("at_risk")
    page.get_by_label("Percent complete").fill("55")
    page.get_by_label("Achievements").fill("Two help desks opened.")
    page.get_by_label("Challenges").fill("Staff turnover at the municipality.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save as draft").click()
    assert re.search(r"/progress-updates/\d+/edit$", page.url)
    assert page.get_by_text("Draft saved").is_visible()
    assert page.get_by_label("Achievements").input_value() == "Two help desks opened."
    page.get_by_label("Next steps").fill("Train the new staff.")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit for review").click()
    assert page.get_by_text("Progress update submitted for review.").is_visible()


def test_record_an_expense_and_see_it_listed(page: Any, live_server: Server) -> None:
    sign_in(page, live_server, EDITOR_ZARQA)
    page.goto(live_server.path("/portal"))
    page.get_by_role("button", name="Record an expense").first.click()
    page.wait_for_url(re.compile(r"/expenses/new$"))
    check_accessibility(page)
    line = page.get_by_label("Budget line")
    line.select_option(index=1)
    assert "left" in line.locator("option:checked").inner_text()
    page.get_by_label("Amount in EUR").fill("480.25")
    page.get_by_label("What was paid for").fill("Bus tickets for the exchange visit")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the expense").click()
    assert page.get_by_text("Expense of €480.25 recorded").is_visible()
    assert page.get_by_role("cell", name="Bus tickets for the exchange visit").is_visible()
