"""Fuzz every operation of the OpenAPI schema with schemathesis, as each role, on each engine.

Each operation gets its schema's examples and a few generated requests, valid and invalid,
through the app in process, with the role's bearer token. Whatever the answer, it must not
be a server error, and its status code, content type, body and headers must be ones the
schema declares. Domain rules make many valid-looking requests 409 or 422 by design, so the
checks that demand acceptance or rejection of generated data are not run.

The coverage phase (every boundary of every parameter: thousands of requests per role) is
left to a manual ``st run`` against a server; the few examples here keep the run short.

The requests change the module's demo copy. The administrator goes last: it may deactivate
any other account, revoking the token that role's run would use, but never its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.helpers import client, problem, project_body
from tests.conftest import Demo
from tests.helpers import ADMIN, DONOR, EDITOR, MANAGER, VIEWER

# In the order they run; the module's docstring says why the administrator is last.
ROLES = {
    "grant_manager": MANAGER,
    "donor": DONOR,
    "partner_editor": EDITOR,
    "partner_viewer": VIEWER,
    "admin": ADMIN,
}
# Generated requests per operation and role, besides the schema's examples: enough to keep
# the file near three minutes. A report takes seconds to render, so those operations get one.
EXAMPLES = 4
REPORT_EXAMPLES = 1
CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


# What the fuzzing found, pinned down: each answered 500 or an undeclared status before.


def test_a_reference_or_code_in_use_is_a_conflict(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    taken = manager.get("/api/v1/projects", params={"limit": 1}).json()["items"][0]["reference"]
    problem(manager.post("/api/v1/projects", json=project_body(app, demo, taken)), 409)

    call = manager.get("/api/v1/calls", params={"limit": 1}).json()["items"][0]
    again = {key: call[key] for key in ("programme_id", "code", "title", "currency")} | {
        "opens_on": call["opens_on"],
        "closes_on": call["closes_on"],
        "max_amount": "1000.00",
        "objectives": {"A": "Access to rights"},
    }
    problem(manager.post("/api/v1/calls", json=again), 409)


def test_a_body_that_is_not_utf8_is_a_declared_400(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    sent = manager.post(
        "/api/v1/programmes", content=b'"\xff"', headers={"Content-Type": "application/json"}
    )
    problem(sent, 400)
    declared = manager.get("/api/v1/openapi.json").json()
    assert "400" in declared["paths"]["/api/v1/programmes"]["post"]["responses"]


def test_text_with_control_characters_is_refused(app: FastAPI, demo: Demo) -> None:
    """A report's workbook cannot hold them: a project report answered 500."""
    manager = client(app, demo, MANAGER)
    body = project_body(app, demo, "FUZZ-NEW-1", summary="unit\x1fseparator")
    problem(manager.post("/api/v1/projects", json=body), 422)


@pytest.fixture(params=list(ROLES))
def api_schema(request: pytest.FixtureRequest, app: FastAPI, demo: Demo) -> Any:
    """The schema the app serves, its requests sent with the role's bearer token."""
    token = demo.tokens[ROLES[request.param]]
    config = schemathesis.Config.from_dict(
        {
            "headers": {"Authorization": f"Bearer {token}"},
            "phases": {"coverage": {"enabled": False}},
            "generation": {"max-examples": EXAMPLES},
            "operations": [
                {"include-path-regex": "/report$", "generation": {"max-examples": REPORT_EXAMPLES}},
                {
                    "include-name": "POST /api/v1/issued-reports",
                    "generation": {"max-examples": REPORT_EXAMPLES},
                },
            ],
        }
    )
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=config)


@pytest.fixture(autouse=True)
def _legacy_node_id(request: pytest.FixtureRequest) -> None:
    """Schemathesis 4 renames the test item through ``_nodeid``, which pytest 9.2 dropped."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
