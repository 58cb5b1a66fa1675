"""Lists run a constant number of SQL statements, however many rows they return."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event

from tests.api.helpers import client, issue_report, project_id
from tests.api.test_lists import COLLECTIONS
from tests.conftest import Demo
from tests.helpers import ADMIN, MANAGER

# Authentication (the token with its user, the roles), the count, the page itself, and for a
# project's history the checks that hide other organisations' drafts.
MAX_STATEMENTS = 6
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@pytest.fixture(scope="module", autouse=True)
def issued_reports(demo: Demo) -> list[int]:
    return [issue_report(demo.engine, ref, ref.encode()) for ref in ("ACMALS", "ZRQ-WOMEN")]


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements ``engine`` runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _count(app: FastAPI, demo: Demo, email: str, path: str, params: dict[str, Any]) -> int:
    api = client(app, demo, email)
    api.get("/api/v1/me")  # the token's use is now recorded for the next minute
    with statements(demo.engine) as seen:
        response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return len(seen)


@pytest.mark.parametrize("path", [f"/api/v1/{name}" for name in COLLECTIONS] + ["/api/v1/users"])
def test_a_list_costs_the_same_for_one_row_as_for_two_hundred(
    app: FastAPI, demo: Demo, path: str
) -> None:
    api = client(app, demo, ADMIN)
    total = api.get(path).json()["total"]
    assert total > 1, "the demo must give this list several rows"
    few = _count(app, demo, ADMIN, path, {"limit": 1})
    many = _count(app, demo, ADMIN, path, {"limit": 200})
    assert few == many <= MAX_STATEMENTS, (few, many)


def test_the_project_list_with_every_filter_stays_constant(app: FastAPI, demo: Demo) -> None:
    filters = {"status": "active", "country": "JO", "overdue": "false", "q": "a", "sort": "-city"}
    few = _count(app, demo, MANAGER, "/api/v1/projects", filters | {"limit": 1})
    many = _count(app, demo, MANAGER, "/api/v1/projects", filters | {"limit": 200})
    assert few == many <= MAX_STATEMENTS


def test_a_project_history_and_partners_stay_constant(app: FastAPI, demo: Demo) -> None:
    for reference in ("ACMALS", "ZRQ-WOMEN"):
        project = project_id(demo.engine, reference)
        for tail in ("history", "partners"):
            path = f"/api/v1/projects/{project}/{tail}"
            few = _count(app, demo, MANAGER, path, {"limit": 1})
            many = _count(app, demo, MANAGER, path, {"limit": 200})
            assert few == many <= MAX_STATEMENTS, (reference, tail, few, many)
