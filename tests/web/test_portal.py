"""The partner portal: what is due, and each form's success, refusals, permissions and CSRF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import lxml.html
import pytest
from sqlmodel import col, select

from grants import db
from grants.models import (
    Attachment,
    AuditEvent,
    BudgetLine,
    Expense,
    Indicator,
    IndicatorValue,
    Milestone,
    MilestoneStatus,
    ProgressUpdate,
    Project,
    ReviewStatus,
)
from grants.services import milestones
from grants.services.access import SYSTEM
from tests.conftest import Browsers, Demo
from tests.helpers import (
    CSV,
    DONOR,
    EDITOR_NOOR,
    EDITOR_ZARQA,
    MANAGER,
    TODAY,
    VIEWER,
    VIEWER_ZARQA,
    Browser,
    hidden_fields,
    milestone_state,
    new_milestone,
    org_id,
    project_id,
)

SAIDA = "editor.lb-saida@example.org"  # lead of SDA-CEDAR: a returned milestone and update
OUJDA = "editor.ma-oujda@example.org"  # lead of OUJ-ORIENTAL, whose draft update it holds
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
MOVED = TODAY + dt.timedelta(days=7)


def page_of(response: Any) -> Any:
    return lxml.html.fromstring(response.text)


def text_of(response: Any) -> str:
    return " ".join(page_of(response).text_content().split())


def error_next_to(response: Any, name: str) -> str:
    """Return the message tied to field ``name`` through aria-describedby."""
    page = page_of(response)
    field = page.get_element_by_id(name)
    assert field.get("aria-invalid") == "true", f"{name} is not marked invalid"
    assert f"{name}-error" in field.get("aria-describedby", "").split()
    return " ".join(page.get_element_by_id(f"{name}-error").text_content().split())


def value_of(response: Any, name: str) -> str:
    """Return what field ``name`` holds as the page shows it."""
    field = page_of(response).xpath(f"//*[@id='{name}' or (@type='hidden' and @name='{name}')]")[0]
    if field.tag == "textarea":
        return field.text or ""
    if field.tag == "select":
        chosen = field.xpath("option[@selected]")
        return chosen[0].get("value") if chosen else ""
    return field.get("value", "")


def post(browser: Browser, path: str, data: dict[str, str], files: Any = None) -> Any:
    """Post ``data`` through the form on ``path`` with the hidden fields it carries (the CSRF
    token and the version of the record it changes); where ``path`` shows no form, with the
    portal's token."""
    page = browser.get(path)
    shown = page.status_code == 200 and 'name="csrf_token"' in page.text
    hidden = hidden_fields(page.text) if shown else {"csrf_token": browser.token("/portal")}
    return browser.post(path, {**hidden, **data}, files=files)


def follow(browser: Browser, response: Any) -> Any:
    """Follow a redirect after a successful post and return the page it leads to."""
    assert response.status_code == 303, response.text
    return browser.get(response.headers["location"])


def find(demo: Demo, model: type, *conditions: Any) -> Any:
    with db.read_session(demo.engine) as session:
        return session.exec(select(model).where(*conditions)).first()


def count(demo: Demo, model: type, *conditions: Any) -> int:
    with db.read_session(demo.engine) as session:
        return len(session.exec(select(model).where(*conditions)).all())


def returned_milestone(demo: Demo) -> Milestone:
    return find(demo, Milestone, Milestone.status == MilestoneStatus.RETURNED)


# The portal's home page.


def test_home_lists_what_is_due_most_urgent_first_with_the_reviewers_reasons(
    demo: Demo, browsers: Browsers
) -> None:
    home = browsers[SAIDA].get("/portal")
    assert home.status_code == 200
    text = text_of(home)
    milestone = returned_milestone(demo)
    update = find(demo, ProgressUpdate, ProgressUpdate.status == ReviewStatus.RETURNED)
    assert milestone.review_note in text
    assert update.review_note in text
    assert text.index(milestone.title) < text.index(update.review_note), "overdue comes first"
    assert "88 days late" in text
    links = page_of(home).xpath("//a/@href")
    assert any(link.endswith(f"/milestones/{milestone.id}/submit") for link in links)
    assert any(link.endswith(f"/progress-updates/{update.id}/edit") for link in links)


def test_home_shows_only_my_organisations_projects(demo: Demo, browsers: Browsers) -> None:
    text = text_of(browsers[EDITOR_ZARQA].get("/portal"))
    assert "ZRQ-WOMEN" in text
    assert "SDA-CEDAR" not in text
    assert "OUJ-ORIENTAL" not in text


def test_a_viewer_sees_what_is_due_but_no_way_to_act(demo: Demo, browsers: Browsers) -> None:
    home = browsers[VIEWER_ZARQA].get("/portal")
    assert home.status_code == 200
    assert "ZRQ-WOMEN" in text_of(home)
    links = page_of(home).xpath("//main//a/@href")
    assert not [link for link in links if "/submit" in link or "/new" in link or "/edit" in link]


def test_a_donor_is_told_there_is_no_partner_project(browsers: Browsers) -> None:
    home = browsers[DONOR].get("/portal")
    assert home.status_code == 200
    assert "does not belong to a partner organisation" in text_of(home)


# Milestone submission.


def test_the_submit_page_shows_why_the_milestone_came_back(demo: Demo, browsers: Browsers) -> None:
    milestone = returned_milestone(demo)
    page = browsers[SAIDA].get(f"/milestones/{milestone.id}/submit")
    assert page.status_code == 200
    text = text_of(page)
    assert "Returned to you" in text
    assert milestone.review_note in text
    assert milestone.evidence_required in text
    assert page_of(page).xpath("//input[@type='file' and @name='evidence' and @multiple]")


def test_submit_a_milestone_with_two_files_and_a_note(demo: Demo, browsers: Browsers) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    browser = browsers[EDITOR_ZARQA]
    files = [
        ("evidence", ("attendance.csv", CSV, "text/csv")),
        ("evidence", ("report.pdf", PDF, "application/pdf")),
    ]
    response = post(browser, f"/milestones/{milestone}/submit", {"note": "Held on 10 June."}, files)
    landed = follow(browser, response)
    assert response.headers["location"] == f"/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}"
    assert "Milestone submitted for review" in text_of(landed)
    assert milestone_state(demo.engine, milestone).status == "submitted"
    stored = {a.filename for a in _files_of(demo, milestone)}
    assert stored == {"attendance.csv", "report.pdf"}
    event = find(
        demo,
        AuditEvent,
        AuditEvent.entity == "milestone",
        AuditEvent.entity_id == str(milestone),
        col(AuditEvent.reason).is_not(None),
    )
    assert event.reason == "Held on 10 June."
    again = browser.get(f"/milestones/{milestone}/submit")
    assert "waiting for the grant manager's review" in text_of(again)
    assert "Held on 10 June." in text_of(again)
    assert not page_of(again).xpath("//form[contains(@action, '/submit')]")
    review = page_of(browsers[MANAGER].get(f"/milestones/{milestone}/return"))
    shown = {label.text_content(): label.getnext().text_content() for label in review.iter("dt")}
    assert shown["Note from the partner"] == "Held on 10 June.", "the reviewer reads the note"


