"""Methods, on pages and in the API alike: HEAD answers wherever GET does, with the same
headers and no body, and a method a path lacks is 405 with ``Allow`` naming all it has."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response

from grants.http.methods import served_routes
from tests.conftest import Demo
from tests.helpers import EDITOR, api, project_id, signed_in

ACMALS = "ACMALS"
SAME_HEADERS = [
    "content-type",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "cache-control",
]


def _routed(app: FastAPI) -> dict[str, set[str]]:
    """Every routed path template, with the methods routed for it."""
    methods: dict[str, set[str]] = defaultdict(set)
    for route in served_routes(app.routes):
        if route.methods:
            methods[route.path_format].update(route.methods)
    return methods


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def test_a_missing_method_is_405_listing_every_method_of_the_path(app: FastAPI) -> None:
    http = TestClient(app)
    for template, routed in _routed(app).items():
        unrouted = next(m for m in ("PUT", "DELETE", "PATCH", "POST") if m not in routed)
        response = http.request(unrouted, _concrete(template))
        assert response.status_code == 405, (unrouted, template)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        expected = routed | ({"HEAD"} if "GET" in routed else set())
        assert expected <= allowed, (template, allowed)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/v1/projects/1", "GET, HEAD, PATCH"),
        ("POST", "/api/v1/expenses/1", "DELETE, GET, HEAD, PATCH"),
        ("PUT", "/login", "GET, HEAD, POST"),
        ("GET", "/logout", "POST"),
        ("HEAD", "/logout", "POST"),
        ("POST", "/static/app.css", "GET, HEAD"),
    ],
)
def test_the_allow_header_of_a_405(app: FastAPI, method: str, path: str, allow: str) -> None:
    response = TestClient(app).request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    if path.startswith("/api/"):
        assert response.headers["content-type"] == "application/problem+json"


def test_head_answers_wherever_get_does(app: FastAPI) -> None:
    """Signed out, so every page redirects or refuses quickly: never a 405."""
    http = TestClient(app, follow_redirects=False)
    for template, routed in _routed(app).items():
        if "GET" not in routed:
            continue
        path = _concrete(template)
        got, head = http.get(path), http.head(path)
        assert head.status_code == got.status_code, template
        assert head.content == b"", template


def _same_but_the_body(got: Response, head: Response) -> None:
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    for name in SAME_HEADERS:
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_of_a_page_an_api_object_and_a_static_file(app: FastAPI, demo: Demo) -> None:
    editor = signed_in(app, EDITOR).http
    page = f"/projects/{project_id(demo.engine, ACMALS)}"
    _same_but_the_body(editor.get(page), editor.head(page))
    _same_but_the_body(TestClient(app).get("/login"), TestClient(app).head("/login"))

    token = api(app, demo.tokens[EDITOR])
    url = f"/api/v1/projects/{project_id(demo.engine, ACMALS)}"
    got, head = token.get(url), token.head(url)
    _same_but_the_body(got, head)
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == str(len(got.content))
    assert token.head(url, headers={"If-None-Match": got.headers["etag"]}).status_code == 304

    static = TestClient(app)
    got, head = static.get("/static/app.css"), static.head("/static/app.css")
    _same_but_the_body(got, head)
    assert head.headers["content-length"] == str(len(got.content))
