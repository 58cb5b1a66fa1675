"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from grants.config import Settings, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
WRITE_OPTION = "grants_write"
# The transaction-level advisory lock every PostgreSQL write session takes first ("grants").
WRITERS_LOCK = 0x6772616E7473
# Connections a process may open beyond its pool, for what runs outside the admitted
# requests (the health check, the CLI in the same process) while every admitted one holds one.
POOL_OVERFLOW = 4
# Connections (and as many again at a peak) for single-statement reads of the change marker.
MARK_POOL = 2
# How many values one ``IN (...)`` carries: well below every supported database's limit.
CHUNK = 1000


def normalise_url(url: str) -> str:
    """Return ``url`` with PostgreSQL pointed at psycopg 3 whatever driver was named."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | None = None, settings: Settings | None = None) -> Engine:
    """Return an engine for ``url`` configured for safe concurrent use."""
    settings = settings or get_settings()
    url = normalise_url(url or settings.database_url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings)
    return _postgresql_engine(url, settings)


def _pool(settings: Settings) -> dict[str, Any]:
    """The pool's sizes: a request admitted (see ``grants.http.admission``) never waits for
    a connection, because the pool holds one for each; a wait past the queue timeout raises
    ``sqlalchemy.exc.TimeoutError``, which is answered 503."""
    return {
        "pool_size": settings.pool_size,
        "max_overflow": POOL_OVERFLOW,
        "pool_timeout": settings.queue_timeout_seconds,
    }


def _postgresql_engine(url: str, settings: Settings) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, **_pool(settings))

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Writers queue up, as SQLite's BEGIN IMMEDIATE makes them: the audit trail's event
        # ids then become visible in increasing order, so "events after id N" (the caches'
        # high-water mark) never misses a transaction that committed after a later one.
        if conn.get_execution_options().get(WRITE_OPTION, False):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITERS_LOCK})")

    return engine


def autocommit_engine(engine: Engine) -> Engine:
    """Return an engine for single-statement reads on ``engine``'s database: no transaction.

    On PostgreSQL it has its own small pool that neither pings nor resets connections, so a
    read is one round trip; a connection lost meanwhile is retried once by ``read_row``.
    SQLite has no round trips, so there it is the same engine, in autocommit mode.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=None,
        pool_size=MARK_POOL,
        max_overflow=MARK_POOL,
    )


def read_row(engine: Engine, statement: Any) -> Any:
    """Return the first row ``statement`` reads (or None), retrying once on a connection lost
    meanwhile."""
    for attempt in (1, 2):
        try:
            with engine.connect() as connection:
                return connection.execute(statement).first()
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise
    return None


def _sqlite_engine(url: str, settings: Settings) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    pool = _pool(settings) if database and database != ":memory:" else {}
    engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
    busy_timeout = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A writer takes the write lock up front: a deferred transaction that later
        # upgrades can fail with "database is locked" whatever the busy timeout.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@lru_cache
def default_engine() -> Engine:
    """Return the process-wide engine for ``GRANTS_DATABASE_URL``."""
    return make_engine()


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """Yield a session in one write transaction: committed on success, rolled back on error."""
    engine = engine or default_engine()
    with Session(engine.execution_options(**{WRITE_OPTION: True})) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine | None = None) -> Iterator[Session]:
    """Yield a session for reading; it never commits."""
    engine = engine or default_engine()
    with Session(engine) as session:
        yield session


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration for the packaged migrations against ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on the database at ``url``."""
    from alembic import command

    command.upgrade(alembic_config(url or get_settings().database_url), revision)


def ping(engine: Engine) -> None:
    """Run a trivial query; raise if the database cannot be reached."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def safe_url(url: str) -> str:
    """Return ``url`` with any password masked, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    """Yield ``values`` in lists short enough for one ``IN (...)`` each."""
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