def _files_of(demo: Demo, milestone: int) -> list[Attachment]:
    with db.read_session(demo.engine) as session:
        return list(session.exec(select(Attachment).where(Attachment.milestone_id == milestone)))


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ([], 422, "attach the required evidence before submitting"),
        ([("evidence", ("virus.exe", b"MZ", "application/octet-stream"))], 422, "virus.exe"),
        ([("evidence", ("fake.pdf", b"not a pdf", "application/pdf"))], 422, "not a .pdf"),
        (
            [("evidence", ("huge.csv", b"a" * (10 * 1024 * 1024 + 1), "text/csv"))],
            413,
            "at most 10 MB",
        ),
    ],
    ids=["no file", "wrong type", "wrong content", "too large"],
)
def test_a_refused_submission_says_why_next_to_the_files_and_keeps_the_note(
    demo: Demo, browsers: Browsers, files: list[Any], status: int, message: str
) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    before = milestone_state(demo.engine, milestone)
    browser = browsers[EDITOR_ZARQA]
    response = post(
        browser, f"/milestones/{milestone}/submit", {"note": "Two lists attached."}, files or None
    )
    assert response.status_code == status
    assert message.lower() in error_next_to(response, "evidence").lower()
    assert value_of(response, "note") == "Two lists attached."
    assert milestone_state(demo.engine, milestone) == before


def test_a_submission_of_a_milestone_changed_meanwhile_shows_its_current_values(
    demo: Demo, browsers: Browsers
) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    browser = browsers[EDITOR_ZARQA]
    form = browser.get(f"/milestones/{milestone}/submit")
    version = page_of(form).xpath("//input[@name='version']/@value")[0]
    with db.write_session(demo.engine) as session:
        changed = session.get(Milestone, milestone)
        milestones.replan_milestone(session, SYSTEM, changed, MOVED, "Moved by a week")
    files = [("evidence", ("attendance.csv", CSV, "text/csv"))]
    response = post(
        browser, f"/milestones/{milestone}/submit", {"note": "Done", "version": version}, files
    )
    assert response.status_code == 409
    text = text_of(response)
    assert "Someone else changed this" in text
    assert MOVED.isoformat() in text
    assert value_of(response, "note") == "Done"
    assert milestone_state(demo.engine, milestone).status == "planned"
    assert _files_of(demo, milestone) == []


def test_submitting_a_milestone_already_submitted_is_refused_plainly(
    demo: Demo, browsers: Browsers
) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    browser = browsers[EDITOR_ZARQA]
    files = [("evidence", ("attendance.csv", CSV, "text/csv"))]
    assert post(browser, f"/milestones/{milestone}/submit", {}, files).status_code == 303
    again = post(browser, f"/milestones/{milestone}/submit", {}, files)
    assert again.status_code == 409
    assert "waiting for the grant manager's review" in text_of(again)
    assert len(_files_of(demo, milestone)) == 1


# Progress updates.

UPDATE = {
    "period_start": "2026-05-20",
    "period_end": "2026-06-14",
    "overall_status": "on_track",
    "percent_complete": "60",
    "achievements": "Three trainings for 45 front-line staff.",
    "challenges": "Ramadan moved two sessions.",
    "next_steps": "Open the second help desk.",
}


def _zarqa(demo: Demo) -> int:
    return project_id(demo.engine, "ZRQ-WOMEN")


def test_the_new_update_form_starts_after_the_last_update(demo: Demo, browsers: Browsers) -> None:
    form = browsers[EDITOR_ZARQA].get(f"/projects/{_zarqa(demo)}/updates/new")
    assert form.status_code == 200
    assert value_of(form, "period_start") == "2026-05-20"  # the last one ended on 19 May
    assert value_of(form, "period_end") == TODAY.isoformat()


