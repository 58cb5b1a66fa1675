"""The web layer asks services, never the database: no route module runs a query of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import grants.web

WEB = Path(grants.web.__file__).parent
MODULES = sorted(WEB.glob("*.py"))
QUERY_LIBRARIES = ("sqlmodel", "sqlalchemy")
SESSION_READS = {"exec", "execute", "get", "scalar", "scalars", "query"}


def _session_ish(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return name == "db" or "session" in name.lower()


def queries(source: str) -> list[str]:
    """Return each direct database query in ``source``, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(QUERY_LIBRARIES):
            found += [f"{node.lineno}: imports select" for a in node.names if a.name == "select"]
        if not isinstance(node, ast.Call):
            continue
        call = node.func
        if isinstance(call, ast.Name) and call.id == "select":
            found.append(f"{node.lineno}: select(")
        if isinstance(call, ast.Attribute):
            if call.attr == "exec" or (call.attr in SESSION_READS and _session_ish(call.value)):
                found.append(f"{node.lineno}: {ast.unparse(call)}(")
            if call.attr == "select" and ast.unparse(call.value).startswith(QUERY_LIBRARIES):
                found.append(f"{node.lineno}: {ast.unparse(call)}(")
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_a_web_module_reads_the_database_only_through_services(module: Path) -> None:
    assert queries(module.read_text(encoding="utf-8")) == [], (
        f"{module.name} queries the database itself; move the query into grants/services"
    )


@pytest.mark.parametrize(
    "source",
    [
        "from sqlmodel import select",
        "from sqlalchemy import select as sa_select",
        "rows = db.exec(query)",
        "rows = session.exec(query)",
        "row = db.get(Project, 1)",
        "row = session.get(Project, 1)",
        "row = self.session.get(Project, 1)",
        "row = read_session.scalars(query)",
        "query = select(Project)",
        "query = sqlmodel.select(Project)",
        "query = sqlalchemy.select(Project)",
    ],
)
def test_the_rule_catches_a_query(source: str) -> None:
    assert queries(source)


@pytest.mark.parametrize(
    "source",
    [
        "value = posted.get('version', '')",
        "with db.read_session(engine) as session: pass",
        "found = scope.get_visible(db, principal, Project, 1)",
        "field = Field('kind', 'Kind', 'select')",
    ],
)
def test_the_rule_lets_a_route_call_services_and_read_forms(source: str) -> None:
    assert queries(source) == []
