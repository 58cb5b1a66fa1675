"""Request dependencies the web pages and the API share: database sessions, who is asking,
path ids and the day the application treats as today.

Every route declares one access rule (``Public`` or ``SignedIn``, or the API's bearer
rule); a test fails for a route that declares none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from grants import db
from grants.config import Settings, today
from grants.models import User, UserSession, utcnow
from grants.models.base import MAX_ID
from grants.services import sessions
from grants.services.access import Principal, principal_for

SESSION_COOKIE = "grants_session"
SECURE_SESSION_COOKIE = "__Host-grants_session"


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler sends the browser to the sign-in page."""


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def today_of(request: Request) -> dt.date:
    """Return the date the application treats as today (a setting may fix it)."""
    return today(settings_of(request))


async def _today(request: Request) -> dt.date:
    return today_of(request)


Today = Annotated[dt.date, Depends(_today)]
"""The application's today, as a route parameter."""


async def read_db(request: Request) -> AsyncIterator[Session]:
    """A session for a request that only reads.

    Opening it costs nothing until the route reads (a cached answer never does), so it is
    made on the event loop rather than in a worker thread; a session that did read is
    closed in a worker thread, because giving its connection back is a round trip.
    """
    session = Session(engine_of(request))
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


def write_db(request: Request) -> Iterator[Session]:
    """A session in one write transaction, committed when the request succeeds.

    ``WriteDB`` ends it when the route returns, before the answer is sent: a browser
    following the redirect, or an API client reading back, sees the change, and a failed
    commit becomes an error page instead of a success whose change is lost.
    """
    with db.write_session(engine_of(request)) as session:
        yield session


ReadDB = Annotated[Session, Depends(read_db)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A row id in a page's path: positive and within a 32-bit column (else 422, never a 500)."""
WriteDB = Annotated[Session, Depends(write_db, scope="function")]


def secure_cookies(request: Request) -> bool:
    """Return whether cookies must be Secure (setting, else whether the request was HTTPS)."""
    configured = settings_of(request).cookie_secure
    return request.url.scheme == "https" if configured is None else configured


def cookie_name(request: Request) -> str:
    return SECURE_SESSION_COOKIE if secure_cookies(request) else SESSION_COOKIE


def now() -> dt.datetime:
    return utcnow()


def current(request: Request) -> tuple[User, UserSession, Principal] | None:
    """Return the signed-in user, their session and principal, or None (cached per request)."""
    if hasattr(request.state, "signed_in"):
        return request.state.signed_in
    raw = request.cookies.get(cookie_name(request))
    found = None
    if raw:
        with db.read_session(engine_of(request)) as session:
            resolved = sessions.resolve(session, raw, settings_of(request), now())
            if resolved:
                user, user_session = resolved
                found = (user, user_session, principal_for(session, user))
        if found and now() - found[1].last_seen_at >= sessions.TOUCH_EVERY:
            with db.write_session(engine_of(request)) as session:
                sessions.touch(session, found[1].id, now())
    request.state.signed_in = found
    return found


def public(request: Request) -> Principal | None:
    """Access rule: anyone; returns the principal when someone is signed in."""
    found = current(request)
    return found[2] if found else None


def signed_in(request: Request) -> Principal:
    """Access rule: a signed-in user; anyone else is sent to the sign-in page."""
    found = current(request)
    if found is None:
        raise SignInRequired
    return found[2]


Public = Annotated[Principal | None, Depends(public)]
SignedIn = Annotated[Principal, Depends(signed_in)]
