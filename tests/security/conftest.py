"""Fixtures for the security tests: the demo loaded once per engine, then copied cheaply.

Loading the demo takes seconds, so it is loaded once per test session and engine into a
template (a SQLite file, a PostgreSQL template database) with a few additions the tests need;
each test module gets its own copy. Tests that change shared state (sign-outs, password
changes, deactivation, throttling) use accounts of their own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text
from sqlmodel import select

from grants import db
from grants.app import create_app
from grants.config import Settings, get_settings
from grants.demo import load_demo
from grants.models import Organisation, ProgressUpdate, ReviewStatus, Role, UserCreate
from grants.services import attachments, milestones, users
from grants.services.access import SYSTEM
from tests import factories, pg
from tests.conftest import ENGINES
from tests.security.helpers import (
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
                # Each conftest that imports these fixtures gets its own templates object.
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
