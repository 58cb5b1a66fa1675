"""Security headers on every kind of response, error pages and downloads included."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx2 import Response
from sqlmodel import select

from grants import db
from grants.api.deps import ApiPrincipal
from grants.app import create_app
from grants.config import Settings
from grants.http.deps import Public
from grants.models import Attachment
from tests.conftest import Demo
from tests.helpers import (
    DONOR,
    EDITOR,
    Browser,
    api,
    new_milestone,
    project_id,
    signed_in,
)

SECRET_DETAIL = "connection to postgresql://grants:hunter2@db.internal failed"


@pytest.fixture(scope="module")
def boom_app(demo: Demo, settings: Settings) -> FastAPI:
    """The application with one more public route, which fails."""
    app = create_app(settings, demo.engine)

    def boom(principal: Public) -> None:
        raise RuntimeError(SECRET_DETAIL)

    def api_boom(principal: ApiPrincipal) -> None:
        raise RuntimeError(SECRET_DETAIL)

    app.add_api_route("/boom", boom)
    app.add_api_route("/api/v1/boom", api_boom)
    return app


def _attachment(demo: Demo) -> int:
    with db.read_session(demo.engine) as session:
        found = session.exec(
            select(Attachment.id).where(Attachment.project_id == project_id(demo.engine, "ACMALS"))
        ).first()
    assert found is not None
    return found


@pytest.fixture(scope="module")
def responses(demo: Demo, app: FastAPI, boom_app: FastAPI) -> dict[str, Response]:
    """One response of every kind, fetched once for the module."""
    editor = signed_in(app, EDITOR)
    donor = signed_in(app, DONOR)
    anonymous = Browser(app)
    token = demo.tokens[EDITOR]
    attachment = _attachment(demo)
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    fetch: dict[str, Callable[[], Response]] = {
        "home page": lambda: anonymous.get("/"),
        "signed-in page": lambda: editor.get("/projects"),
        "project page": lambda: editor.get(f"/projects/{project_id(demo.engine, 'ACMALS')}"),
        "login page": lambda: anonymous.get("/login"),
        "redirect to sign in": lambda: anonymous.get("/projects"),
        "404 page (no route)": lambda: anonymous.get("/no/such/page"),
        "404 page (out of scope)": lambda: editor.get(
            f"/projects/{project_id(demo.engine, 'ZRQ-WOMEN')}"
        ),
        "403 page (CSRF)": lambda: editor.post("/logout", {"csrf_token": "wrong"}),
        "403 page (not allowed)": lambda: donor.post(
            f"/milestones/{milestone}/submit", {"csrf_token": donor.token("/projects")}
        ),
        "405 page": lambda: editor.get("/logout"),
        "500 page": lambda: Browser(boom_app).get("/boom"),
        "health check": lambda: anonymous.get("/healthz"),
        "API JSON": lambda: api(app, token).get("/api/v1/me"),
        "API problem 401": lambda: api(app).get("/api/v1/me"),
        "API problem 404": lambda: api(app, token).get("/api/v1/projects/999999"),
        "API problem 500": lambda: api(boom_app, token).get("/api/v1/boom"),
        "download": lambda: editor.get(f"/attachments/{attachment}"),
        "API download": lambda: api(app, token).get(f"/api/v1/attachments/{attachment}/content"),
    }
    return {name: get() for name, get in fetch.items()}


EXPECTED_STATUS = {
    "redirect to sign in": 303,
    "404 page (no route)": 404,
    "404 page (out of scope)": 404,
    "403 page (CSRF)": 403,
    "403 page (not allowed)": 403,
    "405 page": 405,
    "500 page": 500,
    "API problem 401": 401,
    "API problem 404": 404,
    "API problem 500": 500,
}
KINDS = [
    "home page",
    "signed-in page",
    "project page",
    "login page",
    "redirect to sign in",
    "404 page (no route)",
    "404 page (out of scope)",
    "403 page (CSRF)",
    "403 page (not allowed)",
    "405 page",
    "500 page",
    "health check",
    "API JSON",
    "API problem 401",
    "API problem 404",
    "API problem 500",
    "download",
    "API download",
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_response_carries_the_security_headers(
    responses: dict[str, Response], kind: str
) -> None:
    response = responses[kind]
    assert response.status_code == EXPECTED_STATUS.get(kind, 200), response.text
    headers = response.headers
    csp = [part.strip() for part in headers["content-security-policy"].split(";")]
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] in {"same-origin", "no-referrer", "strict-origin"}
    assert "no-store" in headers["cache-control"]


@pytest.mark.parametrize("kind", ["download", "API download"])
def test_downloads_are_attachments_never_rendered(
    responses: dict[str, Response], kind: str
) -> None:
    response = responses[kind]
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/static/app.css", "/static/vendor/htmx.min.js"])
def test_static_files_have_the_headers_and_are_cached_as_the_readme_says(
    app: FastAPI, path: str
) -> None:
    """Public, not personal, at addresses that do not change between releases: any cache may
    keep them, but asks each time (304 when unchanged), so an upgrade shows at once."""
    browser = Browser(app)
    response = browser.get(path)
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, no-cache"
    again = browser.get(path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["cache-control"] == "public, no-cache"
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "`Cache-Control: public, no-cache`" in readme


def test_the_api_docs_assets_are_cached_like_static_files(app: FastAPI) -> None:
    page = Browser(app).get("/api/docs")
    asset = next(src for src in re.findall(r'src="([^"]+)"', page.text) if "assets" in src)
    assert Browser(app).get(asset).headers["cache-control"] == "public, no-cache"


def test_a_static_file_that_does_not_exist_is_not_cached(app: FastAPI) -> None:
    response = Browser(app).get("/static/no-such-file.css")
    assert response.status_code == 404
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("kind", ["500 page", "API problem 500"])
def test_a_server_error_shows_nothing_of_the_failure(
    responses: dict[str, Response], kind: str
) -> None:
    response = responses[kind]
    assert response.status_code == 500
    text = response.text
    for leak in ("Traceback", "RuntimeError", "hunter2", "db.internal", SECRET_DETAIL, ".py"):
        assert leak not in text, leak


def test_the_500_page_is_a_page_and_says_it_was_logged(responses: dict[str, Response]) -> None:
    response = responses["500 page"]
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in response.text
    assert "logged" in response.text


def test_api_errors_are_problem_json(responses: dict[str, Response]) -> None:
    for kind in ("API problem 401", "API problem 404", "API problem 500"):
        response = responses[kind]
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert set(problem) >= {"type", "title", "status", "detail"}
        assert problem["status"] == response.status_code
