"""Fixtures: a fresh database per test, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

os.environ.setdefault("GRANTS_ARGON2_TIME_COST", "1")
os.environ.setdefault("GRANTS_ARGON2_MEMORY_COST", "1024")
os.environ.setdefault("GRANTS_ENVIRONMENT", "test")

from grants import db
from grants.config import Settings
from tests import pg

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TODAY = dt.date(2026, 6, 15)
ENGINES = ["sqlite", "postgresql"]
_database_numbers = itertools.count(1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true a skipped test is a failure: CI must run the real thing."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which is not allowed: {report.longrepr}"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("data"),
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        today=TODAY,
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg.Cluster]:
    bin_dir = pg.find_binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql")
    cluster = pg.start_cluster(bin_dir)
    try:
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE grants_template"))
        admin.dispose()
        db.upgrade(cluster.url("grants_template"))
        yield cluster
    finally:
        cluster.stop()


def migrated_engine(
    request: pytest.FixtureRequest, kind: str, folder: Path, name: str, settings: Settings
) -> Iterator[Engine]:
    """Yield an engine on a new, migrated database of ``kind``; drop it afterwards."""
    if kind == "sqlite":
        path = folder / f"{name}.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = db.make_engine(f"sqlite:///{path}", settings)
        yield engine
        engine.dispose()
        return
    cluster: pg.Cluster = request.getfixturevalue("pg_cluster")
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE grants_template'))
    engine = db.make_engine(cluster.url(name), settings)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path, settings: Settings) -> Iterator[Engine]:
    """A migrated, empty database of its own for each test, on each engine."""
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    yield from migrated_engine(request, request.param, tmp_path, name, settings)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test's database; tests commit what they want others to see."""
    with Session(engine) as session:
        yield session


def _empty_database(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """Yield the URL of an empty database on the engine named by ``request.param``."""
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'empty.db'}"
        return
    cluster: pg.Cluster = request.getfixturevalue("pg_cluster")
    name = f"empty_{os.getpid()}_{next(_database_numbers)}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield cluster.url(name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no schema), on each engine."""
    yield from _empty_database(request, tmp_path)


@pytest.fixture(scope="module", params=ENGINES)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database shared by one test module, on each engine."""
    yield from _empty_database(request, tmp_path_factory.mktemp("module-db"))


def cli_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for running ``grants`` as a user would, against ``database_url``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRANTS_")}
    env.update(
        GRANTS_DATABASE_URL=database_url,
        GRANTS_DATA_DIR=str(data_dir),
        GRANTS_ARGON2_TIME_COST="1",
        GRANTS_ARGON2_MEMORY_COST="1024",
        **extra,
    )
    return env
