"""One milestone's whole story in a real browser, across the three roles: the partner submits
it with evidence, the grant manager returns it with a reason, the partner submits again, the
manager accepts it, approves and pays the tranche it releases and issues the project's
report, and the donor finds the payment in that report in the report room."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from sqlmodel import Session, col, select

from grants import db
from grants.i18n import format_money
from grants.models import (
    Call,
    Membership,
    Milestone,
    MilestoneStatus,
    ProgrammeFunder,
    Project,
    ProjectStatus,
    Role,
    Tranche,
    TrancheGate,
    TrancheStatus,
    User,
)
from grants.services import tranches
from tests.browser.conftest import MANAGER, TODAY, Server, check_accessibility, sign_in

expect = pytest.importorskip("playwright.sync_api").expect

FIRST = b"name,date\nParticipant,2026-06-01\n"
SECOND = b"name,date,signature\nParticipant,2026-06-01,signed\n"
REASON = "The attendance list is not signed by the trainer."
OPEN = {MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS}


@dataclass(frozen=True)
class Cast:
    """The demo records the story plays on, found in the server's database."""

    project_id: int
    reference: str
    milestone_id: int
    milestone_title: str
    tranche_id: int
    tranche_position: int
    amount: Decimal
    currency: str
    disbursed_before: Decimal
    editor: str
    donor: str


def _email(session: Session, role: Role, organisation_ids: list[int]) -> str | None:
    """Return the first email (alphabetically) holding ``role`` for one of the organisations."""
    return session.exec(
        select(User.email)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.role == role, col(Membership.organisation_id).in_(organisation_ids))
        .order_by(col(User.email))
    ).first()


def _cast_for(session: Session, tranche: Tranche, project: Project) -> Cast | None:
    """Return the cast if accepting one open, due milestone makes ``tranche`` releasable."""
    gates = session.exec(
        select(Milestone)
        .join(TrancheGate, col(TrancheGate.milestone_id) == col(Milestone.id))
        .where(TrancheGate.tranche_id == tranche.id)
    ).all()
    waiting = [m for m in gates if m.status != MilestoneStatus.ACCEPTED]
    if len(waiting) != 1 or waiting[0].status not in OPEN:
        return None
    milestone = waiting[0]
    if milestone.responsible_organisation_id is None:
        return None
    if milestone.due_date > TODAY + dt.timedelta(days=30):
        return None  # not yet on the partner's list of what is due
    programme_id = session.exec(select(Call.programme_id).where(Call.id == project.call_id)).one()
    funders = session.exec(
        select(ProgrammeFunder.organisation_id).where(ProgrammeFunder.programme_id == programme_id)
    ).all()
    editor = _email(session, Role.PARTNER_EDITOR, [milestone.responsible_organisation_id])
    donor = _email(session, Role.DONOR, list(funders))
    if editor is None or donor is None:
        return None
    return Cast(
        project.id,
        project.reference,
        milestone.id,
        milestone.title,
        tranche.id,
        tranche.position,
        tranche.amount,
        tranche.currency,
        tranches.paid_total(session, project.id),
        editor,
        donor,
    )


@pytest.fixture(scope="module")
def cast(live_server: Server) -> Cast:
    """The first scheduled tranche of an active project waiting on one open milestone."""
    engine = db.make_engine(live_server.database_url)
    try:
        with db.read_session(engine) as session:
            rows = session.exec(
                select(Tranche, Project)
                .join(Project, col(Project.id) == col(Tranche.project_id))
                .where(
                    Tranche.status == TrancheStatus.SCHEDULED,
                    Project.status == ProjectStatus.ACTIVE,
                )
                .order_by(col(Project.reference), col(Tranche.position))
            ).all()
            for tranche, project in rows:
                found = _cast_for(session, tranche, project)
                if found is not None:
                    return found
    finally:
        engine.dispose()
    raise AssertionError("the demo has no tranche that one milestone's acceptance releases")


def _switch_to(page: Any, server: Server, email: str) -> None:
    """Sign out whoever is signed in, then sign in as ``email``."""
    if page.get_by_role("button", name="Sign out").count():
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(server.path("/login"))
    sign_in(page, server, email)


def _due_item(page: Any, cast: Cast) -> Any:
    """Return the portal's entry for the milestone, among what is due."""
    return (
        page.locator("article.due-item")
        .filter(has=page.get_by_role("link", name=cast.reference, exact=True))
        .filter(has=page.get_by_role("heading", name=cast.milestone_title))
    )


