"""Request bodies are bounded before any work: 413 past the route's limit, unread or cut short.

The oversized requests are driven straight through the ASGI interface, so each test sees how
many body bytes the application asked for: none when the Content-Length is over the limit,
at most one chunk past it when the body comes without a length.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from starlette.types import Receive, Scope, Send

from grants.app import create_app
from grants.config import Settings
from grants.http.limits import (
    BODY_MAX,
    BODY_METHODS,
    MIB,
    NO_BODY_MAX,
    BodyLimits,
    BodyTooLarge,
    RouteLimits,
    upload_limits,
)
from grants.models import Attachment, ProgressUpdateCreate
from grants.services.attachments import MAX_BYTES, MAX_BYTES_PER_FORM
from grants.web.errors import render
from tests.api.helpers import count, problem, project_id
from tests.conftest import Demo
from tests.helpers import EDITOR_ZARQA, MANAGER, api, signed_in
from tests.security.raw import (
    BOUNDARY,
    CHUNK,
    Answer,
    call,
    filler,
    multipart_file,
    temporary_files,
)
from tests.security.test_access_rules import endpoints

ZARQA = "ZRQ-WOMEN"


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where uploads spill to disk while they are parsed, for the test to look into."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def milestone_of_zarqa(app: FastAPI, demo: Demo) -> int:
    """A planned milestone ZRQ-WOMEN's editor may attach evidence to."""
    listing = api(app, demo.tokens[EDITOR_ZARQA]).get(
        "/api/v1/milestones",
        params={"project_id": project_id(demo.engine, ZARQA), "status": "planned"},
    )
    milestone: int = listing.json()["items"][0]["id"]
    return milestone


# Over the declared length: refused at once, before the token, the CSRF check or parsing.

DECLARED = [
    pytest.param(
        "POST", "/api/v1/programmes", "application/json", 120 * MIB, id="api-json-without-token"
    ),
    pytest.param(
        "POST", "/login", f"multipart/form-data; boundary={BOUNDARY}", 150 * MIB, id="login"
    ),
    pytest.param(
        "POST", "/login", "application/x-www-form-urlencoded", BODY_MAX + 1, id="login-form"
    ),
    pytest.param(
        "POST",
        "/api/v1/milestones/1/attachments",
        f"multipart/form-data; boundary={BOUNDARY}",
        MAX_BYTES + BODY_MAX + 1,
        id="api-upload",
    ),
    pytest.param("GET", "/api/v1/me", "application/json", NO_BODY_MAX + 1, id="api-get"),
    pytest.param("GET", "/login", "text/plain", NO_BODY_MAX + 1, id="page-get"),
]


@pytest.mark.parametrize(("method", "path", "content_type", "length"), DECLARED)
def test_a_declared_length_over_the_limit_is_refused_unread(
    app: FastAPI, spool: Path, method: str, path: str, content_type: str, length: int
) -> None:
    headers = {"content-type": content_type, "content-length": str(length)}
    answer = call(app, method, path, filler(length), headers)
    assert answer.status == 413
    assert answer.read == 0
    assert answer.headers["connection"] == "close"
    assert answer.headers["x-content-type-options"] == "nosniff"
    if path.startswith("/api/"):
        assert "accepted here" in answer.problem()["detail"]
    else:
        assert answer.headers["content-type"].startswith("text/html")
        assert b"Too large" in answer.body
    assert temporary_files(spool) == []
    assert os.listdir(spool) == []


def test_a_declared_length_within_the_limit_is_read(app: FastAPI) -> None:
    body = json.dumps({"name": "x"}).encode()
    headers = {"content-type": "application/json", "content-length": str(len(body))}
    answer = call(app, "POST", "/api/v1/programmes", [body], headers)
    assert answer.status == 401  # the body was read, then the missing token refused
    assert answer.read == len(body)


# Without a length (chunked): counted as it arrives, cut off just past the limit.

