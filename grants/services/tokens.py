"""API tokens: random, shown once, stored hashed, revocable, optionally expiring."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from sqlalchemy import update
from sqlmodel import Session, col, select

from grants.i18n import _
from grants.models import ApiToken, User
from grants.services.access import Principal
from grants.services.common import writes
from grants.services.errors import Invalid, NotAllowed, NotFound
from grants.services.sessions import token_hash

log = logging.getLogger("grants.auth")
PREFIX = "gt_"


@writes
def create_token(
    session: Session,
    principal: Principal,
    user: User,
    name: str,
    now: dt.datetime,
    expires_days: int | None = None,
) -> tuple[str, ApiToken]:
    """Create a token for ``user``; return it (shown this once) and its record."""
    if not (principal.is_admin or principal.user_id == user.id):
        raise NotAllowed(_("Only an administrator or the user may create their tokens."))
    if not user.is_active:
        raise Invalid("user", user.email, _("the user is deactivated"))
    if expires_days is not None and expires_days < 1:
        raise Invalid("expires", expires_days, _("must be at least 1 day"))
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100] or "token",
        prefix=raw[:10],
        token_hash=token_hash(raw),
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_days) if expires_days else None,
    )
    session.add(token)
    return raw, token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """Return the user's tokens, newest first."""
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id).desc())
        ).all()
    )


@writes
def revoke_token(
    session: Session, principal: Principal, token_id: int, now: dt.datetime
) -> ApiToken:
    """Revoke a token so that it is refused from now on, and return it."""
    token = session.get(ApiToken, token_id)
    if token is None or not (principal.is_admin or principal.user_id == token.user_id):
        raise NotFound(_("Token {ident} does not exist.").format(ident=token_id))
    if token.revoked_at is None:
        token.revoked_at = now
        session.add(token)
    return token


USE_RESOLUTION = dt.timedelta(minutes=1)
"""A token's last use is recorded to the minute, so most requests write nothing."""


def check_token(session: Session, raw: str, now: dt.datetime) -> tuple[User, ApiToken] | None:
    """Return the active user a valid token belongs to, and the token; None if not valid."""
    found = session.exec(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
        .where(ApiToken.token_hash == token_hash(raw))
    ).first()
    if found is None:
        return None
    user, token = found
    if (
        token.revoked_at is not None
        or not user.is_active
        or (token.expires_at is not None and now >= token.expires_at)
    ):
        return None
    return user, token


def use_is_stale(token: ApiToken, now: dt.datetime) -> bool:
    """Whether the token's recorded last use is older than the recording resolution."""
    return token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION


def record_use(session: Session, token_id: int, now: dt.datetime) -> None:
    """Record that the token was used at ``now``."""
    session.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now))


def authenticate(session: Session, raw: str, now: dt.datetime) -> User | None:
    """Return the active user a token belongs to, recording its use; None if not valid."""
    found = check_token(session, raw, now)
    if found is None:
        return None
    user, token = found
    if use_is_stale(token, now):
        record_use(session, token.id, now)
    return user