def test_write_an_update_save_it_as_a_draft_then_submit_it(demo: Demo, browsers: Browsers) -> None:
    browser = browsers[EDITOR_ZARQA]
    saved = post(browser, f"/projects/{_zarqa(demo)}/updates/new", {**UPDATE, "action": "save"})
    edit = follow(browser, saved)
    assert "Draft saved" in text_of(edit)
    assert value_of(edit, "achievements") == UPDATE["achievements"]
    update = find(demo, ProgressUpdate, ProgressUpdate.achievements == UPDATE["achievements"])
    assert update.status == ReviewStatus.DRAFT
    assert saved.headers["location"] == f"/progress-updates/{update.id}/edit"
    version = value_of(edit, "version")
    changed = {**UPDATE, "percent_complete": "65", "action": "submit", "version": version}
    files = [("evidence", ("photos.pdf", PDF, "application/pdf"))]
    submitted = post(browser, f"/progress-updates/{update.id}/edit", changed, files)
    landed = follow(browser, submitted)
    assert "Progress update submitted for review" in text_of(landed)
    after = find(demo, ProgressUpdate, ProgressUpdate.id == update.id)
    assert (after.status, after.percent_complete, after.submitted_on) == (
        ReviewStatus.SUBMITTED,
        65,
        TODAY,
    )
    assert count(demo, Attachment, Attachment.progress_update_id == update.id) == 1
    closed = browser.get(f"/progress-updates/{update.id}/edit")
    assert "can no longer be changed" in text_of(closed)
    assert not page_of(closed).xpath("//textarea")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"percent_complete": "150"}, "percent_complete", "at most 100"),
        ({"percent_complete": "about half"}, "percent_complete", "whole number"),
        ({"period_end": "2026-05-01"}, "period_end", "must not be before the start"),
        ({"period_start": "20/05/2026"}, "period_start", "YYYY-MM-DD"),
        ({"overall_status": ""}, "overall_status", "Fill in this field"),
        ({"period_start": "2026-07-01", "period_end": "2026-07-31"}, "period_start", "future"),
        ({"period_end": "9999-12-31"}, "period_end", "between 1990-01-01 and 2100-12-31"),
    ],
    ids=[
        "percent too high",
        "percent not a number",
        "end before start",
        "date",
        "status",
        "future",
        "year 9999",
    ],
)
def test_bad_update_input_is_shown_next_to_its_field_and_nothing_is_lost(
    demo: Demo, browsers: Browsers, changes: dict[str, str], field: str, message: str
) -> None:
    before = count(demo, ProgressUpdate)
    typed = {**UPDATE, **changes, "action": "submit"}
    response = post(browsers[EDITOR_ZARQA], f"/projects/{_zarqa(demo)}/updates/new", typed)
    assert response.status_code == 422
    assert message.lower() in error_next_to(response, field).lower()
    for name in ("achievements", "challenges", "next_steps", field):
        assert value_of(response, name) == typed[name]
    assert count(demo, ProgressUpdate) == before


def test_text_with_control_characters_is_refused_not_stored(demo: Demo, browsers: Browsers) -> None:
    browser = browsers[EDITOR_ZARQA]
    before = count(demo, ProgressUpdate)
    typed = {**UPDATE, "achievements": "Held\x00 on time", "action": "save"}
    update = post(browser, f"/projects/{_zarqa(demo)}/updates/new", typed)
    assert update.status_code == 422
    assert "control characters" in error_next_to(update, "achievements")
    assert count(demo, ProgressUpdate) == before
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    files = [("evidence", ("attendance.csv", CSV, "text/csv"))]
    note = {"note": "Done\x1b[31m"}
    submitted = post(browser, f"/milestones/{milestone}/submit", note, files)
    assert submitted.status_code == 422
    assert "control characters" in error_next_to(submitted, "note")
    assert milestone_state(demo.engine, milestone).status == "planned"


def test_a_file_name_with_control_characters_is_refused(demo: Demo, browsers: Browsers) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    browser = browsers[EDITOR_ZARQA]
    hidden = browser.hidden(f"/milestones/{milestone}/submit")
    token, version = hidden["csrf_token"].encode(), hidden["version"].encode()
    body = b"".join(
        [
            b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token,
            b'\r\n--B\r\nContent-Disposition: form-data; name="version"\r\n\r\n' + version,
            b'\r\n--B\r\nContent-Disposition: form-data; name="evidence"; '
            b'filename="list\x00.csv"\r\nContent-Type: text/csv\r\n\r\n' + CSV,
            b"\r\n--B--\r\n",
        ]
    )
    headers = {"Origin": browser.origin, "Content-Type": "multipart/form-data; boundary=B"}
    response = browser.http.post(f"/milestones/{milestone}/submit", content=body, headers=headers)
    assert response.status_code == 422
    assert "control characters" in error_next_to(response, "evidence")
    assert _files_of(demo, milestone) == []


