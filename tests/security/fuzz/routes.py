"""Every route that writes, read from the app, and the records its path ids may name.

The web forms are the POST routes outside ``/api``; the API writes are the POST, PUT, PATCH
and DELETE routes under ``/api/v1``. A path id is drawn from a few records of the demo of
each kind: those of an active project the partner editor's organisation leads first, then
those of projects in the other states, of a programme no demo donor funds, and an id no row
has.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import SQLModel, col, select

from grants import db
from grants.models import (
    BudgetLine,
    Call,
    Expense,
    Indicator,
    Milestone,
    Organisation,
    Programme,
    ProgressUpdate,
    Project,
    Tranche,
    User,
)
from tests.security.test_access_rules import endpoints

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MISSING_ID = 2_000_000_000
# The demo's projects, one in each state, the partner editor's active one first.
PROJECTS = [
    "ZRQ-WOMEN",
    "OUJ-ORIENTAL",
    "KRW-SCHOOLS",
    "ALX-LEGAL",
    "BYB-HERITAGE",
    "I-MIGR",
    "ACMALS",
    "TRP-YOUTH",
]
ROWS_PER_PROJECT = 6
PARAM_MODELS: dict[str, type[SQLModel]] = {
    "project_id": Project,
    "milestone_id": Milestone,
    "tranche_id": Tranche,
    "line_id": BudgetLine,
    "budget_line_id": BudgetLine,
    "expense_id": Expense,
    "indicator_id": Indicator,
    "update_id": ProgressUpdate,
    "progress_update_id": ProgressUpdate,
    "programme_id": Programme,
    "call_id": Call,
    "organisation_id": Organisation,
    "managing_organisation_id": Organisation,
    "lead_organisation_id": Organisation,
    "responsible_organisation_id": Organisation,
    "user_id": User,
    "manager_id": User,
    "gate_milestone_ids": Milestone,
    "scope_id": Project,
}
SEGMENT_MODELS: dict[str, type[SQLModel]] = {
    "projects": Project,
    "milestones": Milestone,
    "tranches": Tranche,
    "progress-updates": ProgressUpdate,
    "programmes": Programme,
    "calls": Call,
}
UPLOAD = "digest"  # a kept import upload, made for each request
NAMED_BEFORE = "named before"  # an id of the kind the path segment before it names


@dataclass(frozen=True)
class Route:
    """A writing route: its method, path template and endpoint."""

    method: str
    path: str
    endpoint: Callable[..., Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def write_routes(app: FastAPI) -> list[Route]:
    """Every route of ``app`` that writes, one entry per method."""
    found = []
    for endpoint in endpoints(app):
        if isinstance(endpoint.route, APIRoute):
            for method in sorted(endpoint.methods & WRITES):
                found.append(Route(method, endpoint.path, endpoint.route.endpoint))
    return found


def param_choices(route: Route, name: str) -> type[SQLModel] | tuple[str, ...] | str | None:
    """What the path parameter ``name`` names: a kind of record, fixed words, an upload."""
    if name in PARAM_MODELS:
        return PARAM_MODELS[name]
    if name == UPLOAD:
        return UPLOAD
    hint = typing.get_type_hints(route.endpoint).get(name)
    if typing.get_origin(hint) is typing.Literal:
        return tuple(str(word) for word in typing.get_args(hint))
    before = route.path.split(f"/{{{name}}}")[0].rsplit("/", 1)[-1]
    if before.startswith("{") and isinstance(param_choices(route, before.strip("{}")), tuple):
        return NAMED_BEFORE
    return SEGMENT_MODELS.get(before)


def uncovered(route: Route) -> list[str]:
    """Name the path parameters of ``route`` the fuzz cannot fill."""
    return [name for name in route.params if param_choices(route, name) is None]


@dataclass
class Targets:
    """The records a path or body id may name, by kind, each with its project."""

    rows: dict[type[SQLModel], list[tuple[int, int | None]]]

    def ids(self, model: type[SQLModel], project: int | None = None) -> list[int]:
        rows = self.rows.get(model, [])
        same = [ident for ident, owner in rows if project is not None and owner == project]
        return same or [ident for ident, _owner in rows] or [MISSING_ID]

    def choice(self, model: type[SQLModel], project: int | None) -> st.SearchStrategy[int]:
        """An id of ``model``: of ``project`` (else of the first project) half of the time."""
        first = project if project is not None else self.rows[Project][0][0]
        return st.one_of(st.sampled_from(self.ids(model, first)), st.sampled_from(self.ids(model)))

    def project_of(self, model: type[SQLModel], ident: int) -> int | None:
        if model is Project:
            return ident
        return next((owner for i, owner in self.rows.get(model, []) if i == ident), None)


def load_targets(engine: Engine, outside_project: int, users: list[int]) -> Targets:
    """Read the candidate records from the demo."""
    rows: dict[type[SQLModel], list[tuple[int, int | None]]] = {}
    with db.read_session(engine) as session:
        by_reference = dict(session.exec(select(Project.reference, Project.id)).all())
        projects = [by_reference[ref] for ref in PROJECTS] + [outside_project]
        rows[Project] = [(p, p) for p in projects]
        for model in (Milestone, Tranche, BudgetLine, Expense, Indicator, ProgressUpdate):
            found: list[tuple[int, int | None]] = []
            for project in projects:
                found += session.exec(
                    select(model.id, model.project_id)  # type: ignore[attr-defined]
                    .where(model.project_id == project)  # type: ignore[attr-defined]
                    .order_by(col(model.id).desc())  # type: ignore[attr-defined]
                    .limit(ROWS_PER_PROJECT)
                ).all()
            rows[model] = found
        for model in (Programme, Call, Organisation):
            ids = session.exec(select(model.id).order_by(model.id)).all()  # type: ignore[attr-defined]
            rows[model] = [(ident, None) for ident in ids]
    rows[User] = [(ident, None) for ident in users]
    for model in rows:
        rows[model] = [*rows[model], (MISSING_ID, None)]
    return Targets(rows)


@st.composite
def concrete_path(
    draw: st.DrawFn, route: Route, targets: Targets, upload: Callable[[st.DrawFn], str]
) -> tuple[str, int | None]:
    """Return a path of ``route`` with its ids filled in, and the project it is about."""
    path, project = route.path, None
    for name in route.params:
        choice = param_choices(route, name)
        if choice == UPLOAD:
            value = upload(draw)
        elif isinstance(choice, tuple):
            value = draw(st.sampled_from(choice))
        else:
            model = choice
            if choice == NAMED_BEFORE:  # the collection drawn for the segment before
                model = SEGMENT_MODELS[path.split(f"/{{{name}}}")[0].rsplit("/", 1)[-1]]
            assert isinstance(model, type)
            ident = draw(targets.choice(model, project))
            project = project or targets.project_of(model, ident)
            value = str(ident)
        path = path.replace(f"{{{name}}}", str(value), 1)
    return path, project
