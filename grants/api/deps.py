"""The API's access rule: a valid bearer token, else 401 problem+json."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from grants import db
from grants.api.cache import CachedToken, caches
from grants.audit import high_water_mark
from grants.i18n import _
from grants.models import utcnow
from grants.services import tokens
from grants.services.access import Principal, principal_for
from grants.web.deps import engine_of

log = logging.getLogger("grants.access")
bearer_scheme = HTTPBearer(auto_error=False, description="An API token from `grants token create`.")


def api_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """Access rule: a valid, unrevoked, unexpired API token of an active user."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(
            401, _("Send an API token as 'Authorization: Bearer <token>'."), headers=challenge
        )
    known = _known_token(request, credentials.credentials)
    if known is None:
        log.info(
            "denied", extra={"event": "denied", "reason": "bad_token", "path": request.url.path}
        )
        raise HTTPException(
            401, _("The API token is unknown, revoked or expired."), headers=challenge
        )
    return known.principal


def _known_token(request: Request, raw: str) -> CachedToken | None:
    """Return what a valid token stands for, from the cache while nothing has changed."""
    now = utcnow()
    token_cache, _bodies = caches(request)
    key = tokens.token_hash(raw)
    with db.read_session(engine_of(request)) as session:
        mark = high_water_mark(session)
        known: CachedToken | None = token_cache.get(key, mark)
        if known is None or (known.expires_at is not None and now >= known.expires_at):
            found = tokens.check_token(session, raw, now)
            if found is None:
                return None
            user, token = found
            known = CachedToken(
                principal_for(session, user), token.id, token.last_used_at, token.expires_at
            )
    request.state.high_water_mark = mark
    if known.last_used_at is None or now - known.last_used_at >= tokens.USE_RESOLUTION:
        with db.write_session(engine_of(request)) as session:
            tokens.record_use(session, known.token_id, now)
        known = replace(known, last_used_at=now)
    token_cache.put(key, mark, known)
    return known


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