def test_a_draft_changed_meanwhile_shows_the_saved_values_and_keeps_mine(
    demo: Demo, browsers: Browsers
) -> None:
    browser = browsers[EDITOR_ZARQA]
    draft = {**UPDATE, "achievements": "First version.", "action": "save"}
    edit = follow(browser, post(browser, f"/projects/{_zarqa(demo)}/updates/new", draft))
    path = page_of(edit).xpath("//form[.//textarea]/@action")[0]
    stale = value_of(edit, "version")
    elsewhere = {**UPDATE, "achievements": "A colleague's version.", "version": stale}
    assert post(browser, path, {**elsewhere, "action": "save"}).status_code == 303
    mine = {**UPDATE, "achievements": "My version.", "version": stale, "action": "save"}
    response = post(browser, path, mine)
    assert response.status_code == 409
    assert "A colleague's version." in text_of(response)
    assert value_of(response, "achievements") == "My version."
    assert value_of(response, "version") == str(int(stale) + 1)
    saved = post(browser, path, {**mine, "version": value_of(response, "version")})
    assert saved.status_code == 303


def test_a_returned_update_shows_the_reason_and_goes_back_for_review(
    demo: Demo, browsers: Browsers
) -> None:
    update = find(demo, ProgressUpdate, ProgressUpdate.status == ReviewStatus.RETURNED)
    browser = browsers[SAIDA]
    edit = browser.get(f"/progress-updates/{update.id}/edit")
    assert update.review_note in text_of(edit)
    fields = {
        name: value_of(edit, name)
        for name in ("period_start", "period_end", "overall_status", "percent_complete")
    }
    fixed = {**fields, "achievements": "Trainings: 4 sessions, 61 people.", "action": "submit"}
    response = post(browser, f"/progress-updates/{update.id}/edit", fixed)
    assert response.status_code == 303
    assert find(demo, ProgressUpdate, ProgressUpdate.id == update.id).status == "submitted"


# Expenses.


def _line(demo: Demo, reference: str, code: str = "2") -> BudgetLine:
    return find(
        demo,
        BudgetLine,
        BudgetLine.project_id == project_id(demo.engine, reference),
        BudgetLine.code == code,
    )


def test_the_expense_form_shows_each_lines_remaining_budget(demo: Demo, browsers: Browsers) -> None:
    line = _line(demo, "ZRQ-WOMEN")
    form = browsers[EDITOR_ZARQA].get(f"/projects/{_zarqa(demo)}/expenses/new?line={line.id}")
    assert form.status_code == 200
    with db.read_session(demo.engine) as session:
        spent = sum(
            (
                e.amount
                for e in session.exec(select(Expense).where(Expense.budget_line_id == line.id))
            ),
            Decimal(0),
        )
    remaining = f"€{line.amount - spent:,.2f}"
    assert f"{remaining} left" in text_of(form)
    assert value_of(form, "budget_line_id") == str(line.id)
    assert value_of(form, "spent_on") == TODAY.isoformat()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1,234.56", "1234.56"),
        ("1 234.56", "1234.56"),
        ("1\u202f234.56", "1234.56"),
        ("1234.5", "1234.50"),
        (".5", "0.50"),
        ("12.", "12.00"),
    ],
)
def test_an_expense_amount_is_read_as_people_write_it(
    demo: Demo, browsers: Browsers, typed: str, stored: str
) -> None:
    reference = f"INV-{typed}"
    fields = {
        "budget_line_id": str(_line(demo, "ZRQ-WOMEN").id),
        "spent_on": "2026-06-12",
        "amount": typed,
        "description": "Interpreters",
        "reference": reference,
    }
    response = post(browsers[EDITOR_ZARQA], f"/projects/{_zarqa(demo)}/expenses/new", fields)
    assert response.status_code == 303, response.text
    assert find(demo, Expense, Expense.reference == reference).amount == Decimal(stored)


