"""Hostile input that once reached a 500: each is now a 4xx naming what was wrong, on both
engines, and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel import col, select

from grants import db
from grants.models import Indicator, IndicatorValue, ProgressUpdate
from tests.api.helpers import client
from tests.conftest import Browsers, Demo
from tests.helpers import (
    ADMIN,
    EDITOR_ZARQA,
    MANAGER,
    OWN_PASSWORD,
    TODAY,
    add_user,
    audit_count,
    csrf_of,
    new_milestone,
    org_id,
    project_id,
    unique_email,
    user_id,
)


@pytest.mark.parametrize(
    "path",
    [
        "/projects/99999999999999999999/report.html",
        "/programmes/2147483648/report.pdf",
        "/issued-reports/9223372036854775808.pdf",
        "/issued-reports/0.pdf",
    ],
)
def test_an_id_beyond_any_row_is_refused_not_looked_up(browsers: Browsers, path: str) -> None:
    assert browsers[MANAGER].get(path).status_code in {404, 422}


@pytest.mark.parametrize("q", ["\x00", "a\x00b", "\x1b[31m"])
def test_a_search_with_control_characters_is_answered(browsers: Browsers, q: str) -> None:
    response = browsers[MANAGER].get("/organisations", params={"q": q})
    assert response.status_code in {200, 422}
    assert browsers[MANAGER].get("/projects", params={"q": q}).status_code in {200, 422}


@pytest.mark.parametrize("version", ["²", "٣", "99999999999999999999", "-1"])
def test_a_form_version_that_is_no_number_is_a_stale_form(
    browsers: Browsers, demo: Demo, version: str
) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN")
    page = browsers[MANAGER].get(f"/milestones/{milestone}/edit")
    before = audit_count(demo.engine)
    response = browsers[MANAGER].post(
        f"/milestones/{milestone}/edit",
        {
            "title": "Renamed",
            "due_date": "2026-09-30",
            "version": version,
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code in {303, 409, 422}, response.text[:300]
    if response.status_code != 303:
        assert audit_count(demo.engine) == before


@pytest.mark.parametrize(
    "name",
    [
        "a\x00b.csv",
        "list\x1b.csv",
        "evil\u202ecsv.txt",
        "next\x85line.csv",
        "csi\x9b31m.csv",
        "mark\u061c.csv",
        "line\u2028.csv",
    ],
)
def test_the_api_refuses_control_characters_in_file_names(
    app: FastAPI, demo: Demo, name: str
) -> None:
    partner = client(app, demo, EDITOR_ZARQA)
    milestone = partner.get(
        "/api/v1/milestones",
        params={"project_id": project_id(demo.engine, "ZRQ-WOMEN"), "status": "planned"},
    ).json()["items"][0]["id"]
    before = audit_count(demo.engine)
    # Written out by hand: a client library would percent-encode the characters.
    boundary = "hostile-boundary"
    body = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        "a,b\r\n1,2\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()
    response = partner.post(
        f"/api/v1/milestones/{milestone}/attachments",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "file"
    assert audit_count(demo.engine) == before


@pytest.mark.parametrize("day", ["9999-12-31", "1899-01-01", "2101-01-01"])
def test_a_date_outside_any_programme_is_refused(app: FastAPI, demo: Demo, day: str) -> None:
    partner = client(app, demo, EDITOR_ZARQA)
    project = project_id(demo.engine, "ZRQ-WOMEN")
    before = audit_count(demo.engine)
    response = partner.post(
        f"/api/v1/projects/{project}/progress-updates",
        json={
            "period_start": TODAY.isoformat(),
            "period_end": day,
            "overall_status": "on_track",
            "percent_complete": 10,
            "achievements": "Workshops.",
        },
    )
    assert response.status_code == 422, response.text
    assert "period_end" in {error["field"] for error in response.json()["errors"]}
    assert audit_count(demo.engine) == before


def test_a_period_stored_to_the_last_day_of_the_calendar_breaks_no_form(
    demo: Demo, browsers: Browsers
) -> None:
    """Data written before dates were bounded may end on 9999-12-31: the next period's forms
    still open."""
    project = project_id(demo.engine, "ZRQ-WOMEN")
    with db.read_session(demo.engine) as session:
        update = session.exec(
            select(ProgressUpdate.id).where(ProgressUpdate.project_id == project)
        ).first()
        value = session.exec(
            select(IndicatorValue.id, IndicatorValue.indicator_id)
            .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
            .where(Indicator.project_id == project)
        ).first()
    assert update is not None
    assert value is not None
    indicator = value[1]
    with demo.engine.begin() as connection:  # as an old release could have stored them
        last = {"day": dt.date.max}
        connection.execute(
            text("UPDATE progress_update SET period_end = :day WHERE id = :id"),
            {**last, "id": update},
        )
        connection.execute(
            text("UPDATE indicator_value SET period_end = :day WHERE id = :id"),
            {**last, "id": value[0]},
        )
    editor = browsers[EDITOR_ZARQA]
    assert editor.get(f"/projects/{project}/updates/new").status_code == 200
    assert editor.get(f"/indicators/{indicator}/values/new").status_code == 200


@pytest.mark.parametrize("hostile", ["²", "٣", "99999999999999999999", "-4"])
def test_a_chosen_id_that_is_no_row_is_a_field_error(
    browsers: Browsers, demo: Demo, hostile: str
) -> None:
    manager = browsers[MANAGER]
    project = project_id(demo.engine, "ZRQ-WOMEN")
    before = audit_count(demo.engine)
    fields = {
        "reference": "HOSTILE-1",
        "title": "Hostile",
        "city": "Irbid",
        "country": "JO",
        "awarded_amount": "1000",
        "planned_start": "2026-09-01",
        "planned_end": "2027-06-30",
        "objective_codes": "A",
    }
    for chosen in (
        {"call_id": hostile, "lead_organisation_id": "1"},
        {"lead_organisation_id": hostile},
    ):
        token = csrf_of(manager.get("/projects/new").text)
        response = manager.post("/projects/new", {**fields, **chosen, "csrf_token": token})
        assert response.status_code == 422, (chosen, response.status_code)
    token = csrf_of(manager.get(f"/projects/{project}/tranches/new").text)
    response = manager.post(
        f"/projects/{project}/tranches/new",
        {
            "amount": "10",
            "planned_date": "2026-09-01",
            "gate_milestone_ids": hostile,
            "csrf_token": token,
        },
    )
    assert response.status_code in {303, 409, 422}, response.status_code
    if response.status_code != 303:
        assert audit_count(demo.engine) == before


@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31"])
def test_a_milestone_is_not_replanned_outside_any_programme(
    app: FastAPI, demo: Demo, browsers: Browsers, day: str
) -> None:
    """The replanned milestone could no longer be read: the API answered 500."""
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN")
    manager = client(app, demo, MANAGER)
    before = audit_count(demo.engine)
    etag = manager.get(f"/api/v1/milestones/{milestone}").headers["etag"]
    response = manager.post(
        f"/api/v1/milestones/{milestone}/replan",
        json={"due_date": day, "reason": "Moved"},
        headers={"If-Match": etag},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "due_date"
    page = browsers[MANAGER].get(f"/milestones/{milestone}/replan")
    response = browsers[MANAGER].post(
        f"/milestones/{milestone}/replan",
        {"due_date": day, "reason": "Moved", "version": "1", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 422, response.status_code
    assert "Enter a date between 1990-01-01 and 2100-12-31." in response.text
    assert audit_count(demo.engine) == before
    assert manager.get(f"/api/v1/milestones/{milestone}").status_code == 200


@pytest.mark.parametrize("name", [" ", "\u3000\t"])
def test_a_user_name_of_spaces_only_is_refused(app: FastAPI, demo: Demo, name: str) -> None:
    """Stored as an empty name, the user could no longer be shown: the API answered 500."""
    admin = client(app, demo, ADMIN)
    user = user_id(demo.engine, add_user(demo.engine))
    before = audit_count(demo.engine)
    etag = admin.get(f"/api/v1/users/{user}").headers["etag"]
    response = admin.patch(
        f"/api/v1/users/{user}", json={"full_name": name}, headers={"If-Match": etag}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "full_name"
    response = admin.post(
        "/api/v1/users",
        json={
            "email": unique_email(),
            "full_name": name,
            "password": OWN_PASSWORD,
            "role": "partner_editor",
            "organisation_id": org_id(demo.engine, "JO-ZARQA"),
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "full_name"
    assert audit_count(demo.engine) == before
