"""Sign-in at the service level: sessions, and hashes upgraded when the cost rises."""

from __future__ import annotations

import datetime as dt

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, select

from grants.config import Settings
from grants.models import AuditEvent, Role, User
from grants.services import sessions, users
from tests import factories as f

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


def test_a_hash_made_at_an_older_cost_is_upgraded_at_sign_in(
    tx_session: Session, settings: Settings
) -> None:
    user, _ = f.user(tx_session, Role.PARTNER_VIEWER, f.organisation(tx_session))
    older = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=2048),)).hash(f.PASSWORD)
    user.password_hash = older
    users.store_password_hash(tx_session, f.SYSTEM, user, older)

    signed = sessions.sign_in(tx_session, user.email, f.PASSWORD, "10.1.1.1", settings, NOW)

    assert signed.ok
    tx_session.refresh(user)
    assert user.password_hash != older
    assert user.password_hash.startswith("$argon2id$")
    assert "t=1" in user.password_hash
    assert users.verify_password(f.PASSWORD, user.password_hash)[0]
    upgrade = tx_session.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "user_account", AuditEvent.actor_label == user.email
        )
    ).all()
    assert upgrade
    assert upgrade[-1].changes["password_hash"] == {"before": "<redacted>", "after": "<redacted>"}


def test_a_current_hash_is_left_alone_and_sign_in_time_is_kept(
    tx_session: Session, settings: Settings
) -> None:
    user, _ = f.user(tx_session, Role.PARTNER_VIEWER, f.organisation(tx_session))
    before = user.password_hash

    signed = sessions.sign_in(tx_session, user.email, f.PASSWORD, "10.1.1.2", settings, NOW)

    assert signed.ok
    assert signed.user_session is not None
    assert signed.user_session.expires_at == NOW + dt.timedelta(hours=settings.session_max_hours)
    stored = tx_session.exec(select(User).where(User.id == user.id)).one()
    tx_session.refresh(stored)
    assert stored.password_hash == before
    assert stored.last_login_at == NOW
