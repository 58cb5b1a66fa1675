"""References only to what the writer may use: every row a form, an API body or an imported
row names must exist, be in the writer's sight and fit its place, or the answer is a 422
naming the field (never another programme's row, a missing page or the database's words)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import lxml.html
import pytest
from fastapi import FastAPI
from sqlmodel import select

from grants import db
from grants.models import (
    Organisation,
    PartnerRole,
    Project,
    Role,
)
from grants.services import projects, sessions, users
from grants.services.access import SYSTEM
from tests.api.helpers import client, fields, organisation_id, problem, project_body
from tests.conftest import Browsers, Demo
from tests.exchange.helpers import run_import, xlsx
from tests.helpers import (
    ADMIN,
    DONOR,
    EDITOR,
    MANAGER,
    VIEWER,
    add_user,
    audit_count,
    csrf_of,
    make_token,
    managing_organisation,
    project_id,
    user_id,
)
from tests.helpers import (
    api as api_client,
)

MANAGER2 = "manager2@example.org"
UNKNOWN = 999_999


def _irbid_body(app: FastAPI, demo: Demo, reference: str, **changes: Any) -> dict[str, Any]:
    lead = organisation_id(demo.engine, "JO-IRBID")
    return project_body(app, demo, reference, **({"lead_organisation_id": lead} | changes))


def _ref_of_outside_managers(demo: Demo) -> str:
    """The organisation that manages the programme of the fixtures' outside project."""
    with db.read_session(demo.engine) as session:
        return managing_organisation(session, demo.extras.outside_project).ref


@pytest.fixture(scope="module")
def ineligible(demo: Demo) -> dict[str, int]:
    """Users no MC2CM project may have as its grant manager, by why."""
    elsewhere = add_user(demo.engine, Role.GRANT_MANAGER, _ref_of_outside_managers(demo))
    gone = add_user(demo.engine, Role.GRANT_MANAGER, "PROG-OFFICE")
    with db.write_session(demo.engine) as session:
        user = users.user_by_email(session, gone)
        sessions.deactivate_user(session, SYSTEM, user, dt.datetime.now(dt.UTC))
    return {
        "unknown": UNKNOWN,
        "administrator": user_id(demo.engine, ADMIN),
        "donor": user_id(demo.engine, DONOR),
        "partner editor": user_id(demo.engine, EDITOR),
        "partner viewer": user_id(demo.engine, VIEWER),
        "another programme's manager": user_id(demo.engine, elsewhere),
        "deactivated manager": user_id(demo.engine, gone),
    }


WHO = [
    "unknown",
    "administrator",
    "donor",
    "partner editor",
    "partner viewer",
    "another programme's manager",
    "deactivated manager",
]


def _manager_of(demo: Demo, reference: str) -> int | None:
    with db.read_session(demo.engine) as session:
        found = session.exec(select(Project).where(Project.reference == reference)).one()
        return found.manager_id


@pytest.mark.parametrize("who", WHO)
def test_a_projects_manager_is_an_active_grant_manager_of_its_programme(
    app: FastAPI, demo: Demo, ineligible: dict[str, int], who: str
) -> None:
    api = client(app, demo, MANAGER)
    url = f"/api/v1/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}"
    before = _manager_of(demo, "ZRQ-WOMEN"), audit_count(demo.engine)
    etag = api.get(url).headers["etag"]
    response = api.patch(url, json={"manager_id": ineligible[who]}, headers={"If-Match": etag})
    document = problem(response, 422)
    assert fields(document) == {"manager_id"}
    assert "grant manager of programme MC2CM" in document["detail"]
    assert (_manager_of(demo, "ZRQ-WOMEN"), audit_count(demo.engine)) == before


def test_another_grant_manager_of_the_programme_may_take_the_project(
    app: FastAPI, demo: Demo
) -> None:
    api = client(app, demo, MANAGER)
    url = f"/api/v1/projects/{project_id(demo.engine, 'SOU-CITYLAB')}"
    etag = api.get(url).headers["etag"]
    second = user_id(demo.engine, MANAGER2)
    response = api.patch(url, json={"manager_id": second}, headers={"If-Match": etag})
    assert response.status_code == 200, response.text
    assert response.json()["manager_id"] == second


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"manager_id": "donor"}, "manager_id"),
        ({"manager_id": UNKNOWN}, "manager_id"),
        ({"call_id": UNKNOWN}, "call_id"),
        ({"lead_organisation_id": UNKNOWN}, "lead_organisation_id"),
    ],
    ids=["donor as manager", "unknown manager", "unknown call", "unknown lead"],
)
def test_a_new_project_names_only_rows_it_may_use(
    app: FastAPI, demo: Demo, ineligible: dict[str, int], changes: dict[str, Any], field: str
) -> None:
    if changes.get("manager_id") == "donor":
        changes = {"manager_id": ineligible["donor"]}
    before = audit_count(demo.engine)
    response = client(app, demo, MANAGER).post(
        "/api/v1/projects", json=_irbid_body(app, demo, "REF-RULES-1", **changes)
    )
    assert fields(problem(response, 422)) == {field}
    assert "constraint" not in response.text.lower()
    assert audit_count(demo.engine) == before


def test_the_web_form_offers_and_checks_the_same_managers(
    demo: Demo, browsers: Browsers, ineligible: dict[str, int]
) -> None:
    manager = browsers[MANAGER]
    project = project_id(demo.engine, "IRB-SERVICES")
    path = f"/projects/{project}/edit"
    form = manager.get(path)
    assert form.status_code == 200
    offered = set(_options(form.text, "manager_id"))
    assert offered == {str(user_id(demo.engine, MANAGER)), str(user_id(demo.engine, MANAGER2))}
    values = _form_values(form.text)
    before = audit_count(demo.engine)
    refused = manager.post(path, {**values, "manager_id": str(ineligible["donor"])})
    assert refused.status_code == 422
    assert "grant manager of programme MC2CM" in refused.text
    assert audit_count(demo.engine) == before
    values = _form_values(manager.get(path).text)
    taken = manager.post(path, {**values, "manager_id": str(user_id(demo.engine, MANAGER2))})
    assert taken.status_code == 303, taken.text[:300]
    assert _manager_of(demo, "IRB-SERVICES") == user_id(demo.engine, MANAGER2)


def _options(page: str, name: str) -> list[str]:
    select_ = lxml.html.fromstring(page).xpath(f"//select[@name='{name}']")[0]
    return [o.get("value") for o in select_.xpath("option") if o.get("value")]


def _form_values(page: str) -> dict[str, str]:
    form = lxml.html.fromstring(page).xpath("//main//form[@method='post']")[0]
    values = dict(form.form_values())
    values["csrf_token"] = csrf_of(page)
    return values


def test_an_import_names_only_an_eligible_manager(demo: Demo) -> None:
    sheets = {"projects": (["reference", "manager"], [["ZRQ-WOMEN", DONOR]])}
    result = run_import(demo, xlsx(sheets), dry_run=True)
    assert [(p.sheet, p.column) for p in result.problems] == [("projects", "manager")]
    assert "grant manager of programme MC2CM" in result.problems[0].reason


def test_a_milestone_is_delivered_by_an_implementing_partner(app: FastAPI, demo: Demo) -> None:
    """A funder taking part in a project does not deliver its milestones."""
    project = project_id(demo.engine, "ZRQ-WOMEN")
    funder = organisation_id(demo.engine, "CH-SDC")
    with db.write_session(demo.engine) as session:
        found = session.get(Project, project)
        organisation = session.get(Organisation, funder)
        assert found is not None
        assert organisation is not None
        projects.add_partner(session, SYSTEM, found, organisation, PartnerRole.FUNDER)
    before = audit_count(demo.engine)
    body = {"title": "Desk opened", "due_date": "2026-09-30", "responsible_organisation_id": funder}
    response = client(app, demo, MANAGER).post(f"/api/v1/projects/{project}/milestones", json=body)
    assert fields(problem(response, 422)) == {"responsible_organisation_id"}
    assert audit_count(demo.engine) == before


@pytest.mark.parametrize(
    ("email", "path", "body", "field"),
    [
        (MANAGER, "/api/v1/projects/{project}/partners", {"role": "funder"}, "organisation_id"),
        (
            MANAGER,
            "/api/v1/calls",
            {
                "code": "RULES-CALL",
                "title": "A call",
                "opens_on": "2026-07-01",
                "closes_on": "2026-08-31",
                "max_amount": "50000",
                "currency": "EUR",
                "objectives": {"A": "Cooperation"},
            },
            "programme_id",
        ),
        (
            ADMIN,
            "/api/v1/users",
            {
                "email": "rules.user@example.org",
                "full_name": "Rules user",
                "password": "a long and private passphrase",
                "role": "partner_editor",
            },
            "organisation_id",
        ),
        (
            ADMIN,
            "/api/v1/programmes",
            {
                "code": "RULES-PRG",
                "title": "A programme",
                "currency": "EUR",
                "budget": "100000",
                "start_date": "2026-01-01",
                "end_date": "2027-12-31",
            },
            "managing_organisation_id",
        ),
    ],
    ids=["partner", "call's programme", "user's organisation", "programme's manager"],
)
def test_an_unknown_row_in_a_body_is_a_field_error(
    app: FastAPI, demo: Demo, email: str, path: str, body: dict[str, Any], field: str
) -> None:
    api = client(app, demo, email)
    before = audit_count(demo.engine)
    url = path.format(project=project_id(demo.engine, "ZRQ-WOMEN"))
    response = api.post(url, json={**body, field: UNKNOWN})
    assert fields(problem(response, 422)) == {field}
    assert audit_count(demo.engine) == before


def test_another_programmes_manager_cannot_name_this_programmes_call(
    app: FastAPI, demo: Demo
) -> None:
    elsewhere = add_user(demo.engine, Role.GRANT_MANAGER, _ref_of_outside_managers(demo))
    api = api_client(app, make_token(demo.engine, elsewhere))
    body = _irbid_body(app, demo, "REF-RULES-2")
    response = api.post("/api/v1/projects", json=body)
    assert fields(problem(response, 422)) == {"call_id"}
    with db.read_session(demo.engine) as session:
        assert (
            session.exec(select(Project).where(Project.reference == "REF-RULES-2")).first() is None
        )