def test_record_an_expense(demo: Demo, browsers: Browsers) -> None:
    line = _line(demo, "ZRQ-WOMEN")
    browser = browsers[EDITOR_ZARQA]
    typed = {
        "budget_line_id": str(line.id),
        "spent_on": "2026-06-12",
        "amount": "1,234.56",
        "description": "Interpreters for the 12 June session",
        "reference": "INV-2026-117",
    }
    response = post(browser, f"/projects/{_zarqa(demo)}/expenses/new", typed)
    landed = follow(browser, response)
    assert "Expense of €1,234.56 recorded on 2026-06-12" in text_of(landed)
    stored = find(demo, Expense, Expense.reference == "INV-2026-117")
    assert (stored.amount, stored.currency, stored.budget_line_id) == (
        Decimal("1234.56"),
        "EUR",
        line.id,
    )
    assert "Interpreters for the 12 June session" in text_of(landed)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "12,5a"}, "amount", "Enter an amount"),
        ({"amount": "-20"}, "amount", "zero or more"),
        ({"amount": "10.125"}, "amount", "more than 2 decimal places for EUR"),
        ({"spent_on": "2026-06-30"}, "spent_on", "must not be in the future"),
        ({"spent_on": ""}, "spent_on", "Fill in this field"),
        ({"description": " "}, "description", "Fill in this field"),
        ({"budget_line_id": ""}, "budget_line_id", "Fill in this field"),
        ({"budget_line_id": "999999"}, "budget_line_id", "not a budget line"),
        ({"budget_line_id": "99999999999"}, "budget_line_id", "Choose one of the options"),
        ({"amount": "123456789012345"}, "amount", "below 100,000,000,000"),
        ({"amount": "1_000"}, "amount", "Enter an amount"),
        ({"amount": "+5"}, "amount", "Enter an amount"),
        ({"amount": "1E+2"}, "amount", "Enter an amount"),
        ({"amount": "\u0661\u0660\u0660"}, "amount", "Enter an amount"),
        ({"spent_on": "2026-06-10T00:00:00"}, "spent_on", "YYYY-MM-DD"),
        ({"spent_on": "20260610"}, "spent_on", "YYYY-MM-DD"),
        ({"description": "\u3000"}, "description", "Fill in this field"),
    ],
    ids=[
        "not a number",
        "negative",
        "cents",
        "future",
        "no date",
        "no description",
        "no line",
        "no such line",
        "beyond any line",
        "too large",
        "underscore",
        "plus sign",
        "exponent",
        "arabic-indic digits",
        "date and time",
        "date without dashes",
        "ideographic space",
    ],
)
def test_bad_expense_input_is_shown_next_to_its_field(
    demo: Demo, browsers: Browsers, changes: dict[str, str], field: str, message: str
) -> None:
    before = count(demo, Expense)
    typed = {
        "budget_line_id": str(_line(demo, "ZRQ-WOMEN").id),
        "spent_on": "2026-06-10",
        "amount": "250",
        "description": "Printing of leaflets",
        "reference": "",
        **changes,
    }
    response = post(browsers[EDITOR_ZARQA], f"/projects/{_zarqa(demo)}/expenses/new", typed)
    assert response.status_code == 422
    assert message.lower() in error_next_to(response, field).lower()
    assert value_of(response, "amount") == typed["amount"]
    assert value_of(response, "description") == typed["description"]
    assert count(demo, Expense) == before


def test_an_expense_on_another_projects_line_is_refused(demo: Demo, browsers: Browsers) -> None:
    typed = {
        "budget_line_id": str(_line(demo, "ACMALS").id),
        "spent_on": "2026-06-10",
        "amount": "250",
        "description": "Printing of leaflets",
    }
    response = post(browsers[EDITOR_ZARQA], f"/projects/{_zarqa(demo)}/expenses/new", typed)
    assert response.status_code == 422
    assert "Not a budget line of this project." in error_next_to(response, "budget_line_id")


