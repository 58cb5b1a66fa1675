"""Lists: pages with totals and next links, the filters users need, allow-listed sorting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from grants.models import Milestone, Project, ProjectStatus
from grants.services import facts, scope
from grants.services.access import principal_for
from grants.services.users import user_by_email
from tests.api.helpers import client, fields, problem, project_id
from tests.conftest import Demo
from tests.helpers import DONOR, EDITOR_ZARQA, MANAGER, TODAY

COLLECTIONS = [
    "programmes",
    "calls",
    "organisations",
    "projects",
    "milestones",
    "tranches",
    "budget-lines",
    "expenses",
    "indicators",
    "indicator-values",
    "progress-updates",
    "attachments",
    "issued-reports",
]


def _all(api: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    """Follow ``next`` links and return every item of the list."""
    items: list[dict[str, Any]] = []
    response = api.get(f"/api/v1/{path}", params=params | {"limit": 7})
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if page["next"] is None:
            return items
        response = api.get(page["next"])


def _visible(demo: Demo, email: str, model: Any) -> set[int]:
    with Session(demo.engine) as session:
        principal = principal_for(session, user_by_email(session, email))
        assert principal is not None
        return set(session.exec(scope.visible(principal, model).with_only_columns(model.id)))


@pytest.mark.parametrize("path", COLLECTIONS)
def test_every_list_is_a_page_with_total_and_next(app: FastAPI, demo: Demo, path: str) -> None:
    api = client(app, demo, MANAGER)
    first = api.get(f"/api/v1/{path}", params={"limit": 2}).json()
    assert set(first) == {"items", "total", "limit", "offset", "next"}
    assert first["limit"] == 2
    assert first["offset"] == 0
    assert len(first["items"]) == min(2, first["total"])
    if first["total"] > 2:
        query = parse_qs(urlsplit(first["next"]).query)
        assert query["offset"] == ["2"]
        assert query["limit"] == ["2"]
    else:
        assert first["next"] is None
    everything = _all(api, path)
    assert len(everything) == first["total"]
    assert len({item["id"] for item in everything}) == first["total"], "no row twice"


def test_the_project_list_holds_exactly_what_the_role_sees(app: FastAPI, demo: Demo) -> None:
    for email in (MANAGER, DONOR, EDITOR_ZARQA):
        listed = {item["id"] for item in _all(client(app, demo, email), "projects")}
        assert listed == _visible(demo, email, Project), email
    partner = {p["reference"] for p in _all(client(app, demo, EDITOR_ZARQA), "projects")}
    assert partner == {"ZRQ-WOMEN"}


def test_projects_filter_by_status_country_call_and_words(app: FastAPI, demo: Demo) -> None:
    api = client(app, demo, MANAGER)
    active_jo = _all(api, "projects", status="active", country="jo")
    with Session(demo.engine) as session:
        expected = session.exec(
            select(Project.reference).where(
                Project.status == ProjectStatus.ACTIVE, Project.country == "JO"
            )
        ).all()
    assert sorted(p["reference"] for p in active_jo) == sorted(expected)
    assert expected, "the demo has active projects in Jordan"

    call = active_jo[0]["call_id"]
    assert all(p["call_id"] == call for p in _all(api, "projects", call_id=call))
    word = active_jo[0]["title"].split()[0]
    found = _all(api, "projects", q=word.upper())
    assert active_jo[0]["id"] in {p["id"] for p in found}
    assert all(word.lower() in p["title"].lower() for p in found)
    assert _all(api, "projects", q="100%_no_such_words") == []


def test_overdue_filters_agree_with_the_derived_facts(app: FastAPI, demo: Demo) -> None:
    with Session(demo.engine) as session:
        seen = _visible(demo, MANAGER, Milestone)
        found = facts.milestones_as_of(session, TODAY, None)
        counted = {
            f.project_id for f in facts.project_figures(session, TODAY).values() if f.counted
        }
        late = [
            (mid, pid)
            for pid, items in found.items()
            for mid, state in items
            if state.overdue and mid in seen and pid in counted
        ]
    assert late, "the demo has overdue milestones"
    api = client(app, demo, MANAGER)
    milestones = _all(api, "milestones", overdue="true")
    assert {m["id"] for m in milestones} == {mid for mid, _pid in late}
    assert all(dt.date.fromisoformat(m["due_date"]) < TODAY for m in milestones)
    # Each answer says what every page shows: overdue, beside the workflow status.
    assert all(m["overdue"] for m in milestones)
    assert {m["status"] for m in milestones} <= {"planned", "in_progress", "returned"}
    others = _all(api, "milestones", overdue="false")
    assert others
    assert not any(m["overdue"] for m in others)
    one = api.get(f"/api/v1/milestones/{milestones[0]['id']}")
    assert one.json()["overdue"] is True
    projects = _all(api, "projects", overdue="true")
    assert {p["id"] for p in projects} == {pid for _mid, pid in late}
    on_time = _all(api, "projects", overdue="false")
    assert not {p["id"] for p in projects} & {p["id"] for p in on_time}


def test_milestones_filter_by_due_window_project_and_status(app: FastAPI, demo: Demo) -> None:
    api = client(app, demo, MANAGER)
    window = _all(api, "milestones", due_after="2026-06-01", due_before="2026-09-01")
    with Session(demo.engine) as session:
        expected = session.exec(
            select(Milestone.id).where(
                col(Milestone.due_date) >= dt.date(2026, 6, 1),
                col(Milestone.due_date) < dt.date(2026, 9, 1),
            )
        ).all()
    assert {m["id"] for m in window} == set(expected) & _visible(demo, MANAGER, Milestone)
    project = project_id(demo.engine, "ZRQ-WOMEN")
    planned = _all(api, "milestones", project_id=project, status="planned")
    assert planned
    assert all(m["project_id"] == project and m["status"] == "planned" for m in planned)


def test_sorting_follows_the_allow_list(app: FastAPI, demo: Demo) -> None:
    api = client(app, demo, MANAGER)
    amounts = [Decimal(p["awarded_amount"]) for p in _all(api, "projects", sort="-awarded_amount")]
    assert amounts == sorted(amounts, reverse=True)
    due = [m["due_date"] for m in _all(api, "milestones", sort="due_date")]
    assert due == sorted(due)
    document = problem(api.get("/api/v1/projects", params={"sort": "password_hash"}), 422)
    assert fields(document) == {"sort"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "finished"}, "status"),
        ({"country": "Jordan"}, "country"),
        ({"call_id": "x"}, "call_id"),
        ({"call_id": 2**40}, "call_id"),
        ({"overdue": "perhaps"}, "overdue"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_list_parameters_are_422_naming_the_field(
    app: FastAPI, demo: Demo, params: dict[str, Any], field: str
) -> None:
    document = problem(client(app, demo, MANAGER).get("/api/v1/projects", params=params), 422)
    assert field in fields(document), document
    assert all(error["location"] == "query" for error in document["errors"])


def test_money_is_a_decimal_string_with_its_currency(app: FastAPI, demo: Demo) -> None:
    project = client(app, demo, MANAGER).get("/api/v1/projects", params={"limit": 1}).json()
    item = project["items"][0]
    assert isinstance(item["awarded_amount"], str)
    assert Decimal(item["awarded_amount"]) > 0
    assert item["currency"] == "EUR"
    dt.date.fromisoformat(item["planned_start"])
    dt.datetime.fromisoformat(item["created_at"])


def test_a_projects_figures_are_the_figures_of_every_total(app: FastAPI, demo: Demo) -> None:
    project = project_id(demo.engine, "ZRQ-WOMEN")
    with Session(demo.engine) as session:
        want = facts.project_figures(session, TODAY, [project])[project]
        earlier = facts.project_figures(session, dt.date(2026, 3, 1), [project])[project]
    api = client(app, demo, MANAGER)
    got = api.get(f"/api/v1/projects/{project}/figures").json()
    assert got["reference"] == "ZRQ-WOMEN"
    assert got["as_of"] == TODAY.isoformat()
    assert Decimal(got["awarded"]) == want.awarded
    assert Decimal(got["disbursed"]) == want.disbursed
    assert Decimal(got["spent"]) == want.spent
    assert Decimal(got["remaining"]) == want.remaining
    assert got["milestones_overdue"] == want.milestones_overdue
    assert got["counted"] is True
    assert got["risks"] == list(want.reasons)
    past = api.get(f"/api/v1/projects/{project}/figures", params={"as_of": "2026-03-01"}).json()
    assert Decimal(past["spent"]) == earlier.spent
    assert past["milestones_accepted"] == earlier.milestones_accepted
    problem(client(app, demo, EDITOR_ZARQA).get("/api/v1/projects/999999/figures"), 404)
