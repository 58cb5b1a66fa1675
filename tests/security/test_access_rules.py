"""Deny by default: every route declares exactly one access rule, and the rules hold.

The rules are ``grants.http.deps.public``, ``grants.http.deps.signed_in`` and
``grants.api.deps.api_principal``; a route without one (or with two) fails the walk below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from grants.api.deps import api_principal
from grants.http.deps import public, signed_in
from tests.conftest import Browsers, Demo
from tests.helpers import EDITOR, Browser, api

RULES: dict[Callable[..., Any], str] = {
    public: "Public",
    signed_in: "SignedIn",
    api_principal: "api_principal",
}
PUBLIC_MOUNTS = {"/static", "/api/docs/assets"}  # stylesheets and scripts, public by design
EXISTING_ID = "1"


@dataclass(frozen=True)
class Endpoint:
    """A route as served: its full path, methods and dependency tree (router ones included)."""

    route: BaseRoute
    path: str
    methods: frozenset[str]
    dependant: Dependant | None


def endpoints(app: FastAPI) -> Iterator[Endpoint]:
    """Every route of ``app``, with included routers flattened."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazily included routers: app.routes is flat
        for route in app.routes:
            yield Endpoint(
                route,
                getattr(route, "path", ""),
                frozenset(getattr(route, "methods", None) or ()),
                route.dependant if isinstance(route, APIRoute) else None,
            )
        return
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        yield Endpoint(
            route,
            context.path or "",
            frozenset(context.methods or ()),
            context.dependant if isinstance(route, APIRoute) else None,
        )


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def rules_of(endpoint: Endpoint) -> set[str]:
    if endpoint.dependant is None:
        return set()
    return {RULES[call] for call in _calls(endpoint.dependant) if call in RULES}


def routes_without_one_rule(app: FastAPI) -> list[str]:
    """Name every route that does not declare exactly one access rule."""
    problems = []
    for endpoint in endpoints(app):
        if isinstance(endpoint.route, APIRoute):
            rules = rules_of(endpoint)
            if len(rules) != 1:
                methods = ",".join(sorted(endpoint.methods))
                problems.append(f"{methods} {endpoint.path}: {sorted(rules) or 'no access rule'}")
        elif not (isinstance(endpoint.route, Mount) and endpoint.path in PUBLIC_MOUNTS):
            problems.append(f"{type(endpoint.route).__name__} {endpoint.path}: unchecked")
    return problems


def _routes(app: FastAPI, rule: str) -> list[tuple[str, str]]:
    """(method, concrete path) for every route under ``rule``, ids filled in."""
    found: list[tuple[str, str]] = []
    for endpoint in endpoints(app):
        if rules_of(endpoint) == {rule}:
            path = re.sub(r"\{[^}]+\}", EXISTING_ID, endpoint.path)
            found.extend((method, path) for method in sorted(endpoint.methods - {"HEAD"}))
    return found


def test_every_route_declares_exactly_one_access_rule(app: FastAPI) -> None:
    assert routes_without_one_rule(app) == []


def test_the_walk_catches_a_route_without_a_rule_or_with_two(app: FastAPI) -> None:
    def unguarded() -> dict[str, str]:
        return {}

    probe = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    probe.add_api_route("/open", unguarded)
    probe.add_api_route("/both", unguarded, dependencies=[Depends(public), Depends(signed_in)])
    probe.add_api_route("/fine", unguarded, dependencies=[Depends(public)])
    assert routes_without_one_rule(probe) == [
        "GET /open: no access rule",
        "GET /both: ['Public', 'SignedIn']",
    ]


def test_the_app_has_routes_of_every_kind(app: FastAPI) -> None:
    paths = {endpoint.path for endpoint in endpoints(app)}
    assert {"/login", "/projects/{project_id}", "/api/v1/me", "/static"} <= paths
    assert _routes(app, "Public")
    assert _routes(app, "SignedIn")
    assert _routes(app, "api_principal")
    assert all(path.startswith("/api/v1/") for _m, path in _routes(app, "api_principal"))
    assert not any(path.startswith("/api/") for _m, path in _routes(app, "SignedIn"))


def test_signed_in_pages_send_an_anonymous_browser_to_sign_in(app: FastAPI) -> None:
    for method, path in _routes(app, "SignedIn"):
        browser = Browser(app)
        if method == "GET":
            response = browser.get(path)
        else:
            # A form posted with the anonymous browser's own (pre-sign-in) CSRF token.
            response = browser.post(path, {"csrf_token": browser.token("/login")})
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"] == f"/login?next={quote(path)}", (method, path)


def test_signed_in_pages_keep_the_query_in_next(app: FastAPI) -> None:
    response = Browser(app).get("/account/password?changed=true")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + quote("/account/password?changed=true")


def test_public_pages_answer_anonymous_browsers(app: FastAPI) -> None:
    for method, path in _routes(app, "Public"):
        if method == "GET":
            assert Browser(app).get(path).status_code == 200, path


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer gt_not-a-real-token", "Bearer ", "Basic YWRtaW46YWRtaW4=", "gt_no-scheme"],
)
def test_api_refuses_requests_without_a_valid_token(
    app: FastAPI, demo: Demo, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    client = api(app)
    for method, path in _routes(app, "api_principal"):
        response = client.request(method, path, headers=headers)
        assert response.status_code == 401, (method, path, authorization, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        problem = response.json()
        assert problem["status"] == 401
        assert problem["title"]
        assert problem["detail"]


def test_api_ignores_the_browser_session_cookie(app: FastAPI, browsers: Browsers) -> None:
    browser = browsers[EDITOR]  # signed in: its cookie must not open the API
    for method, path in _routes(app, "api_principal"):
        response = browser.http.request(method, path)
        assert response.status_code == 401, (method, path)


def test_a_valid_token_opens_the_api(app: FastAPI, demo: Demo) -> None:
    response = api(app, demo.tokens[EDITOR]).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == EDITOR
