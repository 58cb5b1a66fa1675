"""Each resource over the API: create, read, change, with the role rules and field errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from grants.models import AuditEvent, Expense
from grants.services.attachments import MAX_BYTES
from tests.api.helpers import (
    client,
    count,
    fields,
    issue_report,
    organisation_id,
    problem,
    project_body,
    project_id,
    zarqa_expense,
)
from tests.conftest import Demo
from tests.helpers import (
    ADMIN,
    CSV,
    DONOR,
    EDITOR,
    EDITOR_ZARQA,
    MANAGER,
    VIEWER_ZARQA,
)

ZARQA = "ZRQ-WOMEN"


def _etag(api: Any, url: str) -> str:
    response = api.get(url)
    assert response.status_code == 200, response.text
    return str(response.headers["etag"])


def test_a_manager_creates_and_edits_a_project(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    created = manager.post("/api/v1/projects", json=project_body(app, demo, "IRB-DESK-1"))
    assert created.status_code == 201, created.text
    project = created.json()
    assert project["status"] == "draft"
    assert project["awarded_amount"] == "30000.0000"
    partners = manager.get(f"/api/v1/projects/{project['id']}/partners").json()["items"]
    assert [(p["organisation_ref"], p["role"]) for p in partners] == [("JO-ZARQA", "lead")]

    url = f"/api/v1/projects/{project['id']}"
    changed = manager.patch(
        url, json={"title": "Welcome desk, Irbid"}, headers={"If-Match": created.headers["etag"]}
    )
    assert changed.status_code == 200
    assert changed.json()["title"] == "Welcome desk, Irbid"
    added = manager.post(
        f"{url}/partners",
        json={
            "organisation_id": organisation_id(demo.engine, "JO-CSO-NOOR"),
            "role": "co_implementing",
        },
    )
    assert added.status_code == 201
    assert added.json()["organisation_ref"] == "JO-CSO-NOOR"
    history = manager.get(f"{url}/history").json()["items"]
    assert {e["entity"] for e in history} >= {"project", "project_partner"}
    assert all(e["actor_label"] for e in history)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"awarded_amount": 30000}, "awarded_amount"),  # a JSON number, not a decimal string
        ({"awarded_amount": "30000.001"}, "awarded_amount"),
        ({"awarded_amount": "-5"}, "awarded_amount"),
        ({"country": "XX"}, "country"),
        ({"currency": "EURO"}, "currency"),
        ({"planned_end": "2020-01-01"}, "planned_end"),
        ({"reference": "lower case"}, "reference"),
        ({"title": ""}, "title"),
        ({"status": "active"}, "status"),  # not an input field: refused, not ignored
        ({"call_id": 2**40}, "call_id"),
        ({"title": "nul\x00byte"}, ""),
    ],
)
def test_bad_project_input_is_422_naming_the_field_and_writes_nothing(
    app: FastAPI, demo: Demo, changes: dict[str, Any], field: str
) -> None:
    before = count(demo.engine, AuditEvent)
    body = project_body(app, demo, "IRB-BAD-1") | changes
    document = problem(client(app, demo, MANAGER).post("/api/v1/projects", json=body), 422)
    if field:
        assert field in fields(document), document
    assert count(demo.engine, AuditEvent) == before


def test_a_business_rule_is_422_with_the_field(app: FastAPI, demo: Demo) -> None:
    body = project_body(app, demo, "IRB-BIG-1", awarded_amount="900000.00")
    document = problem(client(app, demo, MANAGER).post("/api/v1/projects", json=body), 422)
    assert fields(document) == {"awarded_amount"}
    assert "900000" in document["detail"]


@pytest.mark.parametrize("email", [DONOR, EDITOR_ZARQA, VIEWER_ZARQA])
def test_only_managers_create_projects(app: FastAPI, demo: Demo, email: str) -> None:
    body = project_body(app, demo, "IRB-NOPE-1")
    problem(client(app, demo, email).post("/api/v1/projects", json=body), 403)


def test_a_partner_who_sends_an_amount_or_a_partner_list_gets_422(app: FastAPI, demo: Demo) -> None:
    partner = client(app, demo, EDITOR_ZARQA)
    project = project_id(demo.engine, ZARQA)
    before = count(demo.engine, AuditEvent)
    update = {
        "period_start": "2026-04-01",
        "period_end": "2026-06-10",
        "overall_status": "on_track",
        "percent_complete": 30,
    }
    for extra in ({"awarded_amount": "99999.00"}, {"partners": [1, 2]}, {"status": "approved"}):
        document = problem(
            partner.post(f"/api/v1/projects/{project}/progress-updates", json=update | extra), 422
        )
        assert set(extra) <= fields(document)
    # And a partner may not change the project's terms at all.
    url = f"/api/v1/projects/{project}"
    problem(
        partner.patch(url, json={"title": "Mine"}, headers={"If-Match": _etag(partner, url)}), 403
    )
    assert count(demo.engine, AuditEvent) == before


def test_partners_record_expenses_only_for_their_own_projects(app: FastAPI, demo: Demo) -> None:
    project, expense = zarqa_expense(app, demo)
    created = client(app, demo, EDITOR_ZARQA).post(
        f"/api/v1/projects/{project}/expenses", json=expense
    )
    assert created.status_code == 201, created.text
    assert created.json()["organisation_id"] == organisation_id(demo.engine, "JO-ZARQA")
    problem(
        client(app, demo, EDITOR).post(f"/api/v1/projects/{project}/expenses", json=expense), 404
    )
    for email in (VIEWER_ZARQA, DONOR, MANAGER):
        problem(
            client(app, demo, email).post(f"/api/v1/projects/{project}/expenses", json=expense),
            403,
        )
    future = problem(
        client(app, demo, EDITOR_ZARQA).post(
            f"/api/v1/projects/{project}/expenses", json=expense | {"spent_on": "2026-12-01"}
        ),
        422,
    )
    assert fields(future) == {"spent_on"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "75.125"}, "amount", "more than 2 decimal places for EUR"),
        ({"budget_line_id": 99999999}, "budget_line_id", "not a budget line of this project"),
    ],
    ids=["cents", "no such line"],
)
def test_an_expense_the_portal_would_refuse_is_refused_with_its_field(
    app: FastAPI, demo: Demo, changes: dict[str, Any], field: str, message: str
) -> None:
    project, expense = zarqa_expense(app, demo)
    expense |= changes
    before = count(demo.engine, Expense), count(demo.engine, AuditEvent)
    refused = problem(
        client(app, demo, EDITOR_ZARQA).post(f"/api/v1/projects/{project}/expenses", json=expense),
        422,
    )
    assert fields(refused) == {field}
    assert message in refused["errors"][0]["message"]
    assert (count(demo.engine, Expense), count(demo.engine, AuditEvent)) == before


def test_indicators_and_values(app: FastAPI, demo: Demo) -> None:
    project = project_id(demo.engine, ZARQA)
    manager, partner = client(app, demo, MANAGER), client(app, demo, EDITOR_ZARQA)
    created = manager.post(
        f"/api/v1/projects/{project}/indicators",
        json={
            "code": "WOM-9",
            "title": "Women placed in jobs",
            "unit": "people",
            "baseline": "0",
            "target": "40",
        },
    )
    assert created.status_code == 201, created.text
    indicator = created.json()["id"]
    url = f"/api/v1/indicators/{indicator}"
    changed = manager.patch(
        url, json={"target": "45"}, headers={"If-Match": created.headers["etag"]}
    )
    assert changed.json()["target"] == "45.0000"
    value = partner.post(
        f"/api/v1/projects/{project}/indicator-values",
        json={
            "indicator_id": indicator,
            "period_start": "2026-04-01",
            "period_end": "2026-06-10",
            "value": "12",
        },
    )
    assert value.status_code == 201, value.text
    listed = manager.get("/api/v1/indicator-values", params={"indicator_id": indicator}).json()
    assert [v["value"] for v in listed["items"]] == ["12.0000"]
    problem(manager.post(f"/api/v1/projects/{project}/indicator-values", json={}), 422)


def test_organisations_and_calls_by_role(app: FastAPI, demo: Demo) -> None:
    manager, partner = client(app, demo, MANAGER), client(app, demo, EDITOR_ZARQA)
    created = manager.post(
        "/api/v1/organisations",
        json={"ref": "JO-CSO-TEST", "name": "Amman Test CSO", "kind": "cso", "country": "JO"},
    )
    assert created.status_code == 201, created.text
    # Partners see the organisations they work with, not the whole directory.
    problem(partner.get(f"/api/v1/organisations/{created.json()['id']}"), 404)
    assert (
        partner.get(
            f"/api/v1/organisations/{organisation_id(demo.engine, 'JO-CSO-NOOR')}"
        ).status_code
        == 200
    )
    problem(
        partner.post("/api/v1/organisations", json={"ref": "X1", "name": "X", "kind": "cso"}), 403
    )
    call = manager.get("/api/v1/calls", params={"limit": 1}).json()["items"][0]
    url = f"/api/v1/calls/{call['id']}"
    renamed = manager.patch(
        url, json={"title": call["title"] + " (revised)"}, headers={"If-Match": _etag(manager, url)}
    )
    assert renamed.status_code == 200, renamed.text
    problem(
        client(app, demo, DONOR).patch(
            url, json={"title": "x"}, headers={"If-Match": _etag(manager, url)}
        ),
        403,
    )


def test_users_are_for_administrators(app: FastAPI, demo: Demo) -> None:
    admin = client(app, demo, ADMIN)
    created = admin.post(
        "/api/v1/users",
        json={
            "email": "new.editor@example.org",
            "full_name": "New Editor",
            "password": "a long enough passphrase",
            "role": "partner_editor",
            "organisation_id": organisation_id(demo.engine, "JO-ZARQA"),
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert "password" not in user
    assert "password_hash" not in user
    url = f"/api/v1/users/{user['id']}"
    assert (
        admin.patch(
            url, json={"full_name": "N. Editor"}, headers={"If-Match": created.headers["etag"]}
        ).json()["full_name"]
        == "N. Editor"
    )
    assert admin.post(f"{url}/deactivate").json()["is_active"] is False
    for email in (MANAGER, DONOR, EDITOR_ZARQA):
        problem(client(app, demo, email).get("/api/v1/users"), 403)
        problem(client(app, demo, email).get(url), 403)
    weak = problem(
        admin.post(
            "/api/v1/users",
            json={
                "email": "w@example.org",
                "full_name": "W",
                "password": "password1234",
                "role": "admin",
            },
        ),
        422,
    )
    assert fields(weak) == {"password"}


def test_issued_reports_download_the_same_bytes_with_an_etag(app: FastAPI, demo: Demo) -> None:
    report = issue_report(demo.engine, ZARQA, b"frozen bytes")
    donor = client(app, demo, DONOR)
    listed = donor.get("/api/v1/issued-reports").json()["items"]
    assert report in {r["id"] for r in listed}
    assert "pdf" not in listed[0]
    first = donor.get(f"/api/v1/issued-reports/{report}/pdf")
    assert first.status_code == 200
    assert first.content.startswith(b"%PDF")
    assert first.headers["content-type"] == "application/pdf"
    assert f"{ZARQA}-progress-2026-06-15.pdf" in first.headers["content-disposition"]
    assert (
        first.headers["etag"].strip('"')
        == donor.get(f"/api/v1/issued-reports/{report}").json()["sha256"]
    )
    assert donor.get(f"/api/v1/issued-reports/{report}/pdf").content == first.content
    cached = donor.get(
        f"/api/v1/issued-reports/{report}/pdf", headers={"If-None-Match": first.headers["etag"]}
    )
    assert cached.status_code == 304
    assert cached.content == b""
    # A partner of another project does not see it.
    problem(client(app, demo, EDITOR).get(f"/api/v1/issued-reports/{report}/pdf"), 404)


def test_uploads_are_checked(app: FastAPI, demo: Demo) -> None:
    partner = client(app, demo, EDITOR_ZARQA)
    milestone = partner.get(
        "/api/v1/milestones",
        params={"project_id": project_id(demo.engine, ZARQA), "status": "planned"},
    ).json()["items"][0]["id"]
    url = f"/api/v1/milestones/{milestone}/attachments"
    too_big = partner.post(url, files={"file": ("big.csv", b"a" * (MAX_BYTES + 1), "text/csv")})
    problem(too_big, 413)
    exe = partner.post(url, files={"file": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")})
    problem(exe, 422)
    ok = partner.post(url, files={"file": ("../../list.csv", CSV, "text/csv")})
    assert ok.status_code == 201
    assert "/" not in ok.json()["filename"]
    problem(client(app, demo, DONOR).post(url, files={"file": ("a.csv", CSV, "text/csv")}), 403)
