"""The read cache: a repeated GET costs one query, and any change anywhere invalidates it."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from grants import db
from grants.api.cache import Lru
from grants.audit import ACTOR_KEY
from grants.models import ApiToken, Project, User, utcnow
from grants.services import tokens
from grants.services.access import SYSTEM
from tests.api.helpers import client, project_id
from tests.api.test_query_counts import statements
from tests.conftest import Demo
from tests.helpers import DONOR, EDITOR_ZARQA, MANAGER, api

LIST = "/api/v1/projects?status=active&sort=title"


def test_a_repeated_read_costs_one_query(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    first = manager.get(LIST)
    marks = app.state.mark_engine  # PostgreSQL reads the mark through a pool of its own
    with statements(demo.engine) as seen, statements(marks) as seen_by_marks:
        again = manager.get(LIST)
    assert again.content == first.content
    everything = seen if marks.dialect.name == "sqlite" else seen + seen_by_marks
    assert len(everything) == 1, everything  # the high-water mark, and nothing else
    assert "max" in everything[0].lower()


def test_a_write_through_the_api_shows_at_once(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER)
    project = project_id(demo.engine, "ZRQ-WOMEN")
    url = f"/api/v1/projects/{project}"
    before = manager.get(url)
    donor_view = client(app, demo, DONOR).get(url).json()
    changed = manager.patch(
        url, json={"title": "Cached no more"}, headers={"If-Match": before.headers["etag"]}
    )
    assert changed.status_code == 200
    assert manager.get(url).json()["title"] == "Cached no more"
    assert client(app, demo, DONOR).get(url).json()["title"] != donor_view["title"]


def test_a_change_made_by_another_process_shows_at_once(app: FastAPI, demo: Demo) -> None:
    partner = client(app, demo, EDITOR_ZARQA)
    project = project_id(demo.engine, "ZRQ-WOMEN")
    url = f"/api/v1/projects/{project}"
    assert partner.get(url).json()["city"] == "Zarqa"
    # Another app process writes straight to the database, through its own engine.
    other = db.make_engine(demo.url)
    try:
        with db.write_session(other) as session:
            session.info[ACTOR_KEY] = SYSTEM
            row = session.get(Project, project)
            assert row is not None
            row.city = "Az-Zarqa"
    finally:
        other.dispose()
    assert partner.get(url).json()["city"] == "Az-Zarqa"


def test_a_revoked_token_is_refused_at_once(app: FastAPI, demo: Demo) -> None:
    with db.write_session(demo.engine) as session:
        user = session.exec(select(User).where(User.email == DONOR)).one()
        raw, token = tokens.create_token(session, SYSTEM, user, "cache test", utcnow())
        token_id = token.id
    holder = api(app, raw)
    assert holder.get(LIST).status_code == 200
    with db.write_session(demo.engine) as session:
        tokens.revoke_token(session, SYSTEM, token_id, utcnow())
    assert holder.get(LIST).status_code == 401
    assert holder.get("/api/v1/me").status_code == 401


def test_a_write_to_projects_keeps_the_token_checked_but_not_looked_up_again(
    app: FastAPI, demo: Demo
) -> None:
    manager = client(app, demo, MANAGER)
    project = project_id(demo.engine, "ZRQ-WOMEN")
    url = f"/api/v1/projects/{project}"
    manager.get(LIST)
    before = manager.get(url)
    changed = manager.patch(
        url, json={"title": "Still the same token"}, headers={"If-Match": before.headers["etag"]}
    )
    assert changed.status_code == 200
    marks = app.state.mark_engine
    with statements(demo.engine) as seen, statements(marks) as seen_by_marks:
        again = manager.get(LIST)
    assert again.status_code == 200
    everything = " ".join(seen if marks.dialect.name == "sqlite" else seen + seen_by_marks)
    assert "api_token" not in everything.lower(), everything  # the write moved no access mark
    assert "membership" not in everything.lower(), everything
    assert "Still the same token" in manager.get(url).text


def test_a_deactivated_user_is_refused_at_once_though_the_token_was_cached(
    app: FastAPI, demo: Demo
) -> None:
    with db.write_session(demo.engine) as session:
        user = session.exec(select(User).where(User.email == DONOR)).one()
        raw, _token = tokens.create_token(session, SYSTEM, user, "cache test", utcnow())
    holder = api(app, raw)
    assert holder.get(LIST).status_code == 200
    _set_active(demo, False)
    try:
        assert holder.get(LIST).status_code == 401
    finally:
        _set_active(demo, True)


def _set_active(demo: Demo, active: bool) -> None:
    with db.write_session(demo.engine) as session:
        session.info[ACTOR_KEY] = SYSTEM
        user = session.exec(select(User).where(User.email == DONOR)).one()
        user.is_active = active


def test_an_expired_token_is_refused_even_when_cached(
    app: FastAPI, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.write_session(demo.engine) as session:
        user = session.exec(select(User).where(User.email == DONOR)).one()
        raw, _token = tokens.create_token(session, SYSTEM, user, "expiring", utcnow(), 1)
    holder = api(app, raw)
    assert holder.get(LIST).status_code == 200
    later = utcnow() + dt.timedelta(days=2)
    monkeypatch.setattr("grants.api.deps.utcnow", lambda: later)
    assert holder.get(LIST).status_code == 401


def test_each_user_gets_their_own_answer(app: FastAPI, demo: Demo) -> None:
    manager = client(app, demo, MANAGER).get(LIST).json()
    partner = client(app, demo, EDITOR_ZARQA).get(LIST).json()
    assert manager["total"] > partner["total"] == 1


def test_the_use_of_a_token_is_still_recorded(app: FastAPI, demo: Demo) -> None:
    with db.write_session(demo.engine) as session:
        user = session.exec(select(User).where(User.email == DONOR)).one()
        raw, token = tokens.create_token(session, SYSTEM, user, "use", utcnow())
        token_id = token.id
    api(app, raw).get(LIST)
    with Session(demo.engine) as session:
        used = session.get(ApiToken, token_id)
        assert used is not None
        assert used.last_used_at is not None


def test_the_cache_stays_within_its_entries_and_bytes() -> None:
    bounded = Lru(size=3, budget=800)
    for n in range(5):
        bounded.put(n, 1, b"x" * 50, 50)
    assert list(bounded.entries) == [2, 3, 4]
    assert bounded.get(4, 1) == b"x" * 50
    assert bounded.get(4, 2) is None, "stored under another mark"
    bounded.put("big", 1, b"y" * 200, 200)  # over an eighth of the budget: not kept
    assert bounded.get("big", 1) is None
    bounded = Lru(size=100, budget=800)
    for n in range(10):
        bounded.put(n, 1, b"z" * 100, 100)
    assert bounded.used <= 800
    assert list(bounded.entries) == [2, 3, 4, 5, 6, 7, 8, 9]
