"""Reports over the API and the web: live drafts, issuing, and issued PDFs that never change."""

from __future__ import annotations

import hashlib
import io

import pypdf
from fastapi import FastAPI
from sqlmodel import Session, select

from grants.models import IssuedReport, Programme
from tests.api.helpers import client, problem, project_id
from tests.conftest import Browsers, Demo
from tests.helpers import DONOR, EDITOR, EDITOR_ZARQA, MANAGER

ZARQA = "ZRQ-WOMEN"


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _programme(demo: Demo) -> int:
    with Session(demo.engine) as session:
        return session.exec(select(Programme.id).where(Programme.code == "MC2CM")).one()


def test_a_draft_report_in_each_format(app: FastAPI, demo: Demo) -> None:
    api = client(app, demo, DONOR)
    url = f"/api/v1/projects/{project_id(demo.engine, ZARQA)}/report"
    pdf = api.get(url, params={"as_of": "2026-06-15"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert "ZRQ-WOMEN-progress-report-2026-06-15-draft.pdf" in pdf.headers["content-disposition"]
    assert "DRAFT" in _text(pdf.content)
    html = api.get(url, params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "ZRQ-WOMEN" in html.text
    sheets = api.get(url, params={"format": "xlsx"})
    assert sheets.content[:2] == b"PK"
    again = api.get(
        url, params={"as_of": "2026-06-15"}, headers={"If-None-Match": pdf.headers["etag"]}
    )
    assert again.status_code == 304


def test_reports_follow_the_scope(app: FastAPI, demo: Demo) -> None:
    project = project_id(demo.engine, ZARQA)
    problem(client(app, demo, EDITOR).get(f"/api/v1/projects/{project}/report"), 404)
    assert (
        client(app, demo, EDITOR_ZARQA).get(f"/api/v1/projects/{project}/report").status_code == 200
    )
    portfolio = f"/api/v1/programmes/{_programme(demo)}/report"
    problem(client(app, demo, EDITOR_ZARQA).get(portfolio), 404)
    response = client(app, demo, DONOR).get(portfolio, params={"format": "html"})
    assert response.status_code == 200
    assert "MC2CM" in response.text


def test_an_issued_report_never_changes(app: FastAPI, demo: Demo) -> None:
    manager, donor = client(app, demo, MANAGER), client(app, demo, DONOR)
    project = project_id(demo.engine, ZARQA)
    body = {"scope": "project", "scope_id": project, "as_of": "2026-06-15"}
    problem(donor.post("/api/v1/issued-reports", json=body), 403)
    issued = manager.post("/api/v1/issued-reports", json=body)
    assert issued.status_code == 201, issued.text
    record = issued.json()
    assert issued.headers["location"] == f"/api/v1/issued-reports/{record['id']}"
    first = donor.get(f"/api/v1/issued-reports/{record['id']}/pdf")
    assert hashlib.sha256(first.content).hexdigest() == record["sha256"]
    text = _text(first.content)
    assert "ISSUED" in text.upper()
    assert "DRAFT" not in text

    # The data changes: a new milestone and a renamed project. The issued PDF does not.
    etag = manager.get(f"/api/v1/projects/{project}").headers["etag"]
    renamed = manager.patch(
        f"/api/v1/projects/{project}",
        json={"title": "Renamed after issue"},
        headers={"If-Match": etag},
    )
    assert renamed.status_code == 200
    later = donor.get(f"/api/v1/issued-reports/{record['id']}/pdf")
    assert later.content == first.content
    draft = donor.get(f"/api/v1/projects/{project}/report", params={"as_of": "2026-06-15"})
    assert "Renamed after issue" in _text(draft.content)
    with Session(demo.engine) as session:
        stored = session.get(IssuedReport, record["id"])
        assert stored is not None
        assert stored.issued_by_id is not None
        assert stored.parameters["as_of"] == "2026-06-15"


def test_reports_cannot_be_issued_ahead_of_time(app: FastAPI, demo: Demo) -> None:
    body = {"scope": "project", "scope_id": project_id(demo.engine, ZARQA), "as_of": "2027-01-01"}
    document = problem(client(app, demo, MANAGER).post("/api/v1/issued-reports", json=body), 422)
    assert document["errors"][0]["field"] == "as_of"


def test_the_web_serves_drafts_and_issues_reports(
    app: FastAPI, demo: Demo, browsers: Browsers
) -> None:
    project = project_id(demo.engine, ZARQA)
    manager = browsers[MANAGER]
    preview = manager.get(f"/projects/{project}/report.html")
    assert preview.status_code == 200
    assert preview.headers["content-disposition"].startswith("inline;")
    assert "/static/report.css" in preview.text
    token = manager.token(f"/projects/{project}")
    issued = manager.post(
        f"/projects/{project}/reports", {"csrf_token": token, "as_of": "2026-06-15"}
    )
    assert issued.status_code == 303, issued.text
    download = manager.get(issued.headers["location"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    donor = browsers[DONOR]
    assert donor.get(issued.headers["location"]).content == download.content
    token = donor.token(f"/projects/{project}")
    refused = donor.post(f"/projects/{project}/reports", {"csrf_token": token})
    assert refused.status_code == 403
    assert browsers[EDITOR].get(issued.headers["location"]).status_code == 404
