"""A full JSON copy of the database, and its restore into an empty database with the same ids.

The copy holds every table the application keeps, row by row in primary-key order, with
values in plain JSON (decimals and dates as text, PDFs in base64), so the same data always
gives the same bytes. Users keep their password hashes and API tokens their hashes: a restore
must let people sign in again, so the file is as sensitive as the database itself. Signed-in
sessions and sign-in attempts are left out: after a restore everyone signs in again. Evidence
files are not inside: their records are, and the files stay in ``GRANTS_DATA_DIR``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, Enum, LargeBinary, Table, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from grants import __version__
from grants.i18n import _
from grants.models import ExactDecimal, UTCDateTime, metadata
from grants.services.errors import DomainError

FORMAT = "grants-tracker-dump"
VERSION = 1
LEFT_OUT = frozenset({"user_session", "login_attempt"})
BATCH = 1000


class DumpRefused(DomainError):
    """The file is not a dump this database can take; nothing was written."""


def dumped_tables() -> list[Table]:
    """Return the tables a dump holds, parents before children."""
    return [table for table in metadata.sorted_tables if table.name not in LEFT_OUT]


def _encode(table: Table, name: str, value: Any) -> Any:
    if value is None:
        return None
    column_type = table.c[name].type
    if isinstance(column_type, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(column_type, Enum):
        return value.value
    return value


def _decode(table: Table, name: str, value: Any) -> Any:
    if value is None:
        return None
    column_type = table.c[name].type
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value, validate=True)
    if isinstance(column_type, ExactDecimal):
        return Decimal(value)
    if isinstance(column_type, UTCDateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return dt.date.fromisoformat(value)
    if isinstance(column_type, Boolean):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(column_type, Enum) and column_type.enum_class is not None:
        return column_type.enum_class(value)
    if isinstance(column_type, JSON):
        return value
    return value


def schema_revision(connection: Connection) -> str | None:
    """Return the database's Alembic revision (None when it has no schema)."""
    try:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def dump(connection: Connection) -> dict[str, Any]:
    """Return the whole database as a JSON-ready document."""
    tables: dict[str, Any] = {}
    for table in dumped_tables():
        order = list(table.primary_key.columns)
        names = [column.name for column in table.columns]
        rows = connection.execute(select(table).order_by(*order)).all()
        tables[table.name] = {
            "columns": names,
            "rows": [
                [_encode(table, n, v) for n, v in zip(names, row, strict=True)] for row in rows
            ],
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "application": __version__,
        "schema_revision": schema_revision(connection),
        "tables": tables,
    }


def dump_bytes(connection: Connection) -> bytes:
    """Return the dump as UTF-8 JSON: the same data always gives the same bytes."""
    return (json.dumps(dump(connection), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def read_document(content: bytes) -> dict[str, Any]:
    """Return a dump read from JSON bytes; raise ``DumpRefused`` saying what is wrong."""
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DumpRefused(_("The file is not JSON: {error}").format(error=error)) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DumpRefused(_("The file is not a grants tracker dump."))
    if document.get("version") != VERSION:
        raise DumpRefused(
            _("The dump has format version {found}; this version reads {version}.").format(
                found=document.get("version"), version=VERSION
            )
        )
    if not isinstance(document.get("tables"), dict):
        raise DumpRefused(_("The dump has no tables."))
    return document


def _check_target(connection: Connection, document: dict[str, Any]) -> None:
    revision = schema_revision(connection)
    if revision is None:
        raise DumpRefused(_("The database has no schema: run `grants db upgrade` first."))
    if revision != document.get("schema_revision"):
        raise DumpRefused(
            _("The dump is of schema revision {dump}, the database is at {db}.").format(
                dump=document.get("schema_revision"), db=revision
            )
        )
    known = {table.name for table in dumped_tables()}
    unknown = sorted(set(document["tables"]) - known)
    if unknown:
        raise DumpRefused(_("Unknown tables in the dump: {names}").format(names=", ".join(unknown)))
    for table in dumped_tables():
        if connection.execute(select(func.count()).select_from(table)).scalar():
            raise DumpRefused(
                _(
                    "The database is not empty (table {table} has rows); restore only into an "
                    "empty database."
                ).format(table=table.name)
            )


def _rows(table: Table, entry: Any) -> list[dict[str, Any]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("rows"), list):
        raise DumpRefused(_("Table {table} is malformed.").format(table=table.name))
    names = entry.get("columns")
    if not isinstance(names, list) or set(names) - set(table.c.keys()):
        raise DumpRefused(_("Table {table} has unknown columns.").format(table=table.name))
    try:
        return [
            {n: _decode(table, n, v) for n, v in zip(names, row, strict=True)}
            for row in entry["rows"]
        ]
    except (ValueError, TypeError) as error:
        raise DumpRefused(
            _("Table {table} holds a value that cannot be read: {error}").format(
                table=table.name, error=error
            )
        ) from None


def restore(connection: Connection, document: dict[str, Any]) -> dict[str, int]:
    """Insert every row of the dump into an empty database; return the row count per table.

    Rows keep their ids; on PostgreSQL each id sequence is moved past the highest id, so
    rows added afterwards get new ones. The caller commits (all or nothing).
    """
    _check_target(connection, document)
    counts: dict[str, int] = {}
    for table in dumped_tables():
        rows = _rows(table, document["tables"].get(table.name, {"columns": [], "rows": []}))
        for start in range(0, len(rows), BATCH):
            try:
                connection.execute(table.insert(), rows[start : start + BATCH])
            except SQLAlchemyError as error:
                raise DumpRefused(
                    _("Table {table} could not be restored: {error}").format(
                        table=table.name, error=str(error).splitlines()[0][:200]
                    )
                ) from None
        counts[table.name] = len(rows)
    if connection.dialect.name == "postgresql":
        reset_sequences(connection)
    return counts


def reset_sequences(connection: Connection) -> None:
    """Move every id sequence past its table's highest id (PostgreSQL)."""
    for table in dumped_tables():
        if "id" not in table.c or len(table.primary_key.columns) != 1:
            continue
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - names from the metadata
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )
