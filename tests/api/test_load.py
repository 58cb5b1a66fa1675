"""Concurrent writers against a real server: every write lands, nothing stalls, and a request
that cannot get its turn in time is told to come back (503 with Retry-After).

``bench/load.py`` measures the same at scale (64 clients, 60 s, several workers); this is
the small form that runs in the suite, on both engines.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, select

from grants.app import create_app
from grants.config import Settings
from grants.http.admission import Admission
from grants.models import AuditEvent, Expense
from tests.conftest import Demo
from tests.helpers import EDITOR_ZARQA, api, project_id, run_async, serving, signed_in

WRITERS = 16
SECONDS = 10.0
# Far below the 30 s a stalled server took, far above what a healthy one takes on a slow
# machine: the check is "answers while writers queue", not a speed target.
HEALTH_TIMEOUT_S = 5.0


@dataclass
class Tally:
    statuses: Counter[int | str] = field(default_factory=Counter)
    created: list[int] = field(default_factory=list)
    health: Counter[int | str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _write(url: str, token: str, project: int, line: int, stop: float, tally: Tally) -> None:
    """Record expenses over one keep-alive connection until ``stop``."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    number = 0
    try:
        while time.monotonic() < stop:
            number += 1
            body = {
                "budget_line_id": line,
                "spent_on": "2026-06-01",
                "amount": "1.25",
                "currency": "EUR",
                "description": f"Load {threading.get_ident()} {number}",
            }
            try:
                connection.request(
                    "POST", f"/api/v1/projects/{project}/expenses", json.dumps(body), headers
                )
                response = connection.getresponse()
                payload = response.read()
                outcome: int | str = response.status
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
                connection.close()
            with tally.lock:
                tally.statuses[outcome] += 1
                if outcome == 201:
                    tally.created.append(json.loads(payload)["id"])
    finally:
        connection.close()


def _probe_health(url: str, stop: float, tally: Tally) -> None:
    parts = urlsplit(url)
    while time.monotonic() < stop:
        connection = http.client.HTTPConnection(
            parts.hostname or "", parts.port, timeout=HEALTH_TIMEOUT_S
        )
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            outcome: int | str = response.status
        except (OSError, http.client.HTTPException) as error:
            outcome = type(error).__name__
        finally:
            connection.close()
        tally.health[outcome] += 1
        time.sleep(0.1)


