"""One set of input rules for every door: text and ids a form, an API body or a file sends
are checked by the same rules (``grants.models.base``), so each hostile value is a 4xx naming
its field on both engines, never a 500 on PostgreSQL and never stored on SQLite."""

from __future__ import annotations

import json
import logging
from typing import Any

import lxml.html
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlmodel import SQLModel, col, select

from grants import db
from grants.api import schemas
from grants.models import (
    Milestone,
    Programme,
    ProgressUpdate,
    Project,
    ProjectStatus,
    ReviewStatus,
    Tranche,
    TrancheStatus,
)
from grants.models.base import MAX_ID, PlainText
from grants.services import milestones, tranches
from grants.services.access import SYSTEM
from tests.api.helpers import client, fields, problem, project_body
from tests.conftest import Browsers, Demo
from tests.helpers import (
    ADMIN,
    EDITOR_ZARQA,
    MANAGER,
    TODAY,
    Browser,
    attach_evidence,
    audit_count,
    new_milestone,
    project_id,
)

NUL = "Agreed on the phone\x00 with the mayor"
BELL = "Agreed\x07 on the phone"
TOO_LONG = "x" * 20_000


def error_next_to(response: Any, name: str) -> str:
    """Return the message a form page ties to field ``name`` through aria-describedby."""
    page = lxml.html.fromstring(response.text)
    field = page.get_element_by_id(name)
    assert field.get("aria-invalid") == "true", f"{name} is not marked invalid"
    return " ".join(page.get_element_by_id(f"{name}-error").text_content().split())


def _first(demo: Demo, statement: Any) -> Any:
    with db.read_session(demo.engine) as session:
        found = session.exec(statement).first()
    assert found is not None
    return found


def _tranche(demo: Demo, status: TrancheStatus) -> int:
    """Return a tranche of an active project in ``status`` (approving one if need be)."""
    active = select(Project.id).where(Project.status == ProjectStatus.ACTIVE)
    with db.write_session(demo.engine) as session:
        found = session.exec(
            select(Tranche).where(Tranche.status == status, col(Tranche.project_id).in_(active))
        ).first()
        if found is None and status == TrancheStatus.APPROVED:
            found = next(
                t
                for t in session.exec(
                    select(Tranche).where(
                        Tranche.status == TrancheStatus.SCHEDULED,
                        col(Tranche.project_id).in_(active),
                    )
                )
                if tranches.is_releasable(session, t)
            )
            tranches.advance_tranche(session, SYSTEM, found, "approve", today=TODAY)
        assert found is not None
        return found.id


def _submitted_milestone(demo: Demo) -> int:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN")
    attach_evidence(demo.engine, milestone, EDITOR_ZARQA)
    with db.write_session(demo.engine) as session:
        found = session.get(Milestone, milestone)
        assert found is not None
        milestones.advance_milestone(session, SYSTEM, found, "submit", today=TODAY)
    return milestone


def _step(browsers: Browsers, path: str, data: dict[str, str], email: str = MANAGER) -> Any:
    browser = browsers[email]
    page = browser.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return browser.post(path, {**browser.hidden(path), **data})


# The web's workflow forms take text the API has always checked.


@pytest.mark.parametrize(
    ("reason", "says"),
    [(NUL, "control characters"), (BELL, "control characters"), (TOO_LONG, "at most 2000")],
    ids=["NUL", "bell", "20,000 characters"],
)
def test_a_suspend_reason_follows_the_apis_rule_on_the_web(
    demo: Demo, browsers: Browsers, reason: str, says: str
) -> None:
    project = project_id(demo.engine, "ZRQ-WOMEN")
    before = audit_count(demo.engine)
    response = _step(browsers, f"/projects/{project}/workflow/suspend", {"reason": reason})
    assert response.status_code == 422, response.text[:300]
    assert says in error_next_to(response, "reason")
    assert audit_count(demo.engine) == before
    with db.read_session(demo.engine) as session:
        found = session.get(Project, project)
        assert found is not None
        assert found.status == ProjectStatus.ACTIVE


def test_every_reason_a_web_step_takes_is_checked(demo: Demo, browsers: Browsers) -> None:
    """Return, cancel and accept on milestones, return on progress updates, cancel on
    tranches, cancel on projects: each refuses the text, next to its field."""
    submitted = _submitted_milestone(demo)
    planned = new_milestone(demo.engine, "ZRQ-WOMEN")
    update = _first(
        demo,
        select(ProgressUpdate.id).where(ProgressUpdate.status == ReviewStatus.SUBMITTED),
    )
    scheduled = _tranche(demo, TrancheStatus.SCHEDULED)
    project = project_id(demo.engine, "ZRQ-WOMEN")
    steps = [
        f"/milestones/{submitted}/return",
        f"/milestones/{submitted}/accept",
        f"/milestones/{planned}/cancel",
        f"/progress-updates/{update}/return",
        f"/tranches/{scheduled}/cancel",
        f"/projects/{project}/workflow/cancel",
    ]
    before = audit_count(demo.engine)
    for path in steps:
        for reason in (NUL, "y" * 2001):
            response = _step(browsers, path, {"reason": reason})
            assert response.status_code == 422, (path, response.status_code)
            assert error_next_to(response, "reason"), path
    assert audit_count(demo.engine) == before


