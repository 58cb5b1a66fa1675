"""A change is committed before its answer leaves, so the page the browser asks for next
(the redirect after a form, the next request of an API client) already shows it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select

from grants import db
from grants.models import Milestone, MilestoneStatus, UserSession
from tests.conftest import Demo
from tests.helpers import CSV, EDITOR_ZARQA, MANAGER, Browser, new_milestone

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


def watching(app: FastAPI, probe: Callable[[], object], seen: list[object]) -> Any:
    """Return ``app`` recording what ``probe`` reads when each POST's answer starts to leave."""

    async def watched(scope: Message, receive: Any, send: Send) -> None:
        async def probing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("method") == "POST":
                seen.append(probe())
            await send(message)

        await app(scope, receive, probing_send)

    return watched


def test_a_sign_in_is_saved_before_the_browser_is_sent_on(app: FastAPI, demo: Demo) -> None:
    def newest_session() -> int:
        with db.read_session(demo.engine) as session:
            return session.exec(select(func.coalesce(func.max(UserSession.id), 0))).one()

    before, seen = newest_session(), []
    Browser(watching(app, newest_session, seen)).sign_in(MANAGER)
    assert seen[0] > before, "the session exists when the redirect reaches the browser"


def test_a_submitted_milestone_is_saved_before_the_partner_sees_the_project(
    app: FastAPI, demo: Demo
) -> None:
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")

    def status() -> MilestoneStatus:
        with db.read_session(demo.engine) as session:
            found = session.get(Milestone, milestone)
            assert found is not None
            return found.status

    seen: list[object] = []
    browser = Browser(watching(app, status, seen))
    browser.sign_in(EDITOR_ZARQA)
    response = browser.post(
        f"/milestones/{milestone}/submit",
        browser.hidden(f"/milestones/{milestone}/submit"),
        files={"evidence": ("attendance.csv", CSV, "text/csv")},
    )
    assert response.status_code == 303
    assert seen[-1] == MilestoneStatus.SUBMITTED, "submitted when the redirect leaves"