CHUNKED = [
    pytest.param("/api/v1/programmes", "application/json", filler, id="api-json-without-token"),
    pytest.param(
        "/api/v1/milestones/1/attachments",
        f"multipart/form-data; boundary={BOUNDARY}",
        multipart_file,
        id="api-upload-without-token",
    ),
    pytest.param("/login", "application/x-www-form-urlencoded", filler, id="login-form"),
    pytest.param(
        "/login", f"multipart/form-data; boundary={BOUNDARY}", multipart_file, id="login-multipart"
    ),
]


@pytest.mark.parametrize(("path", "content_type", "body"), CHUNKED)
def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    app: FastAPI,
    settings: Settings,
    spool: Path,
    path: str,
    content_type: str,
    body: Callable[[int], Iterator[bytes]],
) -> None:
    limit = RouteLimits.of(settings).limit("POST", path)
    answer = call(app, "POST", path, body(150 * MIB), {"content-type": content_type})
    assert answer.status == 413, answer.body[:300]
    assert limit < answer.read <= limit + CHUNK
    assert answer.headers["connection"] == "close"
    if path.startswith("/api/"):
        assert answer.problem()["status"] == 413  # not 401: the token was never looked at
    else:
        assert b"Too large" in answer.body  # not 403: the CSRF check never ran
    assert temporary_files(spool) == []
    assert os.listdir(spool) == []


def test_a_refused_upload_leaves_no_temporary_file(app: FastAPI, demo: Demo, spool: Path) -> None:
    """The file spills to a temporary file while it arrives; refused, that file is gone."""
    seen: list[int] = []

    def look(answer: Answer) -> None:
        if answer.read > 4 * MIB and not seen:
            seen.append(len(temporary_files(spool)))

    headers = {
        "content-type": f"multipart/form-data; boundary={BOUNDARY}",
        "authorization": f"Bearer {demo.tokens[EDITOR_ZARQA]}",
    }
    path = f"/api/v1/milestones/{milestone_of_zarqa(app, demo)}/attachments"
    before = count(demo.engine, Attachment)
    answer = call(app, "POST", path, multipart_file(3 * MAX_BYTES), headers, look)
    assert answer.status == 413
    assert seen == [1]  # the upload was on disk while it came in
    assert temporary_files(spool) == []
    assert os.listdir(spool) == []
    assert count(demo.engine, Attachment) == before


# Uploads up to their quota go through; past it they are refused.


def test_an_upload_at_the_quota_is_accepted_and_one_past_the_limit_refused(
    app: FastAPI, demo: Demo, spool: Path
) -> None:
    partner = api(app, demo.tokens[EDITOR_ZARQA])
    url = f"/api/v1/milestones/{milestone_of_zarqa(app, demo)}/attachments"
    before = count(demo.engine, Attachment)
    accepted = partner.post(url, files={"file": ("full.csv", b"a" * MAX_BYTES, "text/csv")})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["size_bytes"] == MAX_BYTES
    # Within the request's limit, the file's own quota answers, naming it.
    over_quota = b"a" * (MAX_BYTES + 1)
    assert (
        "10 MB" in problem(partner.post(url, files={"file": ("a.csv", over_quota)}), 413)["detail"]
    )
    # Past the request's limit, the body is not even read.
    huge = b"a" * (MAX_BYTES + BODY_MAX)
    refused = problem(partner.post(url, files={"file": ("b.csv", huge, "text/csv")}), 413)
    assert "11 MB" in refused["detail"]
    assert count(demo.engine, Attachment) == before + 1
    assert temporary_files(spool) == []


def test_the_import_upload_follows_its_setting(demo: Demo, settings: Settings, spool: Path) -> None:
    app = create_app(settings.model_copy(update={"import_max_mb": 1}), demo.engine)
    manager = signed_in(app, MANAGER)
    token = manager.token("/exchange")
    too_big = ("plan.csv", b"a" * (2 * MIB + 1), "text/csv")
    refused = manager.post("/exchange/import", {"csrf_token": token}, files={"upload": too_big})
    assert refused.status_code == 413
    assert "2 MB" in refused.text
    just_over_quota = ("plan.csv", b"a" * (MIB + 1), "text/csv")
    refused = manager.post(
        "/exchange/import", {"csrf_token": token}, files={"upload": just_over_quota}
    )
    assert refused.status_code == 413
    assert "larger than 1 MB" in refused.text  # the route's own check, naming the file
    assert temporary_files(spool) == []


