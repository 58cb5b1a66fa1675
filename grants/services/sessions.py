"""Signing in and out: server-side sessions, throttling, password changes, deactivation."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import case, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from grants.config import Settings
from grants.i18n import _
from grants.models import ApiToken, LoginAttempt, User, UserSession
from grants.models.base import CONTROL_CHARACTERS
from grants.services import users
from grants.services.access import Principal, principal_for
from grants.services.common import get_or_404, writes
from grants.services.errors import Invalid, NotAllowed

log = logging.getLogger("grants.auth")
TOUCH_EVERY = dt.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    """Return the stored form of a random secret (cookie value or API token)."""
    return hashlib.sha256(raw.encode()).hexdigest()


@lru_cache
def _dummy_hash() -> str:
    return users.hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a new session, a refusal, or a wait."""

    raw_token: str | None = None
    user_session: UserSession | None = None
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return self.raw_token is not None


def _failures(
    session: Session, email: str, client: str, since: dt.datetime
) -> tuple[int, int, int]:
    """Return recent failures for this account from this client, for the account, and for
    the client."""
    failed = (col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.at) >= since)
    this_account, this_client = col(LoginAttempt.email) == email, col(LoginAttempt.client) == client
    row = session.execute(
        sa_select(
            func.sum(case((this_account & this_client, 1), else_=0)),
            func.sum(case((this_account, 1), else_=0)),
            func.sum(case((this_client, 1), else_=0)),
        ).where(*failed, this_account | this_client)
    ).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def sign_in(
    session: Session, email: str, password: str, client: str, settings: Settings, now: dt.datetime
) -> SignIn:
    """Check the credentials and open a session; every attempt is recorded.

    Unknown email and wrong password get the same answer and take the same time. After too
    many failures within the window (for the account from this client, for the account from
    anywhere, much higher, or from this client), the answer is to wait until the window has
    passed. Guessing from one address therefore does not lock the real user out elsewhere.
    """
    # What no email holds (PostgreSQL cannot even compare text with a NUL) matches no account.
    email = CONTROL_CHARACTERS.sub("\ufffd", email).strip().lower()[:254]
    client = client[:64]
    window = dt.timedelta(minutes=settings.login_window_minutes)
    since = now - window
    pair, account, from_client = _failures(session, email, client, since)
    if (
        pair >= settings.login_max_failures_per_account
        or account >= settings.login_max_failures_per_account_total
        or from_client >= settings.login_max_failures_per_client
    ):
        log.warning("login throttled", extra={"event": "login_throttled", "client": client})
        return SignIn(retry_after=int(window.total_seconds()))
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        users.verify_password(password, _dummy_hash())  # the same work as for a real account
        valid, new_hash = False, None
    else:
        valid, new_hash = users.verify_password(password, user.password_hash)
        valid = valid and user.is_active
    session.add(LoginAttempt(at=now, email=email, client=client, succeeded=valid))
    if not valid or user is None:
        log.info("login failed", extra={"event": "login_failed", "client": client})
        return SignIn()
    session.execute(update(User).where(col(User.id) == user.id).values(last_login_at=now))
    if new_hash:  # the Argon2 cost has risen since this hash was made
        users.store_password_hash(session, principal_for(session, user), user, new_hash)
    raw = secrets.token_urlsafe(32)
    opened = UserSession(
        user_id=user.id,
        token_hash=token_hash(raw),
        client=client,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=settings.session_max_hours),
    )
    session.add(opened)
    session.flush()
    log.info("login", extra={"event": "login", "user_id": user.id, "client": client})
    return SignIn(raw_token=raw, user_session=opened)


def resolve(
    session: Session, raw_token: str, settings: Settings, now: dt.datetime
) -> tuple[User, UserSession] | None:
    """Return the user and session behind a cookie value, or None if it is not valid now."""
    found = session.exec(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)  # type: ignore[arg-type]
        .where(UserSession.token_hash == token_hash(raw_token))
    ).first()
    if found is None:
        return None
    user, user_session = found
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    if (
        user_session.revoked_at is not None
        or now >= user_session.expires_at
        or now - user_session.last_seen_at >= idle
        or not user.is_active
    ):
        return None
    return user, user_session


def touch(session: Session, session_id: int, now: dt.datetime) -> None:
    """Record activity on a session, at most once a minute, to keep it from going idle."""
    session.execute(
        update(UserSession)
        .where(
            col(UserSession.id) == session_id,
            col(UserSession.last_seen_at) < now - TOUCH_EVERY,
        )
        .values(last_seen_at=now)
    )


def sign_out(session: Session, raw_token: str, now: dt.datetime) -> None:
    """End the session behind a cookie value; a replayed cookie is refused from now on."""
    session.execute(
        update(UserSession)
        .where(
            col(UserSession.token_hash) == token_hash(raw_token),
            col(UserSession.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )


def end_sessions(session: Session, user_id: int, now: dt.datetime, keep: int | None = None) -> None:
    """End every open session of a user, except ``keep``."""
    query = update(UserSession).where(
        col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None)
    )
    if keep is not None:
        query = query.where(col(UserSession.id) != keep)
    session.execute(query.values(revoked_at=now))


@writes
def change_password(
    session: Session,
    principal: Principal,
    current: str,
    new: str,
    now: dt.datetime,
    keep_session: int | None = None,
) -> User:
    """Replace the principal's own password after checking the current one."""
    user = get_or_404(session, User, principal.user_id or 0, "User")
    if not users.verify_password(current, user.password_hash)[0]:
        raise Invalid("current_password", "***", _("is not your current password"))
    users.check_password(new, user.email)
    user.password_hash = users.hash_password(new)
    session.add(user)
    end_sessions(session, user.id, now, keep=keep_session)
    return user


@writes
def deactivate_user(session: Session, principal: Principal, user: User, now: dt.datetime) -> User:
    """Stop a user from signing in, end their sessions and revoke their API tokens."""
    if not principal.is_admin:
        raise NotAllowed(_("Only an administrator may deactivate users."))
    if user.id == principal.user_id:
        raise Invalid("user", user.email, _("you cannot deactivate yourself"))
    user.is_active = False
    session.add(user)
    end_sessions(session, user.id, now)
    for token in session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
    ):
        token.revoked_at = now
        session.add(token)
    log.info("user deactivated", extra={"event": "user_deactivated", "user_id": user.id})
    return user