@pytest.mark.parametrize("reference", ["R" * 101, "INV\x00-12", "INV\x1b[0m"])
def test_a_payment_reference_follows_the_apis_rule_on_the_web(
    demo: Demo, browsers: Browsers, reference: str
) -> None:
    tranche = _tranche(demo, TrancheStatus.APPROVED)
    before = audit_count(demo.engine)
    response = _step(browsers, f"/tranches/{tranche}/pay", {"reference": reference})
    assert response.status_code == 422, response.text[:300]
    assert error_next_to(response, "reference")
    assert audit_count(demo.engine) == before


@pytest.mark.parametrize("reference", ["R" * 101, "INV\x00-12"])
def test_the_api_refuses_the_same_payment_reference(
    app: FastAPI, demo: Demo, reference: str
) -> None:
    tranche = _tranche(demo, TrancheStatus.APPROVED)
    response = client(app, demo, MANAGER).post(
        f"/api/v1/tranches/{tranche}/pay", json={"reference": reference}
    )
    assert fields(problem(response, 422)) == {"reference"}


@pytest.mark.parametrize(
    "reason", [NUL, "x" * 2001, "\ud800 lone surrogate", "a\x7fb", "Paused\x9b31m", "a\x85b"]
)
def test_the_api_refuses_the_same_reasons(app: FastAPI, demo: Demo, reason: str) -> None:
    project = project_id(demo.engine, "ZRQ-WOMEN")
    before = audit_count(demo.engine)
    response = client(app, demo, MANAGER).post(
        f"/api/v1/projects/{project}/suspend",
        content=json.dumps({"reason": reason}),  # the surrogate as \\ud800, as JSON allows
        headers={"Content-Type": "application/json"},
    )
    assert "reason" in fields(problem(response, 422))
    assert audit_count(demo.engine) == before


def test_a_replan_reason_follows_the_rule_on_the_web(demo: Demo, browsers: Browsers) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN")
    before = audit_count(demo.engine)
    for reason in (NUL, "z" * 2001):
        response = _step(
            browsers,
            f"/milestones/{milestone}/replan",
            {"due_date": "2026-09-30", "reason": reason},
        )
        assert response.status_code == 422, response.text[:300]
        assert error_next_to(response, "reason")
    assert audit_count(demo.engine) == before


def test_a_submission_note_follows_the_same_rule(demo: Demo, browsers: Browsers) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN")
    editor = browsers[EDITOR_ZARQA]
    before = audit_count(demo.engine)
    response = editor.post(
        f"/milestones/{milestone}/submit",
        {"note": "n" * 2001, "csrf_token": editor.token("/portal")},
        files={"evidence": ("attendance.csv", b"name\nA\n", "text/csv")},
    )
    assert response.status_code == 422, response.text[:300]
    assert "at most 2000" in error_next_to(response, "note")
    assert audit_count(demo.engine) == before


def test_a_call_objective_title_follows_the_apis_rule_on_the_web(
    demo: Demo, browsers: Browsers
) -> None:
    programme = _first(demo, select(Programme.id).where(Programme.code == "MC2CM"))
    before = audit_count(demo.engine)
    for title in ("T" * 301, "Cooperation\x00"):
        response = _step(
            browsers,
            f"/programmes/{programme}/calls/new",
            {
                "code": "HOSTILE-CALL",
                "title": "Hostile call",
                "opens_on": "2026-07-01",
                "closes_on": "2026-08-31",
                "max_amount": "50000",
                "objectives": f"A: {title}",
            },
            email=ADMIN,
        )
        assert response.status_code == 422, response.text[:300]
        assert error_next_to(response, "objectives")
    assert audit_count(demo.engine) == before


def test_a_sign_in_with_a_nul_in_the_email_is_a_failed_sign_in(browsers: Browsers) -> None:
    """PostgreSQL cannot even compare text holding a NUL: the sign-in fails as any other."""
    wrong = Browser(browsers.app).sign_in("nobody@example.org", check=False)
    browser = Browser(browsers.app)
    response = browser.sign_in("man\x00ager@example.org", check=False)
    assert response.status_code == wrong.status_code == 400
    assert "Unknown email or wrong password" in response.text
    assert browser.cookie() is None


# Ids: one bounded type, next to MAX_ID, for every id anyone sends.


def _input_models() -> list[type[BaseModel]]:
    """Every model a door validates what it was sent with."""
    found: list[type[BaseModel]] = []
    pending: list[type[Any]] = [PlainText]
    while pending:
        model = pending.pop()
        for sub in model.__subclasses__():
            if sub not in found:
                found.append(sub)
                pending.append(sub)
    return [m for m in found if not getattr(m, "__table__", None)]