def test_the_portal_states_the_quota_of_a_form(app: FastAPI, demo: Demo) -> None:
    page = signed_in(app, EDITOR_ZARQA).get(
        f"/projects/{project_id(demo.engine, ZARQA)}/updates/new"
    )
    assert page.status_code == 200
    assert f"at most 10 MB each and {MAX_BYTES_PER_FORM // MIB} MB together" in page.text


# The limits fit what the application takes.


def test_the_longest_legitimate_json_body_fits(app: FastAPI, demo: Demo) -> None:
    """A progress update with every narrative at its length limit, each character escaped."""
    widest = "\U0001f600"  # six bytes twice in JSON: the costliest character to send
    narratives = {
        name: widest * ProgressUpdateCreate.model_fields[name].metadata[0].max_length
        for name in ("achievements", "challenges", "next_steps")
    }
    body = {
        "period_start": "2026-04-01",
        "period_end": "2026-06-14",
        "overall_status": "on_track",
        "percent_complete": 40,
        **narratives,
    }
    content = json.dumps(body, ensure_ascii=True).encode()
    assert len(content) < BODY_MAX
    partner = api(app, demo.tokens[EDITOR_ZARQA])
    created = partner.post(
        f"/api/v1/projects/{project_id(demo.engine, ZARQA)}/progress-updates",
        content=content,
        headers={"content-type": "application/json"},
    )
    assert created.status_code == 201, created.text[:300]
    assert created.json()["achievements"] == narratives["achievements"]


def _body_params(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.body_params
    for dependency in dependant.dependencies:
        yield from _body_params(dependency)


def test_the_upload_table_names_exactly_the_routes_that_take_files(
    app: FastAPI, settings: Settings
) -> None:
    taking_files, taking_a_body = set(), set()
    for endpoint in endpoints(app):
        if endpoint.dependant is None:
            continue
        body = list(_body_params(endpoint.dependant))
        for method in endpoint.methods:
            if body:
                taking_a_body.add(method)
            if any(isinstance(param.field_info, params.File) for param in body):
                taking_files.add((method, endpoint.path))
    assert taking_files == set(upload_limits(settings))
    assert taking_a_body <= BODY_METHODS


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("POST", "/milestones/3/submit", MAX_BYTES_PER_FORM + BODY_MAX),
        ("POST", "/projects/3/updates/new", MAX_BYTES_PER_FORM + BODY_MAX),
        ("POST", "/progress-updates/3/edit", MAX_BYTES_PER_FORM + BODY_MAX),
        ("POST", "/exchange/import", 20 * MIB + BODY_MAX),
        ("POST", "/exchange/import/ab12", BODY_MAX),
        ("POST", "/api/v1/milestones/3/attachments", MAX_BYTES + BODY_MAX),
        ("POST", "/api/v1/progress-updates/3/attachments", MAX_BYTES + BODY_MAX),
        ("GET", "/api/v1/milestones/3/attachments", NO_BODY_MAX),
        ("POST", "/login", BODY_MAX),
        ("PATCH", "/api/v1/projects/3", BODY_MAX),
        ("PUT", "/api/v1/progress-updates/3", BODY_MAX),
        ("DELETE", "/api/v1/expenses/3", NO_BODY_MAX),
        ("GET", "/", NO_BODY_MAX),
    ],
)
def test_each_route_has_its_limit(method: str, path: str, limit: int) -> None:
    assert RouteLimits.of(Settings(import_max_mb=20)).limit(method, path) == limit


# Once the answer has started, a 413 cannot follow.


def test_a_body_passing_the_limit_after_the_answer_started_ends_the_request() -> None:
    async def streams_then_reads(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            pass

    app = BodyLimits(streams_then_reads, RouteLimits.of(Settings()), render)
    with pytest.raises(BodyTooLarge):
        call(app, "POST", "/api/v1/programmes", filler(4 * BODY_MAX))
