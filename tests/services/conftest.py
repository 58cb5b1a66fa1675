"""Service-test fixtures: a fast rolled-back session, and attachments kept in a temp folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from grants import db
from grants.config import Settings, get_settings
from tests import pg
from tests.conftest import ENGINES


@pytest.fixture(scope="session", params=ENGINES)
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, settings: Settings
) -> Iterator[Engine]:
    """One migrated database per engine for the whole run, for ``tx_session``."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("shared") / "grants.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = db.make_engine(f"sqlite:///{path}", settings)
        yield engine
        engine.dispose()
        return
    cluster: pg.Cluster = request.getfixturevalue("pg_cluster")
    name = f"shared_{os.getpid()}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE grants_template'))
    engine = db.make_engine(cluster.url(name), settings)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def tx_session(shared_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Every test still starts from an empty database and sees only its own rows, but the
    engine (and its compiled-statement cache) is shared, which makes the large rule tables
    several times faster than a new database per case. ``session.commit()`` only releases
    a savepoint here: tests that need other connections to see their data use ``session``.
    """
    with shared_engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            yield session
        outer.rollback()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point ``GRANTS_DATA_DIR`` at a temp folder so attachments never land in the checkout."""
    folder = tmp_path / "data"
    monkeypatch.setenv("GRANTS_DATA_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()
