"""An organisation used by several programmes is theirs together: only a grant manager of
every programme using it, or an administrator, may change it, on the web and in the API, and
each change is in the history of every project it takes part in."""

from __future__ import annotations

import lxml.html
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from grants import db
from grants.models import (
    AuditEvent,
    Organisation,
    OrganisationUpdate,
    PartnerRole,
    Project,
    ProjectPartner,
    Role,
)
from grants.services import programmes, projects
from grants.services.access import SYSTEM, principal_for
from grants.services.errors import NotAllowed
from grants.services.users import user_by_email
from tests.api.helpers import client, problem
from tests.conftest import Browsers, Demo
from tests.helpers import (
    ADMIN,
    MANAGER,
    OWN_PASSWORD,
    add_user,
    api,
    csrf_of,
    make_token,
    managing_organisation,
    project_id,
    signed_in,
)

SHARED = "JO-CSO-NOOR"  # a partner of ZRQ-WOMEN (MC2CM), and of the outside project below
OWN = "JO-IRBID"  # a partner of MC2CM projects only


@pytest.fixture(scope="module")
def outside_manager(demo: Demo, browsers: Browsers) -> str:
    """A grant manager of the outside project's programme, with NOOR taking part there too."""
    with db.write_session(demo.engine) as session:
        project = session.get(Project, demo.extras.outside_project)
        assert project is not None
        office = managing_organisation(session, project.id)
        noor = session.exec(select(Organisation).where(Organisation.ref == SHARED)).one()
        projects.add_partner(session, SYSTEM, project, noor, PartnerRole.ASSOCIATED)
        ref = office.ref
    email = add_user(demo.engine, Role.GRANT_MANAGER, ref)
    browsers.open[email] = signed_in(browsers.app, email, OWN_PASSWORD)
    return email


def _organisation(demo: Demo, ref: str) -> Organisation:
    with db.read_session(demo.engine) as session:
        return session.exec(select(Organisation).where(Organisation.ref == ref)).one()


def _history(demo: Demo, project: int, organisation: int) -> list[AuditEvent]:
    with db.read_session(demo.engine) as session:
        return list(
            session.exec(
                select(AuditEvent).where(
                    AuditEvent.project_id == project,
                    AuditEvent.entity == "organisation",
                    AuditEvent.entity_id == str(organisation),
                )
            )
        )


def _edit_page(browsers: Browsers, email: str, organisation: int) -> tuple[str, dict[str, str]]:
    path = f"/organisations/{organisation}/edit"
    page = browsers[email].get(path)
    assert page.status_code == 200, page.status_code
    form = lxml.html.fromstring(page.text).xpath("//main//form[@method='post']")[0]
    return path, {**dict(form.form_values()), "csrf_token": csrf_of(page.text)}


def test_a_manager_of_one_programme_cannot_change_a_shared_organisation(
    app: FastAPI, demo: Demo, browsers: Browsers, outside_manager: str
) -> None:
    shared = _organisation(demo, SHARED)
    for email in (MANAGER, outside_manager):
        browser = browsers[email]
        assert browser.get(f"/organisations/{shared.id}/edit").status_code == 403
        listed = lxml.html.fromstring(browser.get("/organisations", params={"q": "Noor"}).text)
        assert not listed.xpath(f"//a[@href='/organisations/{shared.id}/edit']"), email
        token = browser.token("/organisations")
        posted = browser.post(
            f"/organisations/{shared.id}/edit",
            {"name": "Renamed elsewhere", "kind": "cso", "csrf_token": token},
        )
        assert posted.status_code == 403, posted.status_code
        caller = api(app, make_token(demo.engine, email))
        etag = caller.get(f"/api/v1/organisations/{shared.id}").headers["etag"]
        response = caller.patch(
            f"/api/v1/organisations/{shared.id}",
            json={"name": "Renamed elsewhere"},
            headers={"If-Match": etag},
        )
        assert "also used by" in problem(response, 403)["detail"]
    assert _organisation(demo, SHARED).name == shared.name
    assert _organisation(demo, SHARED).version == shared.version


def test_an_administrator_changes_it_and_every_projects_history_says_so(
    app: FastAPI, demo: Demo, outside_manager: str
) -> None:
    shared = _organisation(demo, SHARED)
    admin = client(app, demo, ADMIN)
    url = f"/api/v1/organisations/{shared.id}"
    etag = admin.get(url).headers["etag"]
    response = admin.patch(url, json={"city": "Zarqa (centre)"}, headers={"If-Match": etag})
    assert response.status_code == 200, response.text
    for project in (project_id(demo.engine, "ZRQ-WOMEN"), demo.extras.outside_project):
        events = _history(demo, project, shared.id)
        assert [e.changes["city"]["after"] for e in events] == ["Zarqa (centre)"], project
        assert events[0].actor_label == ADMIN
    history = admin.get(
        f"/api/v1/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}/history", params={"limit": 200}
    ).json()["items"]
    assert any(e["entity"] == "organisation" for e in history)


def test_a_manager_of_every_programme_using_it_may_change_it(
    demo: Demo, browsers: Browsers, outside_manager: str
) -> None:
    own = _organisation(demo, OWN)
    path, values = _edit_page(browsers, MANAGER, own.id)
    found = browsers[MANAGER].get("/organisations", params={"q": "Irbid"})
    listed = lxml.html.fromstring(found.text)
    assert listed.xpath(f"//a[@href='/organisations/{own.id}/edit']")
    response = browsers[MANAGER].post(path, {**values, "city": "Irbid (north)"})
    assert response.status_code == 303, response.text[:300]
    using = _projects_using(demo, own.id)
    assert using
    for project in using:
        assert [e.changes["city"]["after"] for e in _history(demo, project, own.id)] == [
            "Irbid (north)"
        ]
    assert browsers[outside_manager].get(f"/organisations/{own.id}/edit").status_code == 403


def test_an_organisation_no_programme_uses_is_any_managers_to_correct(
    app: FastAPI, demo: Demo, outside_manager: str
) -> None:
    admin = client(app, demo, ADMIN)
    created = admin.post(
        "/api/v1/organisations",
        json={"ref": "JO-NEW-CSO", "name": "New CSO (fictional)", "kind": "cso", "country": "JO"},
    )
    assert created.status_code == 201, created.text
    caller = api(app, make_token(demo.engine, outside_manager))
    url = f"/api/v1/organisations/{created.json()['id']}"
    etag = caller.get(url).headers["etag"]
    response = caller.patch(url, json={"city": "Amman"}, headers={"If-Match": etag})
    assert response.status_code == 200, response.text


def test_the_service_is_the_one_home_of_the_rule(demo: Demo, outside_manager: str) -> None:
    """The importer and every other door change organisations through it."""
    with db.write_session(demo.engine) as session:
        manager = principal_for(session, user_by_email(session, MANAGER))
        noor = session.exec(select(Organisation).where(Organisation.ref == SHARED)).one()
        with pytest.raises(NotAllowed):
            programmes.update_organisation(session, manager, noor, OrganisationUpdate(city="X"))


def _projects_using(demo: Demo, organisation: int) -> list[int]:
    with db.read_session(demo.engine) as session:
        return sorted(
            set(
                session.exec(
                    select(ProjectPartner.project_id).where(
                        col(ProjectPartner.organisation_id) == organisation
                    )
                )
            )
        )
