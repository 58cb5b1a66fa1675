"""SQLite is configured on every connection, and writers take the lock up front."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from grants import db
from grants.config import Settings


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "grants.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite:///{path}"


def test_every_connection_is_configured(sqlite_url: str, settings: Settings) -> None:
    engine = db.make_engine(sqlite_url, settings)
    with engine.connect() as conn:
        pragmas = {
            name: conn.execute(text(f"PRAGMA {name}")).scalar()
            for name in ["foreign_keys", "journal_mode", "synchronous", "busy_timeout"]
        }
    assert pragmas == {
        "foreign_keys": 1,
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": settings.sqlite_busy_timeout_ms,
    }
    engine.dispose()


def test_a_write_session_holds_the_write_lock_before_writing(
    sqlite_url: str, settings: Settings
) -> None:
    engine = db.make_engine(sqlite_url, settings)
    other = sqlite3.connect(
        sqlite_url.removeprefix("sqlite:///"), timeout=0.05, isolation_level=None
    )
    with db.write_session(engine) as session:
        session.execute(text("SELECT 1"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
    engine.dispose()


def test_a_read_session_does_not_block_writers(sqlite_url: str, settings: Settings) -> None:
    engine = db.make_engine(sqlite_url, settings)
    other = sqlite3.connect(
        sqlite_url.removeprefix("sqlite:///"), timeout=0.05, isolation_level=None
    )
    with db.read_session(engine) as session:
        session.execute(text("SELECT count(*) FROM organisation"))
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()
    engine.dispose()


def test_a_failed_write_session_leaves_nothing(sqlite_url: str, settings: Settings) -> None:
    engine = db.make_engine(sqlite_url, settings)
    insert = text(
        "INSERT INTO organisation (version, created_at, updated_at, ref, name, kind, "
        "is_fictional) VALUES (1, '2026-01-01', '2026-01-01', 'X', 'X', 'cso', 0)"
    )

    def write_then_fail() -> None:
        with db.write_session(engine) as session:
            session.execute(insert)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    with db.read_session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM organisation")).scalar() == 0
    engine.dispose()