# Indicator values.


def _indicator(demo: Demo, reference: str = "ZRQ-WOMEN") -> Indicator:
    return find(
        demo,
        Indicator,
        Indicator.project_id == project_id(demo.engine, reference),
        Indicator.code == "MIG-REACHED",
    )


def test_report_an_indicator_value(demo: Demo, browsers: Browsers) -> None:
    indicator = _indicator(demo)
    browser = browsers[EDITOR_ZARQA]
    form = browser.get(f"/indicators/{indicator.id}/values/new")
    assert value_of(form, "period_start") == "2026-05-20"
    typed = {"period_start": "2026-05-20", "period_end": "2026-06-10", "value": "132.5"}
    response = post(browser, f"/indicators/{indicator.id}/values/new", typed)
    landed = follow(browser, response)
    assert "Value reported for 2026-05-20 to 2026-06-10" in text_of(landed)
    assert "132.5" in text_of(landed)
    stored = find(demo, IndicatorValue, IndicatorValue.period_end == dt.date(2026, 6, 10))
    assert stored.value == Decimal("132.5")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"value": "many"}, "value", "Enter an amount"),
        ({"period_end": "2026-04-01"}, "period_end", "must not be before the start"),
        ({"period_end": "2026-05-19"}, "period_end", "already reported"),
        ({"value": "1.123456"}, "value", "at most 4 decimal places"),
    ],
    ids=["not a number", "end before start", "period already reported", "too precise"],
)
def test_bad_indicator_input_is_shown_next_to_its_field(
    demo: Demo, browsers: Browsers, changes: dict[str, str], field: str, message: str
) -> None:
    indicator = _indicator(demo)
    before = count(demo, IndicatorValue)
    typed = {"period_start": "2026-04-20", "period_end": "2026-06-01", "value": "7", **changes}
    response = post(browsers[EDITOR_ZARQA], f"/indicators/{indicator.id}/values/new", typed)
    assert response.status_code == 422
    assert message.lower() in error_next_to(response, field).lower()
    assert value_of(response, "value") == typed["value"]
    assert count(demo, IndicatorValue) == before


# Who may open and post each form.


def _targets(demo: Demo) -> dict[str, str]:
    """One path per form, on ZRQ-WOMEN (JO-ZARQA leads it, JO-CSO-NOOR co-implements)."""
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    # The demo's own draft, held by MA-OUJDA: other tests of this module add drafts of their
    # own, and without an order the database may return any of them first.
    draft = find(
        demo,
        ProgressUpdate,
        ProgressUpdate.status == ReviewStatus.DRAFT,
        ProgressUpdate.organisation_id == org_id(demo.engine, "MA-OUJDA"),
    )
    return {
        "milestone": f"/milestones/{milestone}/submit",
        "new update": f"/projects/{_zarqa(demo)}/updates/new",
        "expense": f"/projects/{_zarqa(demo)}/expenses/new",
        "indicator": f"/indicators/{_indicator(demo).id}/values/new",
        "other organisation's draft": f"/progress-updates/{draft.id}/edit",
        "outside milestone": f"/milestones/{demo.extras.outside_milestone}/submit",
        "other project's line": (
            f"/projects/{_zarqa(demo)}/expenses/new?line={_line(demo, 'OUJ-ORIENTAL').id}"
        ),
        "other project's indicator": f"/indicators/{_indicator(demo, 'OUJ-ORIENTAL').id}"
        "/values/new",
    }


ACCESS = [
    (EDITOR_NOOR, "milestone", 403),  # a co-partner: not the responsible organisation
    (EDITOR_NOOR, "new update", 200),
    (VIEWER_ZARQA, "milestone", 403),
    (VIEWER_ZARQA, "new update", 403),
    (VIEWER_ZARQA, "expense", 403),
    (VIEWER_ZARQA, "indicator", 403),
    (DONOR, "milestone", 403),
    (DONOR, "expense", 403),
    (VIEWER, "new update", 404),
    (VIEWER, "indicator", 404),
    (EDITOR_ZARQA, "other organisation's draft", 404),
    (EDITOR_ZARQA, "outside milestone", 404),
    (EDITOR_ZARQA, "other project's line", 404),
    (EDITOR_ZARQA, "other project's indicator", 404),
    (OUJDA, "other organisation's draft", 200),
]


