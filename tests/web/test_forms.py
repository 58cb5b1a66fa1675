"""The manager's forms and steps: CSRF, errors next to fields, conflicts, reviews, payments."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from sqlmodel import select

from grants import db
from grants.models import (
    BudgetLine,
    Call,
    Milestone,
    MilestoneStatus,
    Organisation,
    Project,
    ProjectPartner,
    Tranche,
    TrancheStatus,
)
from grants.services import milestones
from grants.services.access import SYSTEM
from tests.conftest import Browsers, Demo
from tests.helpers import (
    EDITOR,
    EDITOR_ZARQA,
    MANAGER,
    TODAY,
    attach_evidence,
    audit_count,
    new_milestone,
    project_id,
)


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
    field = page_of(response).xpath(f"//main//*[@id='{name}' or @name='{name}']")[0]
    return field.text or "" if field.tag == "textarea" else field.get("value", "")


def _token(browsers: Browsers, email: str = MANAGER) -> str:
    return browsers[email].token("/projects")


def _milestone(demo: Demo, reference: str, status: MilestoneStatus) -> Milestone:
    with db.read_session(demo.engine) as session:
        found = session.exec(
            select(Milestone)
            .join(Project, Project.id == Milestone.project_id)  # type: ignore[arg-type]
            .where(Project.reference == reference, Milestone.status == status)
        ).first()
    assert found is not None, (reference, status)
    return found


POSTS = [
    "/projects/new",
    "/projects/{project}/edit",
    "/projects/{project}/partners/new",
    "/projects/{project}/milestones/new",
    "/projects/{project}/tranches/new",
    "/projects/{project}/budget-lines/new",
    "/projects/{project}/workflow/suspend",
    "/milestones/{milestone}/accept",
    "/milestones/{milestone}/return",
    "/milestones/{milestone}/edit",
    "/milestones/{milestone}/replan",
    "/organisations/new",
    "/programmes/new",
]


@pytest.mark.parametrize("path", POSTS)
def test_every_form_needs_the_sessions_csrf_token(
    browsers: Browsers, demo: Demo, path: str
) -> None:
    project = project_id(demo.engine, "ZRQ-WOMEN")
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN")
    before = audit_count(demo.engine)
    target = path.format(project=project, milestone=milestone)
    for token in ({}, {"csrf_token": "forged"}):
        response = browsers[MANAGER].post(target, {**token, "reason": "x", "title": "x"})
        assert response.status_code == 403, (target, token)
        assert "The form expired" in text_of(response)
    assert audit_count(demo.engine) == before


def test_bad_input_is_shown_next_to_each_field_and_kept(browsers: Browsers, demo: Demo) -> None:
    project = project_id(demo.engine, "ZRQ-WOMEN")
    typed = {
        "title": "",
        "due_date": "31/12/2026",
        "description": "Keep this text",
        "csrf_token": _token(browsers),
    }
    before = audit_count(demo.engine)
    response = browsers[MANAGER].post(f"/projects/{project}/milestones/new", typed)
    assert response.status_code == 422
    assert "Fill in this field" in error_next_to(response, "title")
    assert "YYYY-MM-DD" in error_next_to(response, "due_date")
    assert value_of(response, "due_date") == "31/12/2026"
    assert value_of(response, "description") == "Keep this text"
    assert audit_count(demo.engine) == before


def test_a_rule_of_the_service_is_shown_next_to_its_field(browsers: Browsers, demo: Demo) -> None:
    project = project_id(demo.engine, "ZRQ-WOMEN")
    typed = {"title": "Late", "due_date": "2031-01-01", "csrf_token": _token(browsers)}
    response = browsers[MANAGER].post(f"/projects/{project}/milestones/new", typed)
    assert response.status_code == 422
    assert "within the project period" in error_next_to(response, "due_date")
    assert value_of(response, "title") == "Late"


def test_a_concurrent_edit_shows_the_current_values(browsers: Browsers, demo: Demo) -> None:
    project = project_id(demo.engine, "ZRQ-WOMEN")
    form = page_of(browsers[MANAGER].get(f"/projects/{project}/edit"))
    fields = {
        el.get("name"): el.get("value") or (el.text or "")
        for el in form.xpath("//main//form//*[@name]")
    }
    stale = {**fields, "version": str(int(fields["version"]) - 1), "city": "Zarqa (changed)"}
    response = browsers[MANAGER].post(f"/projects/{project}/edit", stale)
    assert response.status_code == 409
    text = text_of(response)
    assert "Someone else changed this record" in text
    assert "Zarqa" in text
    assert value_of(response, "city") == "Zarqa (changed)"
    again = {**stale, "version": value_of(response, "version")}
    assert browsers[MANAGER].post(f"/projects/{project}/edit", again).status_code == 303


def test_returning_a_milestone_needs_a_reason_then_accepting_it_works(
    browsers: Browsers, demo: Demo
) -> None:
    milestone = _milestone(demo, "I-MIGR", MilestoneStatus.SUBMITTED)
    manager = browsers[MANAGER]
    path = f"/milestones/{milestone.id}/return"
    refused = manager.post(
        path, {"reason": " ", "version": str(milestone.version), "csrf_token": _token(browsers)}
    )
    assert refused.status_code == 422
    assert "reason is required" in error_next_to(refused, "reason")
    done = manager.post(
        path,
        {
            "reason": "Attach the signed list",
            "version": str(milestone.version),
            "csrf_token": _token(browsers),
        },
    )
    assert done.status_code == 303
    shown = manager.get(done.headers["location"])
    assert "Returned milestone" in text_of(shown)
    assert "Returned milestone" not in text_of(manager.get(done.headers["location"])), "shown once"
    with db.read_session(demo.engine) as session:
        returned = session.get(Milestone, milestone.id)
        assert returned is not None
        assert returned.status == MilestoneStatus.RETURNED
        assert returned.review_note == "Attach the signed list"


def _submitted_milestone(demo: Demo) -> Milestone:
    """Plan a milestone on ZRQ-WOMEN, attach its evidence and submit it; return it."""
    ident = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    attach_evidence(demo.engine, ident)
    with db.write_session(demo.engine) as session:
        milestone = session.get(Milestone, ident)
        assert milestone is not None
        milestones.advance_milestone(session, SYSTEM, milestone, "submit", today=TODAY)
    with db.read_session(demo.engine) as session:
        found = session.get(Milestone, ident)
        assert found is not None
        return found


def test_accepting_a_submitted_milestone_after_seeing_its_evidence(
    browsers: Browsers, demo: Demo
) -> None:
    milestone = _submitted_milestone(demo)
    review = browsers[MANAGER].get(f"/milestones/{milestone.id}/accept")
    assert "attendance.csv" in text_of(review)
    response = browsers[MANAGER].post(
        f"/milestones/{milestone.id}/accept",
        {"version": value_of(review, "version"), "csrf_token": _token(browsers)},
    )
    assert response.status_code == 303
    with db.read_session(demo.engine) as session:
        accepted = session.get(Milestone, milestone.id)
        assert accepted is not None
        assert accepted.status == MilestoneStatus.ACCEPTED
        assert accepted.accepted_on == TODAY


@pytest.mark.parametrize("version", ["stale", "missing"])
def test_a_step_on_a_record_changed_meanwhile_is_refused_with_its_values(
    browsers: Browsers, demo: Demo, version: str
) -> None:
    milestone = _submitted_milestone(demo)
    sent = {"reason": "Missing pages", "csrf_token": _token(browsers)}
    if version == "stale":
        sent["version"] = str(milestone.version - 1)
    response = browsers[MANAGER].post(f"/milestones/{milestone.id}/return", sent)
    assert response.status_code == 409
    text = text_of(response)
    assert "Someone else changed this record" in text
    assert value_of(response, "reason") == "Missing pages"
    assert value_of(response, "version") == str(milestone.version)
    assert "attendance.csv" in text
    with db.read_session(demo.engine) as session:
        responsible = session.get(Organisation, milestone.responsible_organisation_id)
        assert responsible is not None
    assert responsible.name in text
    with db.read_session(demo.engine) as session:
        kept = session.get(Milestone, milestone.id)
        assert kept is not None
    assert (kept.status, kept.version) == (MilestoneStatus.SUBMITTED, milestone.version)


def test_a_partner_may_not_take_a_managers_step(browsers: Browsers, demo: Demo) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    assert browsers[EDITOR_ZARQA].get(f"/milestones/{milestone}/cancel").status_code == 403
    refused = browsers[EDITOR_ZARQA].post(
        f"/milestones/{milestone}/cancel",
        {"reason": "x", "csrf_token": _token(browsers, EDITOR_ZARQA)},
    )
    assert refused.status_code == 403
    assert browsers[EDITOR].get(f"/milestones/{milestone}/cancel").status_code == 404


def test_approving_then_paying_a_releasable_tranche(browsers: Browsers, demo: Demo) -> None:
    oujda = project_id(demo.engine, "OUJ-ORIENTAL")
    with db.read_session(demo.engine) as session:
        tranche = session.exec(
            select(Tranche).where(Tranche.project_id == oujda, Tranche.position == 2)
        ).one()
    manager = browsers[MANAGER]
    approved = manager.post(
        f"/tranches/{tranche.id}/approve",
        {"version": str(tranche.version), "csrf_token": _token(browsers)},
    )
    assert approved.status_code == 303
    form = manager.get(f"/tranches/{tranche.id}/pay")
    bad = manager.post(
        f"/tranches/{tranche.id}/pay",
        {
            "paid_amount": "lots",
            "version": value_of(form, "version"),
            "csrf_token": _token(browsers),
        },
    )
    assert bad.status_code == 422
    assert "amount" in error_next_to(bad, "paid_amount").lower()
    paid = manager.post(
        f"/tranches/{tranche.id}/pay",
        {
            "paid_amount": "",
            "reference": "PAY-2026-17",
            "version": value_of(form, "version"),
            "csrf_token": _token(browsers),
        },
    )
    assert paid.status_code == 303
    with db.read_session(demo.engine) as session:
        done = session.get(Tranche, tranche.id)
        assert done is not None
        assert done.status == TrancheStatus.PAID
        assert done.paid_amount == tranche.amount
        assert done.payment_reference == "PAY-2026-17"
        assert done.paid_on == TODAY


def _edited(demo: Demo, kind: str) -> str:
    """Return the edit page of a record of ZRQ-WOMEN (its programme, call, lead) of ``kind``."""
    ident = project_id(demo.engine, "ZRQ-WOMEN")
    if kind in ("milestones/{}/edit", "milestones/{}/replan"):
        return "/" + kind.format(new_milestone(demo.engine, "ZRQ-WOMEN"))
    with db.read_session(demo.engine) as session:
        project = session.get(Project, ident)
        assert project is not None
        call = session.get(Call, project.call_id)
        assert call is not None
        records: dict[str, Any] = {
            "budget-lines/{}/edit": session.exec(
                select(BudgetLine.id).where(BudgetLine.project_id == ident)
            ).first(),
            "tranches/{}/edit": session.exec(
                select(Tranche.id).where(
                    Tranche.project_id == ident, Tranche.status == TrancheStatus.SCHEDULED
                )
            ).first(),
            "organisations/{}/edit": session.exec(
                select(ProjectPartner.organisation_id).where(ProjectPartner.project_id == ident)
            ).first(),
            "calls/{}/edit": call.id,
            "projects/{}/edit": ident,
            "programmes/{}/edit": call.programme_id,
        }
    assert records[kind] is not None, kind
    return "/" + kind.format(records[kind])


EDIT_FORMS = [
    "budget-lines/{}/edit",
    "milestones/{}/edit",
    "milestones/{}/replan",
    "tranches/{}/edit",
    "organisations/{}/edit",
    "programmes/{}/edit",
    "calls/{}/edit",
    "projects/{}/edit",
]


def _edit_form(browsers: Browsers, path: str) -> dict[str, str]:
    """Return what the edit form at ``path`` posts as shown, with a reason for a replan."""
    form = page_of(browsers[MANAGER].get(path)).xpath("//main//form[.//*[@name='version']]")[0]
    return {**dict(form.form_values()), "reason": "Moved by the partner's request"}


@pytest.mark.parametrize("version", ["stale", "missing"])
@pytest.mark.parametrize("kind", EDIT_FORMS)
def test_every_edit_form_refuses_a_stale_or_missing_version_with_the_current_one(
    browsers: Browsers, demo: Demo, kind: str, version: str
) -> None:
    path = _edited(demo, kind)
    fields = _edit_form(browsers, path)
    before = audit_count(demo.engine)
    if version == "stale":
        sent = {**fields, "version": str(int(fields["version"]) - 1)}
    else:  # a post that cannot show what its sender saw
        sent = {k: v for k, v in fields.items() if k != "version"}
    response = browsers[MANAGER].post(path, sent)
    assert response.status_code == 409, response.text
    assert "Someone else changed this record" in text_of(response)
    assert value_of(response, "version") == fields["version"]
    assert audit_count(demo.engine) == before
    again = {**sent, "version": value_of(response, "version")}
    assert browsers[MANAGER].post(path, again).status_code == 303


@pytest.mark.parametrize("kind", EDIT_FORMS)
def test_every_edit_form_refuses_a_required_field_left_blank(
    browsers: Browsers, demo: Demo, kind: str
) -> None:
    path = _edited(demo, kind)
    fields = _edit_form(browsers, path)
    shown = page_of(browsers[MANAGER].get(path))
    required = shown.xpath("//main//form//input[@required][not(@type='hidden')]/@name")
    assert required, f"{path} has no required field"
    before = audit_count(demo.engine)
    for name in required:
        response = browsers[MANAGER].post(path, {**fields, name: "  "})
        assert response.status_code == 422, (name, response.text)
        assert error_next_to(response, name) == "Fill in this field."
    assert audit_count(demo.engine) == before
