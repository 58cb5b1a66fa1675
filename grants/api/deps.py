"""The API's access rule: a valid bearer token, else 401 problem+json."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from grants import db
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
    now = utcnow()
    with db.read_session(engine_of(request)) as session:
        found = tokens.check_token(session, credentials.credentials, now)
        principal = principal_for(session, found[0]) if found else None
    if found and tokens.use_is_stale(found[1], now):
        with db.write_session(engine_of(request)) as session:
            tokens.record_use(session, found[1].id, now)
    if principal is None:
        log.info(
            "denied", extra={"event": "denied", "reason": "bad_token", "path": request.url.path}
        )
        raise HTTPException(
            401, _("The API token is unknown, revoked or expired."), headers=challenge
        )
    return principal


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
