"""``grants token`` and ``grants user deactivate``: tokens shown once, stored hashed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from click.testing import Result
from sqlalchemy import Engine
from sqlmodel import Session, select

from grants.models import ApiToken, User, utcnow
from grants.services import tokens

PASSWORD = "a long and unusual passphrase"


def _admin(cli: Callable[..., Result], email: str = "ops@example.org") -> None:
    result = cli(["user", "add", email, "--role", "admin", "--password-stdin"], PASSWORD)
    assert result.exit_code == 0, result.output


def test_a_token_is_printed_once_and_stored_hashed(
    cli: Callable[..., Result], engine: Engine
) -> None:
    _admin(cli)
    result = cli(["token", "create", "ops@example.org", "--name", "nightly", "--expires", "30"])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("gt_")
    assert len(raw) > 40
    with Session(engine) as session:
        stored = session.exec(select(ApiToken)).one()
        assert stored.name == "nightly"
        assert raw not in (stored.token_hash, stored.prefix)
        assert raw.startswith(stored.prefix)
        assert stored.expires_at is not None
        assert dt.timedelta(days=29) < stored.expires_at - utcnow() <= dt.timedelta(days=30)
        assert tokens.authenticate(session, raw, utcnow()) is not None
        session.commit()
        used = session.exec(select(ApiToken)).one()
        assert used.last_used_at is not None
    listing = cli(["token", "list", "ops@example.org"])
    assert "nightly" in listing.stdout
    assert raw not in listing.stdout


def test_a_revoked_or_expired_token_is_refused(cli: Callable[..., Result], engine: Engine) -> None:
    _admin(cli)
    raw = cli(["token", "create", "ops@example.org"]).stdout.strip()
    with Session(engine) as session:
        token_id = session.exec(select(ApiToken.id)).one()
        later = utcnow() + dt.timedelta(days=3650)
        assert tokens.authenticate(session, raw, later) is not None
    assert cli(["token", "revoke", str(token_id)]).exit_code == 0
    with Session(engine) as session:
        assert tokens.authenticate(session, raw, utcnow()) is None
    expiring = cli(["token", "create", "ops@example.org", "--expires", "1"]).stdout.strip()
    with Session(engine) as session:
        assert tokens.authenticate(session, expiring, utcnow()) is not None
        assert tokens.authenticate(session, expiring, utcnow() + dt.timedelta(days=2)) is None


def test_unknown_users_and_tokens_are_one_line_errors(cli: Callable[..., Result]) -> None:
    missing = cli(["token", "create", "nobody@example.org"])
    assert missing.exit_code == 2
    assert "User 'nobody@example.org' does not exist." in missing.stderr
    revoke = cli(["token", "revoke", "999"])
    assert revoke.exit_code == 2
    assert "Token 999 does not exist." in revoke.stderr


def test_deactivating_a_user_revokes_their_tokens(
    cli: Callable[..., Result], engine: Engine
) -> None:
    _admin(cli)
    _admin(cli, "leaver@example.org")
    raw = cli(["token", "create", "leaver@example.org"]).stdout.strip()
    result = cli(["user", "deactivate", "leaver@example.org"])
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == "leaver@example.org")).one()
        assert user.is_active is False
        assert tokens.authenticate(session, raw, utcnow()) is None
        assert session.exec(select(ApiToken.revoked_at)).one() is not None
