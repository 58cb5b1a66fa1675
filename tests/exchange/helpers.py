"""Helpers the exchange tests share: import a workbook as someone, count rows, export tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, func
from sqlmodel import Session, select

from grants import db
from grants.exchange import exports, imports, workbook
from grants.services import users
from grants.services.access import Principal, principal_for
from grants.tables import workbook_bytes
from tests.conftest import Demo
from tests.helpers import MANAGER

MILESTONE_HEADER = ["project_reference", "number", "title", "due_date", "responsible_organisation"]


def principal(demo: Demo, email: str) -> Principal:
    """Return the principal of the demo user ``email``."""
    with db.read_session(demo.engine) as session:
        return principal_for(session, users.user_by_email(session, email))


def run_import(
    demo: Demo,
    book: workbook.Workbook,
    *,
    dry_run: bool,
    who: str | Principal = MANAGER,
) -> imports.ImportResult:
    """Import ``book`` into the demo as ``who`` (an email or a principal), as the web does."""
    acting = principal(demo, who) if isinstance(who, str) else who
    with db.write_session(demo.engine) as session:
        return imports.import_workbook(session, acting, book, dry_run=dry_run, source="test.xlsx")


def xlsx(sheets: dict[str, tuple[list[str], list[list[Any]]]]) -> workbook.Workbook:
    """Return ``sheets`` (name: header, rows) read back as an uploaded workbook."""
    return workbook.read_upload("test.xlsx", workbook_bytes(sheets))


def count(demo: Demo, model: Any) -> int:
    """Return how many rows of ``model`` the demo holds."""
    with Session(demo.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def exported(demo: Demo, who: str = MANAGER) -> dict[str, exports.Table]:
    """Return every table ``who`` may export."""
    acting = principal(demo, who)
    with db.read_session(demo.engine) as session:
        return exports.export_tables(session, acting)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the first word of each SQL statement ``engine`` runs in the block, save the
    ``INSERT`` and ``UPDATE`` of the rows written (one per row on SQLite)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        word = statement.split()[0].upper()
        if word not in {"INSERT", "UPDATE"}:
            seen.append(word)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