def test_sixteen_writers_all_land_and_the_health_check_keeps_answering(
    app: FastAPI, demo: Demo
) -> None:
    project = project_id(demo.engine, "ZRQ-WOMEN")
    with Session(demo.engine) as session:
        line = session.exec(
            select(func.min(Expense.budget_line_id)).where(Expense.project_id == project)
        ).one()
        expenses_before = session.exec(select(func.count()).select_from(Expense)).one()
        events_before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    assert line is not None
    tally = Tally()
    with serving(app) as url:
        stop = time.monotonic() + SECONDS
        threads = [
            threading.Thread(
                target=_write, args=(url, demo.tokens[EDITOR_ZARQA], project, line, stop, tally)
            )
            for _ in range(WRITERS)
        ]
        threads.append(threading.Thread(target=_probe_health, args=(url, stop, tally)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert set(tally.statuses) == {201}, tally.statuses
    assert tally.statuses[201] >= WRITERS, "every writer landed at least one expense"
    assert set(tally.health) == {200}, f"/healthz under write load: {tally.health}"
    assert tally.health[200] >= 5
    with Session(demo.engine) as session:
        expenses_after = session.exec(select(func.count()).select_from(Expense)).one()
        stored = session.exec(select(Expense).where(Expense.id.in_(tally.created))).all()  # type: ignore[attr-defined]
        events_after = session.exec(select(func.count()).select_from(AuditEvent)).one()
    assert expenses_after - expenses_before == len(tally.created), "no lost or phantom write"
    assert len(set(tally.created)) == len(tally.created)
    assert {expense.amount for expense in stored} == {Decimal("1.25")}
    assert events_after - events_before >= len(tally.created), "every write is in the history"


@pytest.fixture
def one_turn(settings: Settings, demo: Demo) -> Iterator[tuple[FastAPI, threading.Event]]:
    """The app with a single reading turn and a short wait, and a route that holds the turn."""
    narrow = settings.model_copy(update={"concurrent_requests": 1, "queue_timeout_seconds": 0.3})
    app = create_app(narrow, demo.engine)
    release = threading.Event()

    @app.get("/api/v1/__hold")
    def hold() -> dict[str, str]:
        release.wait(10)
        return {"held": "yes"}

    yield app, release
    release.set()


def test_a_request_that_waits_too_long_for_its_turn_is_told_to_come_back(
    one_turn: tuple[FastAPI, threading.Event],
) -> None:
    app, release = one_turn
    with serving(app) as url:
        holder = threading.Thread(target=_get, args=(url, "/api/v1/__hold"))
        holder.start()
        time.sleep(0.2)
        try:
            status, headers, body = _get(url, "/api/v1/projects")
            health, _headers, _body = _get(url, "/healthz")
            page, page_headers, page_body = _get(url, "/login")
        finally:
            release.set()
            holder.join()
        after, _headers, _body = _get(url, "/healthz")
    assert status == 503
    assert headers["retry-after"].isdigit()
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 503
    assert health == 200, "the health check takes no turn"
    assert page == 503
    assert page_headers["retry-after"].isdigit()
    assert page_headers["content-type"].startswith("text/html")
    assert b"busy" in page_body
    assert "content-security-policy" in page_headers, "the busy page has the security headers"
    assert after == 200


def _get(url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_reads_and_writes_wait_in_lines_of_their_own() -> None:
    admission = Admission(FastAPI(), reads=3, writes=1, wait=1)

    async def lines() -> tuple[asyncio.Semaphore, asyncio.Semaphore, asyncio.Semaphore]:
        return admission.turns("GET"), admission.turns("HEAD"), admission.turns("POST")

    get, head, post = run_async(lines)
    assert get is head
    assert post is not get
    assert [get._value, post._value] == [3, 1]


@pytest.mark.parametrize(
    "error",
    [
        PoolTimeout("QueuePool limit of size 20 overflow 4 reached"),
        OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")),
    ],
    ids=["pool timeout", "sqlite busy"],
)
def test_a_request_that_waited_its_time_for_the_database_is_503_with_retry_after(
    error: Exception, settings: Settings, demo: Demo
) -> None:
    app = create_app(settings, demo.engine)

    @app.get("/api/v1/busy")
    @app.get("/busy")
    def busy(request: Request) -> None:
        raise error

    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/api/v1/busy", "/busy"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["retry-after"].isdigit()
        assert "locked" not in response.text
        assert "QueuePool" not in response.text


def test_another_database_error_is_still_a_logged_500(settings: Settings, demo: Demo) -> None:
    app = create_app(settings, demo.engine)

    @app.get("/api/v1/broken")
    def broken() -> None:
        raise OperationalError("SELECT", {}, Exception("no such table: nothing"))

    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/broken")
    assert response.status_code == 500
    assert "nothing" not in response.text


def test_no_database_statement_runs_on_the_event_loop(app: FastAPI, demo: Demo) -> None:
    """Every page, API call and form reaches the database from a worker thread only: a
    statement on the event loop would hold up every other request while it waits."""
    on_the_loop: list[str] = []

    def check(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        on_the_loop.append(statement)

    event.listen(Engine, "before_cursor_execute", check)
    try:
        project = project_id(demo.engine, "ZRQ-WOMEN")
        browser = signed_in(app, EDITOR_ZARQA)
        for path in ("/portal", f"/projects/{project}", f"/projects/{project}/updates/new"):
            assert browser.get(path).status_code == 200, path
        partner = api(app, demo.tokens[EDITOR_ZARQA])
        lines = partner.get("/api/v1/budget-lines", params={"project_id": project}).json()
        created = partner.post(
            f"/api/v1/projects/{project}/expenses",
            json={
                "budget_line_id": lines["items"][0]["id"],
                "spent_on": "2026-06-01",
                "amount": "3.00",
                "currency": "EUR",
                "description": "Loop check",
            },
        )
        assert created.status_code == 201, created.text
        assert partner.get("/api/v1/projects").status_code == 200
        assert partner.get("/api/v1/projects").status_code == 200, "a cached answer too"
        logout = browser.post("/logout", {"csrf_token": browser.token("/portal")})
        assert logout.status_code == 303
    finally:
        event.remove(Engine, "before_cursor_execute", check)
    assert on_the_loop == []
