"""Optimistic concurrency: ETags on reads, If-Match on writes, one winner among racers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi import FastAPI

from grants.models import AuditEvent
from tests.api.helpers import client, count, problem, project_id
from tests.conftest import Demo
from tests.helpers import EDITOR_ZARQA, MANAGER, api

ZARQA = "ZRQ-WOMEN"


def _milestone(app: FastAPI, demo: Demo) -> tuple[str, str]:
    """A fresh milestone's URL and ETag."""
    response = client(app, demo, MANAGER).post(
        f"/api/v1/projects/{project_id(demo.engine, ZARQA)}/milestones",
        json={"title": "Concurrency", "due_date": "2026-07-31"},
    )
    assert response.status_code == 201, response.text
    return f"/api/v1/milestones/{response.json()['id']}", response.headers["etag"]


def test_every_single_object_read_has_a_strong_etag(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    url, created = _milestone(app, demo)
    read = manager.get(url)
    assert read.headers["etag"] == created, "the ETag of a write is the ETag of the next read"
    assert read.headers["etag"].startswith('"')
    assert not read.headers["etag"].startswith("W/")
    for path in ("projects", "milestones", "tranches", "budget-lines", "indicators", "calls"):
        first = manager.get(f"/api/v1/{path}", params={"limit": 1}).json()["items"][0]
        response = manager.get(f"/api/v1/{path}/{first['id']}")
        assert response.status_code == 200, path
        assert response.headers["etag"], path


def test_if_none_match_answers_304_until_the_object_changes(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    url, etag = _milestone(app, demo)
    unchanged = manager.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    changed = manager.patch(url, json={"title": "Renamed"}, headers={"If-Match": etag})
    assert changed.status_code == 200
    assert manager.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_a_write_without_if_match_is_428_and_changes_nothing(app: FastAPI, demo: Demo) -> None:
    url, _etag = _milestone(app, demo)
    before = count(demo.engine, AuditEvent)
    document = problem(client(app, demo, MANAGER).patch(url, json={"title": "No ETag"}), 428)
    assert "If-Match" in document["detail"]
    assert count(demo.engine, AuditEvent) == before


def test_a_stale_etag_is_412_and_changes_nothing(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    url, etag = _milestone(app, demo)
    assert (
        manager.patch(url, json={"title": "First"}, headers={"If-Match": etag}).status_code == 200
    )
    before = count(demo.engine, AuditEvent)
    problem(manager.patch(url, json={"title": "Second"}, headers={"If-Match": etag}), 412)
    assert manager.get(url).json()["title"] == "First"
    assert count(demo.engine, AuditEvent) == before
    # A workflow step with a stale If-Match is refused too; without one it goes ahead.
    problem(manager.post(f"{url}/cancel", json={"reason": "x"}, headers={"If-Match": etag}), 412)


@pytest.mark.parametrize("rounds", [5])
def test_two_writers_with_the_same_etag_exactly_one_wins(
    app: FastAPI, demo: Demo, rounds: int
) -> None:
    for _ in range(rounds):
        url, etag = _milestone(app, demo)
        barrier = threading.Barrier(2)
        results: dict[str, Any] = {}

        def write(
            title: str, url: str, etag: str, barrier: threading.Barrier, results: dict[str, Any]
        ) -> None:
            writer = api(app, demo.tokens[MANAGER])
            barrier.wait()
            results[title] = writer.patch(url, json={"title": title}, headers={"If-Match": etag})

        threads = [
            threading.Thread(target=write, args=(title, url, etag, barrier, results))
            for title in ("Ana", "Bo")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(response.status_code for response in results.values())
        assert statuses == [200, 412], {t: r.text for t, r in results.items()}
        winner = next(t for t, r in results.items() if r.status_code == 200)
        loser = next(r for r in results.values() if r.status_code == 412)
        assert loser.headers["content-type"] == "application/problem+json"
        assert client(app, demo, MANAGER).get(url).json()["title"] == winner


def test_a_partner_corrects_and_deletes_an_expense_with_if_match(app: FastAPI, demo: Demo) -> None:
    partner = client(app, demo, EDITOR_ZARQA)
    project = project_id(demo.engine, ZARQA)
    line = partner.get("/api/v1/budget-lines", params={"project_id": project}).json()["items"][0]
    created = partner.post(
        f"/api/v1/projects/{project}/expenses",
        json={
            "budget_line_id": line["id"],
            "spent_on": "2026-06-01",
            "amount": "120.50",
            "currency": "EUR",
            "description": "Bus tickets",
        },
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/expenses/{created.json()['id']}"
    problem(partner.delete(url), 428)
    fixed = partner.patch(
        url, json={"amount": "102.50"}, headers={"If-Match": created.headers["etag"]}
    )
    assert fixed.status_code == 200
    assert fixed.json()["amount"] == "102.5000"
    problem(partner.delete(url, headers={"If-Match": created.headers["etag"]}), 412)
    assert partner.delete(url, headers={"If-Match": fixed.headers["etag"]}).status_code == 204
    problem(partner.get(url), 404)
