"""Amounts, dates and required text are taken in one written form, the one the schema shows:
what the OpenAPI document forbids, the API refuses (422, nothing written), and what it
allows, the API accepts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from grants.models import AuditEvent
from tests.api.helpers import client, count, fields, problem, project_id, zarqa_expense
from tests.conftest import Demo
from tests.helpers import EDITOR_ZARQA, MANAGER

ZARQA = "ZRQ-WOMEN"
ARABIC_INDIC_100 = "\u0661\u0660\u0660"

# Written otherwise than plainly: Python's Decimal (and so pydantic) reads every one of them.
NOT_PLAIN = ["1_000", "+5", "1E+2", "1e2", ARABIC_INDIC_100, " 5", "5 ", "1,000", "0x10", "5."]


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    document: dict[str, Any] = TestClient(app).get("/api/v1/openapi.json").json()
    return document


def _property(spec: dict[str, Any], model: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"][model]["properties"][name]
    return found


def _expense(app: FastAPI, demo: Demo, **changes: Any) -> tuple[str, dict[str, Any]]:
    """ZRQ-WOMEN's expense URL and a valid expense on its first budget line."""
    project, body = zarqa_expense(app, demo, **changes)
    return f"/api/v1/projects/{project}/expenses", body


def _refused(app: FastAPI, demo: Demo, url: str, body: dict[str, Any], field: str) -> None:
    before = count(demo.engine, AuditEvent)
    document = problem(client(app, demo, EDITOR_ZARQA).post(url, json=body), 422)
    assert fields(document) == {field}, document
    assert count(demo.engine, AuditEvent) == before


@pytest.mark.parametrize("amount", [*NOT_PLAIN, "-5", "100000000000", "1.12345"])
def test_an_amount_the_schema_forbids_is_refused(
    app: FastAPI, demo: Demo, spec: dict[str, Any], amount: str
) -> None:
    pattern = _property(spec, "ExpenseIn", "amount")["pattern"]
    assert not re.search(pattern, amount)
    url, body = _expense(app, demo, amount=amount)
    _refused(app, demo, url, body, "amount")


@pytest.mark.parametrize("amount", ["75", "75.5", "75.50", "0", "0.0000", "0075.00"])
def test_an_amount_the_schema_allows_is_taken_as_written(
    app: FastAPI, demo: Demo, spec: dict[str, Any], amount: str
) -> None:
    pattern = _property(spec, "ExpenseIn", "amount")["pattern"]
    assert re.search(pattern, amount)
    url, body = _expense(app, demo, amount=amount, description=f"Printing {amount}")
    created = client(app, demo, EDITOR_ZARQA).post(url, json=body)
    assert created.status_code == 201, created.text


@pytest.mark.parametrize("amount", [1000, 75.5])
def test_an_amount_sent_as_a_json_number_is_refused(app: FastAPI, demo: Demo, amount: Any) -> None:
    url, body = _expense(app, demo, amount=amount)
    _refused(app, demo, url, body, "amount")


def _indicator(app: FastAPI, demo: Demo) -> tuple[str, int]:
    project = project_id(demo.engine, ZARQA)
    url = f"/api/v1/projects/{project}/indicators"
    created = client(app, demo, MANAGER).post(
        url,
        json={
            "code": "TEMP-DELTA",
            "title": "Change in waiting days",
            "unit": "days",
            "baseline": "0",
            "target": "-3.5",
        },
    )
    assert created.status_code == 201, created.text
    return f"/api/v1/projects/{project}/indicator-values", created.json()["id"]


def test_an_indicator_may_be_negative_but_is_written_plainly(
    app: FastAPI, demo: Demo, spec: dict[str, Any]
) -> None:
    pattern = _property(spec, "IndicatorValueIn", "value")["pattern"]
    url, indicator = _indicator(app, demo)
    value = {"indicator_id": indicator, "period_start": "2026-04-01", "period_end": "2026-04-30"}
    for written in ["+2", "-1E+1", "\u0662"]:
        assert not re.search(pattern, written)
        _refused(app, demo, url, value | {"value": written}, "value")
    assert re.search(pattern, "-2.5")
    taken = client(app, demo, EDITOR_ZARQA).post(url, json=value | {"value": "-2.5"})
    assert taken.status_code == 201, taken.text
    assert taken.json()["value"] == "-2.5000"


NOT_A_DAY = [
    "2026-06-02T00:00:00",
    "2026-06-02T00:00:00Z",
    "0",
    "1780358400",
    "20260602",
    "2026-W23-2",
    "2026-6-2",
    "\u0662\u0660\u0662\u0666-06-02",
    "2026-02-30",
]


@pytest.mark.parametrize("day", [*NOT_A_DAY, 0])
def test_a_date_in_a_body_is_written_yyyy_mm_dd(app: FastAPI, demo: Demo, day: Any) -> None:
    url, body = _expense(app, demo, spent_on=day)
    _refused(app, demo, url, body, "spent_on")


def _lists(demo: Demo) -> list[tuple[str, str]]:
    project = project_id(demo.engine, ZARQA)
    return [
        ("/api/v1/milestones", "due_after"),
        ("/api/v1/milestones", "due_before"),
        ("/api/v1/tranches", "due_after"),
        ("/api/v1/tranches", "due_before"),
        ("/api/v1/expenses", "spent_after"),
        ("/api/v1/expenses", "spent_before"),
        ("/api/v1/figures", "as_of"),
        (f"/api/v1/projects/{project}/figures", "as_of"),
        (f"/api/v1/projects/{project}/report?format=html", "as_of"),
    ]


@pytest.mark.parametrize("day", ["2022-03-01T00:00:00", "0", "1646092800", "20220301"])
def test_a_date_filter_is_written_yyyy_mm_dd(app: FastAPI, demo: Demo, day: str) -> None:
    manager = client(app, demo, MANAGER)
    for path, name in _lists(demo):
        document = problem(manager.get(path, params={name: day}), 422)
        assert fields(document) == {name}, (path, document)
        assert document["errors"][0]["location"] == "query"
        answered = manager.get(path, params={name: "2026-03-01"})
        assert answered.status_code == 200, (path, answered.text)


@pytest.mark.parametrize("blank", [" ", "   ", "\t\n", "\u3000", "\u00a0\u2003"])
def test_required_text_of_white_space_only_is_refused(
    app: FastAPI, demo: Demo, spec: dict[str, Any], blank: str
) -> None:
    pattern = _property(spec, "ExpenseIn", "description")["pattern"]
    assert not re.search(pattern, blank)
    assert re.search(pattern, "Printing")
    url, body = _expense(app, demo, description=blank)
    _refused(app, demo, url, body, "description")


def test_every_kind_of_required_text_refuses_white_space(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    project = project_id(demo.engine, ZARQA)
    milestone = manager.get("/api/v1/milestones", params={"project_id": project}).json()["items"]
    url = f"/api/v1/milestones/{milestone[0]['id']}"
    etag = manager.get(url).headers["etag"]
    before = count(demo.engine, AuditEvent)
    writes = [
        ("patch", url, {"title": "  "}, "title"),
        ("post", f"{url}/replan", {"due_date": "2026-09-30", "reason": " "}, "reason"),
        ("post", "/api/v1/organisations", {"ref": "JO-X", "name": " ", "kind": "cso"}, "name"),
    ]
    for method, path, body, field in writes:
        sent = manager.request(method, path, json=body, headers={"If-Match": etag})
        assert field in fields(problem(sent, 422)), (path, sent.text)
    assert count(demo.engine, AuditEvent) == before
