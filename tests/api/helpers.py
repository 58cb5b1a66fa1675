"""Small helpers for the API tests: clients per role and look-ups by reference."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from grants import db
from grants.audit import ACTOR_KEY
from grants.models import Call, IssuedReport, Organisation, Project, ReportKind, ReportScope
from grants.services.access import SYSTEM
from tests.conftest import Demo
from tests.helpers import MANAGER, api


def client(app: FastAPI, demo: Demo, email: str) -> TestClient:
    """An API client holding ``email``'s token."""
    return api(app, demo.tokens[email])


def project_id(engine: Engine, reference: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Project.id).where(Project.reference == reference)).one()


def organisation_id(engine: Engine, ref: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Organisation.id).where(Organisation.ref == ref)).one()


def count(engine: Engine, model: Any, *conditions: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def problem(response: Any, status: int) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem with ``status``; return its document."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = response.json()
    assert document["status"] == status
    assert document["title"]
    assert document["detail"]
    return document


def fields(document: dict[str, Any]) -> set[str]:
    """The fields a problem names in its ``errors``."""
    return {error["field"] for error in document.get("errors") or []}


def issue_report(engine: Engine, reference: str, body: bytes) -> int:
    """Store an issued project report whose PDF is ``body``; return its id."""
    with db.write_session(engine) as session:
        session.info[ACTOR_KEY] = SYSTEM
        project = session.exec(select(Project).where(Project.reference == reference)).one()
        call = session.get(Call, project.call_id)
        assert call is not None
        pdf = b"%PDF-1.7\n" + body
        report = IssuedReport(
            kind=ReportKind.PROJECT,
            scope=ReportScope.PROJECT,
            scope_id=project.id,
            programme_id=call.programme_id,
            as_of=dt.date(2026, 6, 15),
            parameters={"project": reference},
            filename=f"{reference}-progress-2026-06-15.pdf",
            pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
        session.add(report)
        session.flush()
        return report.id


def project_body(app: FastAPI, demo: Demo, reference: str, **changes: Any) -> dict[str, Any]:
    """A valid new project in the demo's first call, led by JO-ZARQA, with ``changes``."""
    calls = client(app, demo, MANAGER).get("/api/v1/calls", params={"limit": 1}).json()
    call = calls["items"][0]
    return {
        "reference": reference,
        "call_id": call["id"],
        "title": "Welcome desk in Irbid",
        "city": "Irbid",
        "country": "JO",
        "currency": "EUR",
        "awarded_amount": "30000.00",
        "planned_start": call["closes_on"],
        "planned_end": "2027-06-30",
        "lead_organisation_id": organisation_id(demo.engine, "JO-ZARQA"),
        "objective_codes": ["A"],
    } | changes


def zarqa_expense(app: FastAPI, demo: Demo, **changes: Any) -> tuple[int, dict[str, Any]]:
    """ZRQ-WOMEN's id and a valid expense on its first budget line, with ``changes``."""
    project = project_id(demo.engine, "ZRQ-WOMEN")
    line = (
        client(app, demo, MANAGER)
        .get("/api/v1/budget-lines", params={"project_id": project})
        .json()["items"][0]
    )
    expense = {
        "budget_line_id": line["id"],
        "spent_on": "2026-06-02",
        "amount": "75.00",
        "currency": "EUR",
        "description": "Printing",
    }
    return project, expense | changes