def _bounds(schema: dict[str, Any]) -> list[tuple[Any, Any]]:
    """Return the (minimum, maximum) of each integer the field's schema allows."""
    if schema.get("type") == "integer":
        return [(schema.get("minimum"), schema.get("maximum"))]
    found = []
    for key in ("anyOf", "items"):
        parts = schema.get(key) or []
        for part in parts if isinstance(parts, list) else [parts]:
            found.extend(_bounds(part))
    return found


def test_every_input_model_is_plain_text_and_bounds_its_ids() -> None:
    models = _input_models()
    assert schemas.ProjectPatch in models
    assert schemas.ReasonIn in models
    unbounded = []
    for model in models:
        properties = model.model_json_schema(mode="validation").get("properties", {})
        for name, schema in properties.items():
            if name.endswith(("_id", "_ids")) and _bounds(schema) != [(1, MAX_ID)]:
                unbounded.append(f"{model.__name__}.{name}")
    assert not unbounded, unbounded
    api_models = [m for m in vars(schemas).values() if isinstance(m, type)]
    for model in api_models:
        if issubclass(model, SQLModel) and model.__name__.endswith(("In", "Patch", "Body")):
            assert issubclass(model, PlainText), model


@pytest.mark.parametrize("beyond", [2**31, 2**40, 2**63])
def test_an_id_beyond_32_bits_in_a_body_is_a_field_error(
    app: FastAPI, demo: Demo, beyond: int
) -> None:
    api = client(app, demo, MANAGER)
    url = f"/api/v1/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}"
    before = audit_count(demo.engine)
    etag = api.get(url).headers["etag"]
    patched = api.patch(url, json={"manager_id": beyond}, headers={"If-Match": etag})
    assert fields(problem(patched, 422)) == {"manager_id"}
    milestone = {"title": "T", "due_date": "2026-09-30", "responsible_organisation_id": beyond}
    posted = api.post(f"{url}/milestones", json=milestone)
    assert fields(problem(posted, 422)) == {"responsible_organisation_id"}
    partner = api.post(f"{url}/partners", json={"organisation_id": beyond, "role": "funder"})
    assert fields(problem(partner, 422)) == {"organisation_id"}
    assert audit_count(demo.engine) == before


# Database messages never reach an answer.


def test_a_clash_the_database_refuses_is_answered_without_its_words(
    app: FastAPI, demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    api = client(app, demo, ADMIN)
    body = {"ref": "JO-ZARQA", "name": "Zarqa again", "kind": "municipality", "country": "JO"}
    with caplog.at_level(logging.WARNING, logger="grants.services"):
        response = api.post("/api/v1/organisations", json=body)
    document = problem(response, 409)
    told = response.text.lower()
    for word in ("unique constraint", "constraint failed", "duplicate key", "organisation.ref"):
        assert word not in told, document
    assert any(getattr(r, "event", None) == "integrity_error" for r in caplog.records)
    logged = " ".join(str(getattr(r, "error", "")) for r in caplog.records).lower()
    assert "unique" in logged or "duplicate" in logged


def test_a_clash_on_a_web_form_is_answered_without_the_databases_words(
    demo: Demo, browsers: Browsers
) -> None:
    response = _step(
        browsers,
        "/organisations/new",
        {"ref": "JO-ZARQA", "name": "Zarqa again", "kind": "municipality", "country": "JO"},
    )
    assert response.status_code == 409, response.status_code
    told = response.text.lower()
    assert "clashes with existing data" in told
    for word in ("unique constraint", "duplicate key", "organisation.ref"):
        assert word not in told


@pytest.mark.parametrize("gate", ["\u00b2", "9" * 20, "0", "-3", "1e3"])
def test_a_gate_the_tranche_form_never_offered_is_refused_not_dropped(
    demo: Demo, browsers: Browsers, gate: str
) -> None:
    project = project_id(demo.engine, "ZRQ-WOMEN")
    before = audit_count(demo.engine)
    response = _step(
        browsers,
        f"/projects/{project}/tranches/new",
        {"amount": "100.00", "planned_date": "2027-01-15", "gate_milestone_ids": gate},
    )
    assert response.status_code == 422, response.text[:300]
    assert "Choose one of the options." in error_next_to(response, "gate_milestone_ids")
    assert audit_count(demo.engine) == before


@pytest.mark.parametrize(
    ("code", "says"),
    [("A\x00", "control characters"), ("\x06", "control characters"), ("x" * 200, "at most 10")],
    ids=["NUL", "ACK", "200 characters"],
)
def test_an_objective_code_the_project_form_never_offered_is_refused(
    app: FastAPI, demo: Demo, browsers: Browsers, code: str, says: str
) -> None:
    body = project_body(app, demo, "JO-IRBID-OBJ", objective_codes=["A", code])
    sent = {k: v if isinstance(v, list) else str(v) for k, v in body.items() if k != "currency"}
    before = audit_count(demo.engine)
    response = _step(browsers, "/projects/new", sent)
    assert response.status_code == 422, response.text[:300]
    assert says in lxml.html.fromstring(response.text).text_content()
    assert audit_count(demo.engine) == before
