"""Request dependencies: database sessions, who is asking, access rules and CSRF.

Every route declares one access rule (``Public`` or ``SignedIn``, or the API's bearer
rule); a test fails for a route that declares none.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Path, Request
from sqlalchemy import Engine
from sqlmodel import Session

from grants import db
from grants.config import Settings
from grants.models import User, UserSession, utcnow
from grants.services import sessions
from grants.services.access import Principal, principal_for

log = logging.getLogger("grants.access")
SESSION_COOKIE = "grants_session"
SECURE_SESSION_COOKIE = "__Host-grants_session"
LOGIN_CSRF_COOKIE = "grants_login_csrf"


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler sends the browser to the sign-in page."""


class CsrfRefused(Exception):
    """A state-changing request without a valid CSRF token or from another origin."""


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


async def read_db(request: Request) -> AsyncIterator[Session]:
    """A session for a request that only reads.

    Opening it costs nothing until the route reads (a cached answer never does), so it is
    made on the event loop rather than in a worker thread.
    """
    with db.read_session(engine_of(request)) as session:
        yield session


def write_db(request: Request) -> Iterator[Session]:
    """A session in one write transaction, committed when the request succeeds.

    ``WriteDB`` ends it when the route returns, before the answer is sent: a browser
    following the redirect, or an API client reading back, sees the change, and a failed
    commit becomes an error page instead of a success whose change is lost.
    """
    with db.write_session(engine_of(request)) as session:
        yield session


ReadDB = Annotated[Session, Depends(read_db)]
PathId = Annotated[int, Path(ge=1, le=2_147_483_647)]
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


def safe_next(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else the home page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return False
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


def login_csrf_token(request: Request) -> str:
    """Return the pre-sign-in CSRF token of this browser, making one if needed."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    request.state.login_csrf = token
    return token


async def csrf_protect(request: Request) -> None:
    """Refuse a form POST from another origin or without this session's CSRF token."""
    found = current(request)
    expected = found[1].csrf_token if found else request.cookies.get(LOGIN_CSRF_COOKIE)
    form = await request.form()
    given = form.get("csrf_token")
    if (
        not _same_origin(request)
        or not expected
        or not isinstance(given, str)
        or not hmac.compare_digest(given, expected)
    ):
        log.warning(
            "csrf refused", extra={"event": "denied", "reason": "csrf", "path": request.url.path}
        )
        raise CsrfRefused


CsrfProtected = Depends(csrf_protect)
