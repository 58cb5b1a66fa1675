"""The OpenAPI 3.1 document: bearer auth, every error declared, examples; the docs page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from grants.app import create_app
from grants.config import Settings
from tests.conftest import Demo
from tests.helpers import MANAGER

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    response = TestClient(app).get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_document_is_openapi_3_1_of_the_api_alone(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["title"]
    assert "If-Match" in spec["info"]["description"]
    assert spec["paths"]
    assert all(path.startswith("/api/v1/") for path in spec["paths"])
    assert len(_operations(spec)) >= 60


def test_bearer_auth_is_documented_on_every_operation(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert [scheme["scheme"] for scheme in schemes.values()] == ["bearer"]
    name = next(iter(schemes))
    for method, path, operation in _operations(spec):
        assert operation.get("security") == [{name: []}], (method, path)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        found: dict[str, Any] = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return found
    return schema


def test_every_operation_declares_its_errors_as_problem_json(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        declared = set(operation["responses"])
        expected = {"401"}
        if "{" in path:
            expected.add("404")
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("422")
        if method != "get":
            expected |= {"403", "404", "409", "422"}
        if method in {"patch", "put", "delete"}:
            expected |= {"412", "428"}
        assert expected <= declared, (method, path, expected - declared)
        for status in expected:
            content = operation["responses"][status]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)


def _if_match(operation: dict[str, Any]) -> bool | None:
    """Whether the operation requires ``If-Match``; None if it takes no such header."""
    found = [p["required"] for p in operation.get("parameters", []) if p["name"] == "If-Match"]
    return found[0] if found else None


def test_if_match_is_required_where_a_request_without_it_is_428(
    app: FastAPI, demo: Demo, spec: dict[str, Any]
) -> None:
    """PATCH, PUT and DELETE answer 428 without it; workflow steps take it optionally."""
    for method, path, operation in _operations(spec):
        required = _if_match(operation)
        if method in {"patch", "put", "delete"}:
            assert required is True, (method, path)
        elif required is not None:
            assert (method, required) == ("post", False), path
    manager = TestClient(app, headers={"Authorization": f"Bearer {demo.tokens[MANAGER]}"})
    project = manager.get("/api/v1/projects", params={"limit": 1}).json()["items"][0]["id"]
    assert _if_match(spec["paths"]["/api/v1/projects/{project_id}"]["patch"]) is True
    assert manager.patch(f"/api/v1/projects/{project}", json={"title": "X"}).status_code == 428
    assert _if_match(spec["paths"]["/api/v1/projects/{project_id}/suspend"]["post"]) is False
    stepped = manager.post(f"/api/v1/projects/{project}/suspend", json={"reason": "Audit"})
    assert stepped.status_code != 428, stepped.text


def test_head_and_every_routed_method_are_described_without_extra_operations(
    spec: dict[str, Any],
) -> None:
    """HEAD answers wherever GET does; the document keeps one operation per GET."""
    assert "HEAD" in spec["info"]["description"]
    assert not [path for path, item in spec["paths"].items() if "head" in item]


def test_main_schemas_carry_examples(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("ProjectIn", "MilestoneIn", "ExpenseIn", "ProgressUpdateIn", "Problem"):
        assert schemas[name].get("examples"), name
    invalid = spec["paths"]["/api/v1/projects"]["post"]["responses"]["422"]
    problem = _resolve(spec, invalid["content"]["application/problem+json"]["schema"])
    assert problem["examples"][0]["errors"][0]["field"]


def test_money_is_a_decimal_string_in_the_schema(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    amount = schemas["ProjectIn"]["properties"]["awarded_amount"]
    assert amount["type"] == "string"
    assert re.fullmatch(amount["pattern"], "48500.00")
    read = schemas["ProjectRead"]["properties"]["awarded_amount"]
    assert read["type"] == "string"


def test_list_operations_document_filters_and_sort(spec: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/projects"]["get"]["parameters"]}
    assert {"status", "country", "call_id", "organisation_id", "overdue", "q", "sort"} <= set(
        parameters
    )
    assert {"limit", "offset"} <= set(parameters)
    assert "-awarded_amount" in str(parameters["sort"]["schema"])


def test_the_interactive_docs_are_served_from_this_site(app: FastAPI) -> None:
    http = TestClient(app)
    page = http.get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(source.startswith("/") for source in sources), sources
    assert "<script>" not in page.text, "no inline script: the CSP forbids it"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for source in sources:
        assert http.get(source).status_code == 200, source


def test_a_setting_turns_the_docs_off_and_production_has_them_off(
    demo: Demo, settings: Settings
) -> None:
    off = create_app(settings.model_copy(update={"api_docs": False}), demo.engine)
    assert TestClient(off).get("/api/docs").status_code == 404
    assert TestClient(off).get("/api/v1/openapi.json").status_code == 200
    production = settings.model_copy(
        update={"environment": "production", "secret_key": "p" * 40, "api_docs": None}
    )
    assert not production.docs_enabled
    assert TestClient(create_app(production, demo.engine)).get("/api/docs").status_code == 404


def test_the_readme_names_only_operations_that_exist(spec: dict[str, Any]) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## The JSON API", 1)[1].split("\n## ", 1)[0]
    named = set(
        re.findall(r"`((?:POST|PUT|PATCH|GET|DELETE) )?/(?:api/v1/)?([a-z{}/_-]+)`", section)
    )
    collections = {f"/api/v1/{name}" for name in re.findall(r"^\| `([a-z-]+)`", section, re.M)}
    assert collections, "the README lists the resources"
    assert collections <= set(spec["paths"]), collections - set(spec["paths"])
    shapes = {re.sub(r"\{[^}]*\}", "{}", path) for path in spec["paths"]}
    for _method, path in named:
        if "/" not in path or path.startswith(("api/docs", "api/v1/openapi")):
            continue
        assert re.sub(r"\{[^}]*\}", "{}", f"/api/v1/{path}") in shapes, path