def _submit_from_the_portal(page: Any, server: Server, cast: Cast, name: str, data: bytes) -> None:
    """As the partner, submit the milestone from what is due, with one evidence file."""
    _switch_to(page, server, cast.editor)
    expect(page).to_have_url(server.path("/portal"))
    check_accessibility(page)
    _due_item(page, cast).get_by_role("button", name="Submit with evidence").click()
    expect(page).to_have_url(server.path(f"/milestones/{cast.milestone_id}/submit"))
    check_accessibility(page)
    page.get_by_label("Evidence files").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_label("Note for the reviewer").fill(f"Evidence in {name}.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page).to_have_url(server.path(f"/projects/{cast.project_id}"))
    expect(page.get_by_role("status")).to_contain_text(
        f"Milestone submitted for review: {cast.milestone_title}"
    )
    row = page.locator(f"#milestone-{cast.milestone_id}")
    expect(row).to_contain_text("submitted")
    expect(row.get_by_role("link", name=name)).to_be_visible()
    check_accessibility(page)


def _return_with_a_reason(page: Any, server: Server, cast: Cast) -> None:
    """As the manager, open the submission, read its evidence and return it with a reason."""
    _switch_to(page, server, MANAGER)
    page.goto(server.path(f"/projects/{cast.project_id}"))
    row = page.locator(f"#milestone-{cast.milestone_id}")
    row.get_by_role("button", name="Return…").click()
    expect(page).to_have_url(server.path(f"/milestones/{cast.milestone_id}/return"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(cast.milestone_title)
    note = page.locator("dl.facts div", has_text="Note from the partner")
    expect(note).to_contain_text("Evidence in attendance.csv.")
    evidence = page.get_by_role("link", name="attendance.csv")
    assert page.request.get(server.path(evidence.get_attribute("href"))).body() == FIRST
    check_accessibility(page)
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Return", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"“{cast.milestone_title}” to the partner")
    expect(row).to_contain_text("returned")
    expect(row).to_contain_text(REASON)
    check_accessibility(page)


def _read_the_reason_and_submit_again(page: Any, server: Server, cast: Cast) -> None:
    """As the partner, see why the milestone came back, then submit it with a new file."""
    _switch_to(page, server, cast.editor)
    due = _due_item(page, cast)
    expect(due).to_contain_text("Returned to you")
    expect(due.locator("blockquote")).to_have_text(REASON)
    _submit_from_the_portal(page, server, cast, "attendance-signed.csv", SECOND)


def _accept_approve_and_pay(page: Any, server: Server, cast: Cast) -> None:
    """As the manager, accept the milestone, then approve and pay the tranche it releases."""
    _switch_to(page, server, MANAGER)
    page.goto(server.path(f"/projects/{cast.project_id}"))
    milestone = page.locator(f"#milestone-{cast.milestone_id}")
    tranche = page.locator(f"#tranche-{cast.tranche_id}")
    for evidence in ("attendance.csv", "attendance-signed.csv"):
        expect(milestone.get_by_role("link", name=evidence)).to_be_visible()
    expect(tranche.get_by_role("button", name="Approve")).to_have_count(0)
    milestone.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("Accepted milestone")
    expect(milestone).to_contain_text("accepted")
    expect(tranche).to_contain_text("releasable")
    tranche.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(f"Approved tranche {cast.tranche_position}")
    tranche.get_by_role("button", name="Record payment…").click()
    expect(page).to_have_url(server.path(f"/tranches/{cast.tranche_id}/pay"))
    check_accessibility(page)
    page.get_by_label("Payment reference").fill("PAY-FLOW-1")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Recorded the payment of tranche {cast.tranche_position}"
    )
    paid = format_money(cast.amount, cast.currency)
    expect(tranche).to_contain_text(f"{paid}, {TODAY.isoformat()}")
    expect(tranche).to_contain_text("PAY-FLOW-1")


def _issue_the_report(page: Any, server: Server) -> str:
    """As the manager, issue the project's progress report; return its file name."""
    with page.expect_download() as download:
        page.get_by_role("button", name="Issue and download").click()
    name: str = download.value.suggested_filename
    assert name.endswith(".pdf")
    page.reload()
    expect(page.get_by_role("link", name=name)).to_be_visible()
    check_accessibility(page)
    return name


def _pdf_text(content: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _find_the_payment_in_the_issued_report(
    page: Any, server: Server, cast: Cast, name: str
) -> None:
    """As a donor of the programme, download the issued report and read the payment in it."""
    _switch_to(page, server, cast.donor)
    expect(page).to_have_url(server.path("/donor"))
    disbursed = format_money(cast.disbursed_before + cast.amount, cast.currency)
    room_row = page.locator("tr", has=page.get_by_role("link", name=cast.reference, exact=True))
    expect(room_row).to_contain_text(disbursed)
    check_accessibility(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=name).click()
    path = download.value.path()
    assert path is not None
    text = _pdf_text(path.read_bytes())
    section = re.search(r"Payment tranches(.*?)Budget and spending", text)
    assert section is not None, "the report has no tranches section"
    paid = re.escape(format_money(cast.amount, cast.currency))
    row = rf"\b{cast.tranche_position} {paid} \S+ .*?paid {TODAY.isoformat()} {paid}"
    assert re.search(row, section.group(1)), f"no payment of the tranche in {section.group(1)}"


def test_a_milestone_from_submission_to_payment_in_the_donors_report(
    page: Any, live_server: Server, cast: Cast
) -> None:
    page.goto(live_server.path("/login"))
    check_accessibility(page)
    _submit_from_the_portal(page, live_server, cast, "attendance.csv", FIRST)
    _return_with_a_reason(page, live_server, cast)
    _read_the_reason_and_submit_again(page, live_server, cast)
    _accept_approve_and_pay(page, live_server, cast)
    name = _issue_the_report(page, live_server)
    _find_the_payment_in_the_issued_report(page, live_server, cast, name)
