"""Fixtures: a fresh database per test, on SQLite and on a real PostgreSQL, and the demo.

Loading the demo takes seconds, so it is loaded once per test session and engine into a
template (a SQLite file, a PostgreSQL template database) with a few additions the tests need;
each test module that asks for ``demo`` (or ``app``, ``browsers``) gets its own copy. Tests
that change shared state (sign-outs, password changes, deactivation, throttling) use accounts
of their own.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, select

os.environ.setdefault("GRANTS_ARGON2_TIME_COST", "1")
os.environ.setdefault("GRANTS_ARGON2_MEMORY_COST", "1024")
os.environ.setdefault("GRANTS_ENVIRONMENT", "test")

from grants import db
from grants.app import create_app
from grants.config import Settings, get_settings
from grants.demo import load_demo
from grants.models import Organisation, ProgressUpdate, ReviewStatus, Role, UserCreate
from grants.services import attachments, milestones, users
from grants.services.access import SYSTEM
from tests import factories, pg
from tests.helpers import (
    ADMIN,
    DONOR,
    EDITOR,
    EDITOR_NOOR,
    EDITOR_ZARQA,
    MANAGER,
    PASSWORD,
    TODAY,
    VIEWER,
    VIEWER_ZARQA,
    Browser,
    make_token,
    signed_in,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
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


# The demo, shared by the API, web, exchange, report and security tests.

TOKEN_HOLDERS = (ADMIN, MANAGER, DONOR, EDITOR, EDITOR_ZARQA, EDITOR_NOOR, VIEWER, VIEWER_ZARQA)


@dataclass(frozen=True)
class Extras:
    """What the fixtures add to the demo, by id (the same in every copy)."""

    outside_project: int  # in a programme of another agency that no demo donor funds
    outside_milestone: int
    outside_attachment: int
    draft_update: int  # MA-OUJDA's draft progress update on OUJ-ORIENTAL
    draft_attachment: int  # evidence attached to that draft


@dataclass
class Demo:
    """One copy of the demo database."""

    kind: str
    url: str
    engine: Engine
    extras: Extras
    tokens: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session", autouse=True)
def attachment_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep evidence files (written where GRANTS_DATA_DIR says) out of the checkout."""
    folder = tmp_path_factory.mktemp("security-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRANTS_DATA_DIR", str(folder))
        get_settings.cache_clear()
        yield folder
    get_settings.cache_clear()


def _add_extras(engine: Engine) -> Extras:
    with db.write_session(engine) as session:
        zarqa = session.exec(select(Organisation).where(Organisation.ref == "JO-ZARQA")).one()
        users.create_user(
            session,
            SYSTEM,
            UserCreate(email=VIEWER_ZARQA, full_name="Zarqa viewer", password=PASSWORD),
            Role.PARTNER_VIEWER,
            zarqa,
        )
        outside, outside_milestones, _tranches = factories.active_project(session)
        milestone = outside_milestones[0]
        outside_file = attachments.attach(session, SYSTEM, milestone, "outside.csv", b"a,b\n1,2\n")
        draft = session.exec(
            select(ProgressUpdate).where(ProgressUpdate.status == ReviewStatus.DRAFT)
        ).one()
        draft_file = attachments.attach(
            session, SYSTEM, draft, "draft-notes.txt", b"Not ready for anyone else yet.\n"
        )
        assert milestones.milestones_of(session, outside)
        return Extras(
            outside_project=outside.id,
            outside_milestone=milestone.id,
            outside_attachment=outside_file.id,
            draft_update=draft.id,
            draft_attachment=draft_file.id,
        )


_templates = iter(range(1, 1_000_000))


class DemoTemplates:
    """The demo loaded once per engine, for copies to start from."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = folder
        self.settings = settings
        self.loaded: dict[str, tuple[str, Extras, dict[str, str]]] = {}

    def _load(self, url: str) -> tuple[Extras, dict[str, str]]:
        db.upgrade(url)
        engine = db.make_engine(url, self.settings)
        try:
            load_demo(engine, TODAY)
            extras = _add_extras(engine)
            tokens = {email: make_token(engine, email) for email in TOKEN_HOLDERS}
            if engine.dialect.name == "sqlite":
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        return extras, tokens

    def template(self, kind: str, cluster: pg.Cluster | None) -> tuple[str, Extras, dict[str, str]]:
        """Return the template's location (file or database name), extras and tokens."""
        if kind not in self.loaded:
            if kind == "sqlite":
                path = self.folder / "demo-template.db"
                extras, tokens = self._load(f"sqlite:///{path}")
                self.loaded[kind] = (str(path), extras, tokens)
            else:
                assert cluster is not None
                name = f"demo_template_{os.getpid()}_{next(_templates)}"
                _admin_sql(cluster, f'CREATE DATABASE "{name}"')
                extras, tokens = self._load(cluster.url(name))
                self.loaded[kind] = (name, extras, tokens)
        return self.loaded[kind]


def _admin_sql(cluster: pg.Cluster, statement: str) -> None:
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def demo_templates(
    tmp_path_factory: pytest.TempPathFactory, settings: Settings, attachment_folder: Path
) -> DemoTemplates:
    return DemoTemplates(tmp_path_factory.mktemp("demo-template"), settings)


_copies = iter(range(1, 1_000_000))


def _demo_copy(
    request: pytest.FixtureRequest, templates: DemoTemplates, folder: Path, settings: Settings
) -> Iterator[Demo]:
    kind: str = request.param
    cluster = request.getfixturevalue("pg_cluster") if kind == "postgresql" else None
    source, extras, tokens = templates.template(kind, cluster)
    if kind == "sqlite":
        path = folder / "demo.db"
        shutil.copy(source, path)
        url = f"sqlite:///{path}"
    else:
        assert cluster is not None
        name = f"demo_{os.getpid()}_{next(_copies)}"
        _admin_sql(cluster, f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        url = cluster.url(name)
    engine = db.make_engine(url, settings)
    try:
        yield Demo(kind, url, engine, extras, dict(tokens))
    finally:
        engine.dispose()
        if kind == "postgresql":
            assert cluster is not None
            _admin_sql(cluster, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=ENGINES)
def demo(
    request: pytest.FixtureRequest,
    demo_templates: DemoTemplates,
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
) -> Iterator[Demo]:
    """A copy of the demo (with the extras) shared by the tests of one module."""
    yield from _demo_copy(request, demo_templates, tmp_path_factory.mktemp("demo"), settings)


@pytest.fixture(scope="module")
def app(demo: Demo, settings: Settings) -> FastAPI:
    """The application on the module's demo copy."""
    return create_app(settings, demo.engine)


class Browsers:
    """Signed-in browsers by email, signed in on first use and kept for the module."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.open: dict[str, Browser] = {}

    def __getitem__(self, email: str) -> Browser:
        if email not in self.open:
            self.open[email] = signed_in(self.app, email)
        return self.open[email]


@pytest.fixture(scope="module")
def browsers(app: FastAPI) -> Browsers:
    return Browsers(app)