@pytest.mark.parametrize(("email", "form", "status"), ACCESS)
def test_who_may_open_each_form(
    demo: Demo, browsers: Browsers, email: str, form: str, status: int
) -> None:
    assert browsers[email].get(_targets(demo)[form]).status_code == status


POSTS = ["milestone", "new update", "expense", "indicator"]


def _state(demo: Demo) -> tuple[int, ...]:
    return tuple(
        count(demo, model)
        for model in (AuditEvent, Attachment, ProgressUpdate, Expense, IndicatorValue)
    )


@pytest.mark.parametrize("form", POSTS)
@pytest.mark.parametrize(("email", "status"), [(DONOR, 403), (VIEWER, 404)])
def test_a_donor_or_another_organisation_cannot_post(
    demo: Demo, browsers: Browsers, form: str, email: str, status: int
) -> None:
    path = _targets(demo)[form].split("?")[0]
    before = _state(demo)
    files = [("evidence", ("attendance.csv", CSV, "text/csv"))]
    response = post(browsers[email], path, {**UPDATE, "amount": "5", "value": "5"}, files)
    assert response.status_code == status
    assert _state(demo) == before


@pytest.mark.parametrize("form", POSTS)
@pytest.mark.parametrize("token", [None, "forged"])
def test_a_post_without_this_sessions_csrf_token_is_refused(
    demo: Demo, browsers: Browsers, form: str, token: str | None
) -> None:
    path = _targets(demo)[form]
    before = _state(demo)
    data = {**UPDATE, "amount": "5", "value": "5"} | ({"csrf_token": token} if token else {})
    response = browsers[EDITOR_ZARQA].post(path, data)
    assert response.status_code == 403
    assert "The form expired or came from another site" in text_of(response)
    assert _state(demo) == before


def test_partners_report_only_while_the_project_is_open(demo: Demo, browsers: Browsers) -> None:
    closed = project_id(demo.engine, "ACMALS")
    with db.read_session(demo.engine) as session:
        assert session.get(Project, closed).status == "closed"
    form = browsers["editor.tn-sfax@example.org"].get(f"/projects/{closed}/expenses/new")
    assert form.status_code == 200
    assert "partners report only while it is active or finalising" in text_of(form)
    assert not page_of(form).xpath("//form[@method='post' and contains(@action, 'expenses')]")


def test_a_submission_or_a_draft_posted_without_its_version_is_refused_as_stale(
    demo: Demo, browsers: Browsers
) -> None:
    browser = browsers[EDITOR_ZARQA]
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    files = [("evidence", ("attendance.csv", CSV, "text/csv"))]
    token = browser.token("/portal")
    response = browser.post(
        f"/milestones/{milestone}/submit", {"csrf_token": token, "note": "Done"}, files=files
    )
    assert response.status_code == 409
    assert value_of(response, "note") == "Done"
    assert milestone_state(demo.engine, milestone).status == "planned"
    assert _files_of(demo, milestone) == []
    draft = {**UPDATE, "achievements": "First version.", "action": "save"}
    edit = follow(browser, post(browser, f"/projects/{_zarqa(demo)}/updates/new", draft))
    path = page_of(edit).xpath("//form[.//textarea]/@action")[0]
    mine = {**UPDATE, "achievements": "My version.", "action": "save"}
    response = browser.post(path, {"csrf_token": token, **mine})
    assert response.status_code == 409
    assert "First version." in text_of(response)
    assert value_of(response, "achievements") == "My version."
    assert value_of(response, "version") == value_of(edit, "version")
