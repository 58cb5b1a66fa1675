"""Workflow steps over the API: each enforces the state machine and the role rules."""

from __future__ import annotations

from decimal import Decimal

from fastapi import FastAPI
from sqlmodel import Session, select

from grants.models import AuditEvent, Milestone, Tranche, TrancheGate, TrancheStatus
from tests.api.helpers import client, count, organisation_id, problem, project_id
from tests.conftest import Demo
from tests.helpers import (
    CSV,
    DONOR,
    EDITOR,
    EDITOR_NOOR,
    EDITOR_ZARQA,
    MANAGER,
    VIEWER_ZARQA,
)

ZARQA = "ZRQ-WOMEN"  # active; JO-ZARQA leads it, JO-CSO-NOOR co-implements


def _new_milestone(app: FastAPI, demo: Demo, title: str, responsible: str = "JO-ZARQA") -> int:
    manager = client(app, demo, MANAGER)
    response = manager.post(
        f"/api/v1/projects/{project_id(demo.engine, ZARQA)}/milestones",
        json={
            "title": title,
            "due_date": "2026-06-30",
            "evidence_required": "Attendance list",
            "responsible_organisation_id": organisation_id(demo.engine, responsible),
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"]
    body = response.json()
    assert body["status"] == "planned"
    assert body["baseline_due_date"] == "2026-06-30"
    return int(body["id"])


def _upload(app: FastAPI, demo: Demo, email: str, milestone: int) -> int:
    response = client(app, demo, email).post(
        f"/api/v1/milestones/{milestone}/attachments",
        files={"file": ("attendance.csv", CSV, "text/csv")},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_a_milestone_goes_round_the_review_loop(app: FastAPI, demo: Demo) -> None:
    milestone = _new_milestone(app, demo, "Review loop")
    partner, manager = client(app, demo, EDITOR_ZARQA), client(app, demo, MANAGER)

    refused = problem(partner.post(f"/api/v1/milestones/{milestone}/submit"), 422)
    assert "evidence" in refused["detail"]

    evidence = _upload(app, demo, EDITOR_ZARQA, milestone)
    content = partner.get(f"/api/v1/attachments/{evidence}/content")
    assert content.content == CSV
    assert content.headers["content-disposition"].startswith("attachment;")

    assert partner.post(f"/api/v1/milestones/{milestone}/submit").json()["status"] == "submitted"
    missing_reason = problem(manager.post(f"/api/v1/milestones/{milestone}/return"), 422)
    assert missing_reason["errors"][0]["field"] == "reason"
    returned = manager.post(
        f"/api/v1/milestones/{milestone}/return", json={"reason": "The list is unsigned."}
    )
    assert returned.status_code == 200, returned.text
    assert returned.json() | {"status": "returned", "review_note": "The list is unsigned."} == (
        returned.json()
    )
    assert partner.post(f"/api/v1/milestones/{milestone}/submit").status_code == 200
    accepted = manager.post(f"/api/v1/milestones/{milestone}/accept")
    assert accepted.json()["status"] == "accepted"

    with Session(demo.engine) as session:
        reasons = session.exec(
            select(AuditEvent.reason).where(
                AuditEvent.entity == "milestone", AuditEvent.entity_id == str(milestone)
            )
        ).all()
    assert "The list is unsigned." in reasons


def test_an_illegal_step_is_409_naming_the_allowed_steps(app: FastAPI, demo: Demo) -> None:
    milestone = _new_milestone(app, demo, "Illegal step")
    document = problem(
        client(app, demo, MANAGER).post(f"/api/v1/milestones/{milestone}/accept"), 409
    )
    assert document["allowed"] == ["cancel", "start", "submit"]
    assert "cancel, start, submit" in document["detail"]


def test_roles_that_may_not_take_a_step_get_403_and_nothing_changes(
    app: FastAPI, demo: Demo
) -> None:
    milestone = _new_milestone(app, demo, "Role rules")
    _upload(app, demo, EDITOR_ZARQA, milestone)
    before = count(demo.engine, AuditEvent)
    for email, step in [
        (DONOR, "submit"),
        (VIEWER_ZARQA, "submit"),
        (EDITOR_NOOR, "submit"),  # a partner, but not the responsible organisation
        (EDITOR_ZARQA, "accept"),
        (MANAGER, "submit"),
    ]:
        response = client(app, demo, email).post(f"/api/v1/milestones/{milestone}/{step}")
        problem(response, 403)
    assert count(demo.engine, AuditEvent) == before
    # A partner of another project does not even learn the milestone exists.
    problem(client(app, demo, EDITOR).post(f"/api/v1/milestones/{milestone}/submit"), 404)


def test_accepting_the_gate_releases_a_tranche_that_is_approved_then_paid(
    app: FastAPI, demo: Demo
) -> None:
    partner, manager = client(app, demo, EDITOR_ZARQA), client(app, demo, MANAGER)
    with Session(demo.engine) as session:
        tranche = session.exec(
            select(Tranche)
            .where(
                Tranche.project_id == project_id(demo.engine, ZARQA),
                Tranche.status == TrancheStatus.SCHEDULED,
            )
            .order_by(Tranche.position)
        ).first()
        assert tranche is not None
        gates = session.exec(
            select(Milestone).join(TrancheGate).where(TrancheGate.tranche_id == tranche.id)
        ).all()
    document = problem(manager.post(f"/api/v1/tranches/{tranche.id}/approve"), 409)
    assert "not releasable" in document["detail"]

    for gate in gates:
        if gate.status.value != "accepted":
            _upload(app, demo, EDITOR_ZARQA, gate.id)
            assert partner.post(f"/api/v1/milestones/{gate.id}/submit").status_code == 200
            assert manager.post(f"/api/v1/milestones/{gate.id}/accept").status_code == 200

    problem(partner.post(f"/api/v1/tranches/{tranche.id}/approve"), 403)
    problem(manager.post(f"/api/v1/tranches/{tranche.id}/pay", json={}), 409)
    approved = manager.post(f"/api/v1/tranches/{tranche.id}/approve")
    assert approved.json()["status"] == "approved", approved.text
    paid = manager.post(
        f"/api/v1/tranches/{tranche.id}/pay", json={"reference": "PAY-2026-77"}
    ).json()
    assert paid["status"] == "paid"
    assert paid["paid_on"] == "2026-06-15"
    assert paid["payment_reference"] == "PAY-2026-77"
    assert Decimal(paid["paid_amount"]) == tranche.amount
    assert isinstance(paid["paid_amount"], str)
    assert paid["currency"] == "EUR"

    again = problem(manager.post(f"/api/v1/tranches/{tranche.id}/pay", json={}), 409)
    assert again["allowed"] == []


def test_a_progress_update_is_drafted_submitted_returned_and_approved(
    app: FastAPI, demo: Demo
) -> None:
    partner, manager = client(app, demo, EDITOR_ZARQA), client(app, demo, MANAGER)
    body = {
        "period_start": "2026-04-01",
        "period_end": "2026-06-14",
        "overall_status": "at_risk",
        "percent_complete": 45,
        "achievements": "Two cohorts trained.",
        "challenges": "Venue closed for a month.",
        "next_steps": "Move to the community centre.",
    }
    created = partner.post(
        f"/api/v1/projects/{project_id(demo.engine, ZARQA)}/progress-updates", json=body
    )
    assert created.status_code == 201, created.text
    update = created.json()["id"]
    assert created.json()["status"] == "draft"

    # The draft is the partner organisation's own: the manager does not see it yet.
    problem(manager.get(f"/api/v1/progress-updates/{update}"), 404)
    edited = partner.put(
        f"/api/v1/progress-updates/{update}",
        json=body | {"percent_complete": 50},
        headers={"If-Match": created.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["percent_complete"] == 50

    assert partner.post(f"/api/v1/progress-updates/{update}/submit").status_code == 200
    returned = manager.post(
        f"/api/v1/progress-updates/{update}/return", json={"reason": "Add attendance figures."}
    )
    assert returned.json()["status"] == "returned"
    assert partner.post(f"/api/v1/progress-updates/{update}/submit").status_code == 200
    approved = manager.post(f"/api/v1/progress-updates/{update}/approve").json()
    assert approved["status"] == "approved"
    assert approved["reviewed_on"] == "2026-06-15"
    problem(
        partner.put(
            f"/api/v1/progress-updates/{update}",
            json=body,
            headers={"If-Match": "*"},
        ),
        409,
    )


def test_project_steps_need_a_reason_where_the_workflow_says(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    project = project_id(demo.engine, ZARQA)
    document = problem(manager.post(f"/api/v1/projects/{project}/suspend"), 422)
    assert document["errors"][0]["field"] == "reason"
    suspended = manager.post(
        f"/api/v1/projects/{project}/suspend", json={"reason": "Elections: activities paused."}
    )
    assert suspended.json()["status"] == "suspended", suspended.text
    assert manager.post(f"/api/v1/projects/{project}/resume").json()["status"] == "active"
    problem(client(app, demo, DONOR).post(f"/api/v1/projects/{project}/suspend"), 403)
    document = problem(manager.post(f"/api/v1/projects/{project}/start_contracting"), 409)
    assert document["allowed"] == ["cancel", "finalise", "suspend"]
