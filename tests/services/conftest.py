"""Service-test fixtures: a fast rolled-back session, and attachments kept in a temp folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from grants.config import Settings, get_settings
from tests.conftest import ENGINES, migrated_engine


@pytest.fixture(scope="session", params=ENGINES)
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, settings: Settings
) -> Iterator[Engine]:
    """One migrated database per engine for the whole run, for ``tx_session``."""
    folder = tmp_path_factory.mktemp("shared")
    yield from migrated_engine(request, request.param, folder, f"shared_{os.getpid()}", settings)


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
