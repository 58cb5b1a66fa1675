"""The API's access rule: a valid bearer token, else 401 problem+json."""

from __future__ import annotations

import datetime as dt
import logging
from contextvars import ContextVar
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from grants import db
from grants.api.cache import CachedToken, caches
from grants.audit import MARKS
from grants.http.deps import engine_of, today_of
from grants.i18n import _
from grants.models import utcnow
from grants.services import tokens
from grants.services.access import Principal, principal_for

log = logging.getLogger("grants.access")
answering_day: ContextVar[dt.date | None] = ContextVar("answering_day", default=None)
"""The application's today for the request being answered, for what answers derive from it."""
bearer_scheme = HTTPBearer(auto_error=False, description="An API token from `grants token create`.")


async def api_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """Access rule: a valid, unrevoked, unexpired API token of an active user."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(
            401, _("Send an API token as 'Authorization: Bearer <token>'."), headers=challenge
        )
    known = await run_in_threadpool(_known_token, request, credentials.credentials)
    if known is None:
        log.info(
            "denied", extra={"event": "denied", "reason": "bad_token", "path": request.url.path}
        )
        raise HTTPException(
            401, _("The API token is unknown, revoked or expired."), headers=challenge
        )
    answering_day.set(today_of(request))
    return known.principal


def _known_token(request: Request, raw: str) -> CachedToken | None:
    """Return what a valid token stands for, from the cache while no token, user or role has
    changed (``grants.audit.MARKS``).

    It runs in a worker thread, as all database work does: the marks are one indexed read; a
    token not in the cache is checked, and its use recorded, here too.
    """
    now = utcnow()
    token_cache, _bodies = caches(request)
    key = tokens.token_hash(raw)
    engine = engine_of(request)
    latest, access = db.read_row(_marks(request), MARKS) or (None, None)
    request.state.high_water_mark = int(latest or 0)
    mark = int(access or 0)
    known: CachedToken | None = token_cache.get(key, mark)
    if known is None or (known.expires_at is not None and now >= known.expires_at):
        known = _check(engine, raw, now)
        if known is None:
            return None
    if known.last_used_at is None or now - known.last_used_at >= tokens.USE_RESOLUTION:
        _record_use(engine, known.token_id, now)
        known = replace(known, last_used_at=now)
    token_cache.put(key, mark, known)
    return known


def _marks(request: Request) -> Engine:
    """The engine for reading the high-water mark, made on first use."""
    state = request.app.state
    if not hasattr(state, "mark_engine"):
        state.mark_engine = db.autocommit_engine(engine_of(request))
    engine: Engine = state.mark_engine
    return engine


def _check(engine: Engine, raw: str, now: dt.datetime) -> CachedToken | None:
    with db.read_session(engine) as session:
        found = tokens.check_token(session, raw, now)
        if found is None:
            return None
        user, token = found
        return CachedToken(
            principal_for(session, user), token.id, token.last_used_at, token.expires_at
        )


def _record_use(engine: Engine, token_id: int, now: dt.datetime) -> None:
    with db.write_session(engine) as session:
        tokens.record_use(session, token_id, now)


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
